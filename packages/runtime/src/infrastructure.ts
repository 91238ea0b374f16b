import type { AppConfig, Logger } from '@mediaflow/domain';
import { createJobQueue } from '@mediaflow/queue';
import type { JobConsumer, JobPublisher } from '@mediaflow/queue';
import { createJobRepository } from '@mediaflow/repository';
import type { JobRepository, RateLimitStore } from '@mediaflow/repository';
import { createObjectStore } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';

export interface Infrastructure {
  repository: JobRepository;
  /** Token buckets for per-key rate limits, in the same database. */
  rateLimits: RateLimitStore;
  store: ObjectStore;
  publisher: JobPublisher;
  createConsumer(): JobConsumer;
  close(): Promise<void>;
}

/**
 * Builds every adapter the config selects and prepares what they need
 * (table or indexes, buckets, topic). The processes only see the ports.
 */
export async function createInfrastructure(config: AppConfig, logger: Logger): Promise<Infrastructure> {
  const database = await createJobRepository(config);
  const { repository } = database;
  const store = createObjectStore(config);
  const queue = createJobQueue(config, logger);

  await repository.init();
  await database.rateLimits.init();
  await Promise.all([store.ensureBucket(config.INPUT_BUCKET), store.ensureBucket(config.OUTPUT_BUCKET)]);
  await queue.publisher.init();
  logger.info('infrastructure ready', {
    db: config.DB_BACKEND,
    queue: config.QUEUE_BACKEND,
    storage: config.STORAGE_BACKEND,
  });

  return {
    repository,
    rateLimits: database.rateLimits,
    store,
    publisher: queue.publisher,
    createConsumer: () => queue.createConsumer(),
    close: async () => {
      const results = await Promise.allSettled([queue.publisher.close(), database.close(), store.close()]);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
