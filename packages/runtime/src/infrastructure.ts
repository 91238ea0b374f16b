import { errorMessage } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { createJobChanges, createJobQueue } from '@mediaflow/queue';
import type { JobChanges, JobConsumer, JobPublisher } from '@mediaflow/queue';
import { createJobRepository } from '@mediaflow/repository';
import type {
  AccountStore,
  JobRepository,
  RateLimitStore,
  RepositoryHandle,
  WebhookStore,
} from '@mediaflow/repository';
import { createObjectStore } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { jobChangeObserver } from './job-changes';
import { measuredDatabase, measuredStorage } from './metrics';
import type { PortCallMetrics } from './metrics';
import {
  retryScheduleOf,
  validateAllowedCidrs,
  webhookPolicyOf,
  WebhookDispatcher,
  WebhookEvents,
  WebhookRepairSweep,
  webhookObserver,
} from './webhooks';
import { observeTransitions } from './transition-observers';
import type { WebhookAddressPolicy } from './webhooks';

export interface Infrastructure {
  repository: JobRepository;
  /** Token buckets for per-key rate limits, in the same database. */
  rateLimits: RateLimitStore;
  store: ObjectStore;
  publisher: JobPublisher;
  createConsumer(): JobConsumer;
  /** Webhook endpoints and the delivery outbox (the repository above records events into it). */
  webhooks: WebhookStore;
  /** Where webhooks may go (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOWED_CIDRS). */
  webhookPolicy: WebhookAddressPolicy;
  /** People's accounts, sessions and personal API keys (services/api/src/accounts). */
  accounts: AccountStore;
  /**
   * The job-change feed behind the API's event streams: the repository above
   * announces every change on it (see jobChangeObserver); an API replica reads
   * it with `jobChanges.createFeed()`.
   */
  jobChanges: JobChanges;
  /** Resolves once the queue's topics are ready (never rejects; stays pending if closed first). */
  queueReady: Promise<void>;
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  /** Overrides DATABASE_MIGRATE: `npm start`, one process, always migrates on start. */
  migrate?: AppConfig['DATABASE_MIGRATE'];
  /** Reports the latency of every database and object-store call (see metrics/timed-port.ts); absent: none. */
  metrics?: PortCallMetrics;
}

/**
 * Builds every adapter the config selects and prepares what they need
 * (buckets, topic). The database schema (table or indexes) is migrated here
 * only with DATABASE_MIGRATE=on-start (or the embedded database, which no
 * other process can reach); otherwise it must exist already (`npm run
 * db:migrate`) and a missing piece stops the start with an error naming it.
 * The processes only see the ports.
 */
