export * from './object-store';
export * from './content-type';
export * from './range';
export { createS3Client } from './s3-client';
export type { S3ClientOptions } from './s3-client';
export * from './s3-object-store';
export * from './local-object-store';
export * from './factory';
