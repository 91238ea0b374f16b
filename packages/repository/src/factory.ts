import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AppError } from '@mediaflow/domain';
import type { AppConfig } from '@mediaflow/domain';
import { DynamoJobRepository } from './dynamo-job-repository';
import { startEmbeddedDynamo } from './embedded';
import { JobRepository } from './job-repository';
import { MongoJobRepository } from './mongo-job-repository';

export interface RepositoryHandle {
  repository: JobRepository;
  /** Closes the repository and anything started for it (the embedded database). */
  close(): Promise<void>;
}

/** The configuration a DynamoDB client needs; a subset of AppConfig. */
export interface DynamoClientSettings {
  AWS_REGION: string;
  DYNAMODB_ENDPOINT?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
}

/** Builds the repository the configuration selects. Does not call init(). */
export async function createJobRepository(config: AppConfig): Promise<RepositoryHandle> {
  switch (config.DB_BACKEND) {
    case 'mongodb': {
      if (!config.MONGO_URL) throw new AppError('INTERNAL', 'MONGO_URL is required when DB_BACKEND=mongodb');
      const repository = new MongoJobRepository({
        url: config.MONGO_URL,
        dbName: config.DB_NAME,
        collection: config.MONGO_JOBS_COLLECTION,
      });
      return { repository, close: async () => repository.close() };
    }
    case 'dynamodb': {
      const repository = new DynamoJobRepository({
        client: createDynamoClient(config),
        tableName: config.DYNAMODB_TABLE,
        destroyClientOnClose: true,
      });
      return { repository, close: async () => repository.close() };
    }
    case 'embedded': {
      const embedded = await startEmbeddedDynamo({ dataDir: path.join(config.DATA_DIR, 'db') });
      const repository = new DynamoJobRepository({
        // Only the loopback endpoint and dummy credentials: real AWS keys have no business here.
        client: createDynamoClient({ AWS_REGION: config.AWS_REGION, DYNAMODB_ENDPOINT: embedded.endpoint }),
        tableName: config.DYNAMODB_TABLE,
        destroyClientOnClose: true,
      });
      return {
        repository,
        close: async () => {
          await repository.close();
          await embedded.close();
        },
      };
    }
  }
}

/**
 * A client that gives up quickly: a few short attempts, so an outage
 * surfaces as DATABASE_ERROR within seconds instead of hanging a request.
 */
export function createDynamoClient(settings: DynamoClientSettings): DynamoDBClient {
  const explicit =
    settings.AWS_ACCESS_KEY_ID && settings.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: settings.AWS_ACCESS_KEY_ID, secretAccessKey: settings.AWS_SECRET_ACCESS_KEY }
      : undefined;
  // DynamoDB Local and dynalite accept any credentials, but the SDK insists on having some.
  const credentials =
    explicit ?? (settings.DYNAMODB_ENDPOINT ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined);
  return new DynamoDBClient({
    region: settings.AWS_REGION,
    ...(settings.DYNAMODB_ENDPOINT ? { endpoint: settings.DYNAMODB_ENDPOINT } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
  });
}
