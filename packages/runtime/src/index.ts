export * from './boot';
export * from './infrastructure';
export * from './shutdown';
export * from './startup-errors';
export * from './job-objects';
export * from './metrics';
export * from './tracing';
export * from './webhooks';
