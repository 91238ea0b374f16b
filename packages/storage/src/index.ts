export * from './object-store';
export * from './content-type';
export * from './range';
export * from './s3-client';
export * from './s3-object-store';
export * from './local-object-store';
export * from './factory';