export async function createInfrastructure(
  config: AppConfig,
  logger: Logger,
  options: InfrastructureOptions = {},
): Promise<Infrastructure> {
  const database = await createJobRepository(config);
  // The one place the ports are measured: each adapter stays unaware of it.
  const repository = measuredDatabase('jobs', database.repository, options.metrics);
  const store = measuredStorage(createObjectStore(config), options.metrics);
  const queue = createJobQueue(config, logger);
  validateAllowedCidrs(config.WEBHOOK_ALLOWED_CIDRS);
  const webhookPolicy = webhookPolicyOf(config);
  // Every process announces the transitions it makes and records their webhook events (see the observers).
  const progressIntervalMs = config.WEBHOOK_PROGRESS_INTERVAL_SECONDS * 1000;
  const webhookEvents = new WebhookEvents({ store: database.webhooks, progressIntervalMs, logger });
  const jobChanges = createJobChanges(config, logger);
  const jobs = observeTransitions(repository, [
    jobChangeObserver(jobChanges.publisher),
    webhookObserver(webhookEvents, progressIntervalMs),
  ]);
  const dispatcher = config.WEBHOOK_DISPATCHER
    ? new WebhookDispatcher({
        deliveries: database.webhooks,
        send: { policy: webhookPolicy, timeoutMs: config.WEBHOOK_TIMEOUT_MS },
        schedule: retryScheduleOf(config),
        pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
        batchSize: config.WEBHOOK_BATCH_SIZE,
        logger,
      })
    : undefined;
  // With the dispatcher: the safety net for events a process died before recording.
  const repair = config.WEBHOOK_DISPATCHER
    ? new WebhookRepairSweep({
        jobs: repository,
        events: webhookEvents,
        intervalMs: config.WEBHOOK_REPAIR_INTERVAL_SECONDS * 1000,
        lookbackMs: config.WEBHOOK_REPAIR_LOOKBACK_SECONDS * 1000,
        logger,
      })
    : undefined;

  try {
    const mode = config.DB_BACKEND === 'embedded' ? 'on-start' : (options.migrate ?? config.DATABASE_MIGRATE);
    if (mode === 'on-start') {
      await migrateDatabase(config, database, logger);
    } else {
      await database.repository.checkSchema();
      await database.rateLimits.checkSchema();
      await database.webhooks.checkSchema();
      await database.accounts.checkSchema();
    }
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  await Promise.all([store.ensureBucket(config.INPUT_BUCKET), store.ensureBucket(config.OUTPUT_BUCKET)]);
  // The topic is prepared in the background: processes started together
  // (`docker compose up --scale worker=3`) race to create it, and the API
  // serves /healthz meanwhile while /readyz reports the queue as not ready.
  const queuePreparation = new AbortController();
  const queueReady = prepareQueue(queue.publisher, logger, queuePreparation.signal);
  // The events topic too; until it is ready, changes are dropped (logged) and streams see the next one.
  void prepareQueue(jobChanges.publisher, logger, queuePreparation.signal);
  dispatcher?.start();
  repair?.start();
  logger.info('infrastructure ready', {
    db: config.DB_BACKEND,
    queue: config.QUEUE_BACKEND,
    storage: config.STORAGE_BACKEND,
  });

  return {
    repository: jobs,
    webhooks: database.webhooks,
    webhookPolicy,
    accounts: database.accounts,
    rateLimits: measuredDatabase('rate_limits', database.rateLimits, options.metrics),
    store,
    publisher: queue.publisher,
    jobChanges,
    createConsumer: () => queue.createConsumer(),
    queueReady,
    close: async () => {
      queuePreparation.abort();
      await Promise.all([dispatcher?.stop(), repair?.stop()]);
      const results = await Promise.allSettled([
        queue.publisher.close(),
        jobChanges.publisher.close(),
        database.close(),
        store.close(),
      ]);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * The database migration: what `npm run db:migrate` runs, and every start
 * with DATABASE_MIGRATE=on-start. Creates the table or indexes of the jobs
 * and the rate limits, runs the backfills (active_owner), then checks the
 * result as a manual-mode start would. Idempotent; safe from several
 * processes at once. Logs each step.
 */
export async function migrateDatabase(config: AppConfig, database: RepositoryHandle, logger: Logger): Promise<void> {
  const target = {
    db: config.DB_BACKEND,
    compat: config.DB_BACKEND === 'embedded' ? 'dynalite' : config.DATABASE_COMPAT,
    ...(config.DB_BACKEND === 'mongodb'
      ? { database: config.DB_NAME, collection: config.MONGO_JOBS_COLLECTION }
      : { table: config.DYNAMODB_TABLE }),
  };
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    const started = Date.now();
    await run();
    logger.info('migration step done', { step: name, ms: Date.now() - started, ...target });
  };
  await step('jobs schema and backfills', async () => database.repository.init());
  await step('rate-limit schema', async () => database.rateLimits.init());
  await step('webhook schema', async () => database.webhooks.init());
  await step('account schema', async () => database.accounts.init());
  await step('schema check', async () => {
    await database.repository.checkSchema();
    await database.rateLimits.checkSchema();
    await database.webhooks.checkSchema();
    await database.accounts.checkSchema();
  });
}

const QUEUE_RETRY_INITIAL_MS = 1_000;
const QUEUE_RETRY_MAX_MS = 30_000;

/**
 * Calls `publisher.init()` until it succeeds or `signal` aborts, backing off
 * between attempts. Kafka being unreachable or slow to elect leaders is a
 * state to report (readiness), not a reason to exit.
 */
async function prepareQueue(publisher: Pick<JobPublisher, 'init'>, logger: Logger, signal: AbortSignal): Promise<void> {
  let delayMs = QUEUE_RETRY_INITIAL_MS;
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      await publisher.init();
      if (attempt > 1) logger.info('queue ready', { attempts: attempt });
      return;
    } catch (error) {
      if (signal.aborted) break;
      logger.warn('queue not ready yet; retrying', { attempt, retryInMs: delayMs, error: errorMessage(error) });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    delayMs = Math.min(QUEUE_RETRY_MAX_MS, delayMs * 2);
  }
  // Closed before the queue was ready: whoever awaits readiness waits for ever, as the process is stopping.
  await new Promise<never>(() => undefined);
}
