export * from './config';
export * from './errors';
export * from './file-names';
export * from './job';
export * from './logging';
export * from './operations';
export * from './source-uri';
export * from './zod-issues';
