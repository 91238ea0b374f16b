export * from './boot';
export * from './infrastructure';
export * from './shutdown';
export * from './job-objects';
