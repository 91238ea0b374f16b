import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AppError } from '@mediaflow/domain';
import type { AppConfig } from '@mediaflow/domain';
import type { AccountStore } from './account-store';
import { DynamoAccountStore } from './dynamo-account-store';
import { DynamoJobRepository } from './dynamo-job-repository';
import { CoalescingRateLimitStore } from './coalescing-rate-limit-store';
import { DynamoRateLimitStore } from './dynamo-rate-limit-store';
import { DynamoWebhookStore } from './dynamo-webhook-store';
import { startEmbeddedDynamo } from './embedded';
import type { JobRepository, WebhookStore } from './job-repository';
import { AtomicMongoRateLimitStore } from './mongo-atomic-rate-limit-store';
import { createMongoClient } from './mongo-client';
import { MongoAccountStore } from './mongo-account-store';
import { MongoJobRepository } from './mongo-job-repository';
import { MongoRateLimitStore } from './mongo-rate-limit-store';
import { MongoWebhookStore } from './mongo-webhook-store';
import type { RateLimitStore } from './rate-limit-store';

export interface RepositoryHandle {
  repository: JobRepository;
  /**
   * Rate-limit buckets in the same database, over the same client (embedded:
   * the same in-process server), behind a CoalescingRateLimitStore: one take
   * per key in flight per process. Call its init() too; it is cheap after
   * the repository's.
   */
  rateLimits: RateLimitStore;
  /** Webhook endpoints and the delivery outbox, in the same database over the same client. Call its init() too. */
  webhooks: WebhookStore;
  /** People's accounts, sessions and personal API keys, in the same database over the same client. Call its init() too. */
  accounts: AccountStore;
  /** Closes the repository, the rate limits, the webhooks, their client and anything started for them (the embedded database). */
  close(): Promise<void>;
}

/** The configuration a DynamoDB client needs; a subset of AppConfig. */
export interface DynamoClientSettings {
  AWS_REGION: string;
  DYNAMODB_ENDPOINT?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
}

/**
 * Builds the repository and rate-limit store the configuration selects, with
 * DATABASE_COMPAT's workarounds (the embedded database: always `dynalite`).
 * Does not call init() (the migration) or checkSchema().
 */
export async function createJobRepository(config: AppConfig): Promise<RepositoryHandle> {
  switch (config.DB_BACKEND) {
    case 'mongodb': {
      if (!config.MONGO_URL) throw new AppError('INTERNAL', 'MONGO_URL is required when DB_BACKEND=mongodb');
      const client = createMongoClient(config.MONGO_URL);
      const repository = new MongoJobRepository({
        client,
        dbName: config.DB_NAME,
        collection: config.MONGO_JOBS_COLLECTION,
        compat: config.DATABASE_COMPAT,
      });
      const rateLimits = new CoalescingRateLimitStore(
        config.DATABASE_COMPAT === 'ferretdb-v1'
          ? new MongoRateLimitStore({
              client,
              dbName: config.DB_NAME,
              collection: `${config.MONGO_JOBS_COLLECTION}_rate_limits`,
            })
          : new AtomicMongoRateLimitStore({
              client,
              dbName: config.DB_NAME,
              collection: `${config.MONGO_JOBS_COLLECTION}_rate_buckets`,
            }),
      );
      const webhooks = new MongoWebhookStore({
        client,
        dbName: config.DB_NAME,
        jobsCollection: config.MONGO_JOBS_COLLECTION,
        compat: config.DATABASE_COMPAT,
      });
      const accounts = new MongoAccountStore({
        client,
        dbName: config.DB_NAME,
        jobsCollection: config.MONGO_JOBS_COLLECTION,
        compat: config.DATABASE_COMPAT,
      });
      return {
        repository,
        rateLimits,
        webhooks,
        accounts,
        close: async () => closeAll([repository, rateLimits, webhooks, accounts], async () => client.close()),
      };
    }
    case 'dynamodb': {
      const client = createDynamoClient(config);
      const shared = { client, tableName: config.DYNAMODB_TABLE, compat: config.DATABASE_COMPAT };
      const repository = new DynamoJobRepository(shared);
      const rateLimits = new CoalescingRateLimitStore(new DynamoRateLimitStore(shared));
      const webhooks = new DynamoWebhookStore(shared);
      const accounts = new DynamoAccountStore(shared);
      return {
        repository,
        rateLimits,
        webhooks,
        accounts,
        close: async () => closeAll([repository, rateLimits, webhooks, accounts], () => client.destroy()),
      };
    }
    case 'embedded': {
      const embedded = await startEmbeddedDynamo({ dataDir: path.join(config.DATA_DIR, 'db') });
      const shared = {
        // Only the loopback endpoint and dummy credentials: real AWS keys have no business here.
        client: createDynamoClient({ AWS_REGION: config.AWS_REGION, DYNAMODB_ENDPOINT: embedded.endpoint }),
        tableName: config.DYNAMODB_TABLE,
        // Always dynalite, whatever DATABASE_COMPAT says: it ignores requests to add an index, and
        // only this process can reach it, so a rebuild is safe.
        compat: 'dynalite' as const,
      };
      const repository = new DynamoJobRepository(shared);
      const rateLimits = new CoalescingRateLimitStore(new DynamoRateLimitStore(shared));
      const webhooks = new DynamoWebhookStore(shared);
      const accounts = new DynamoAccountStore(shared);
      return {
        repository,
        rateLimits,
        webhooks,
        accounts,
        close: async () =>
          closeAll([repository, rateLimits, webhooks, accounts], async () => {
            shared.client.destroy();
            await embedded.close();
          }),
      };
    }
  }
}

/** Closes the stores, then what they share, even when one of them fails to close. */
async function closeAll(
  stores: readonly { close(): Promise<void> }[],
  closeShared: () => Promise<void> | void,
): Promise<void> {
  const results = await Promise.allSettled(stores.map(async (store) => store.close()));
  await closeShared();
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
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
