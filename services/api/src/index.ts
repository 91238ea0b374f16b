export * from './app';
export * from './job-service';
export * from './job-view';
export * from './server';
