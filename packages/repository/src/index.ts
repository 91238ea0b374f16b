export * from './job-repository';
export { MongoJobRepository } from './mongo-job-repository';
export type { MongoJobRepositoryOptions } from './mongo-job-repository';
export { DynamoJobRepository } from './dynamo-job-repository';
export type { DynamoJobRepositoryOptions } from './dynamo-job-repository';
export { startEmbeddedDynamo } from './embedded';
export type { EmbeddedDynamo, EmbeddedDynamoOptions } from './embedded';
export { createDynamoClient, createJobRepository } from './factory';
export type { DynamoClientSettings, RepositoryHandle } from './factory';
