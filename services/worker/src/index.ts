export * from './job-handler';
export * from './output-keys';
export * from './progress-reporter';
export * from './reaper';
export * from './worker';
