export * from './types';
export * from './prometheus';
export * from './timed-port';
export * from './endpoint';
