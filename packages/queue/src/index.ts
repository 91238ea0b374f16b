export * from './job-queue';
export * from './job-message-codec';
export * from './kafka-client';
export * from './kafka-admin';
export * from './kafka-publisher';
export * from './kafka-consumer';
export * from './memory-queue';
export * from './factory';
