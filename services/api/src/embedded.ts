// First: with tracing on, instrumentation must patch node:http and express before they load.
import { tracing } from './instrumentation-embedded';
import { checkFfmpeg } from '@mediaflow/media';
import { OPERATIONS } from '@mediaflow/operations';
import {
  bootConfig,
  createInfrastructure,
  exitOnStartupFailure,
  PrometheusMetrics,
  ShutdownCoordinator,
} from '@mediaflow/runtime';
import { warnIfTranscriptionMissing, Worker } from '@mediaflow/worker';
import { createApp, eventHubLimits } from './app';
import { JobEventHub } from './events/event-hub';
import { resolveAuth } from './auth/resolve-auth';
import { listen } from './server';
import { startUploadSweeper } from './uploads/upload-sweeper';

/**
 * `npm start`: the API and one worker in a single process, on whatever the
 * environment selects. With nothing configured that is the embedded mode: a
 * DynamoDB-compatible store under DATA_DIR, a local-disk object store and an
 * in-process queue.
 */
async function main(): Promise<void> {
  const { config, logger } = bootConfig('mediaflow');
  if (tracing.settings.enabled) logger.info('tracing on', { ...tracing.settings });
  const ffmpeg = await checkFfmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  logger.info('ffmpeg found', { version: ffmpeg.version });
  // Named now, once, rather than discovered by the first transcribe job.
  await warnIfTranscriptionMissing(config, logger);
  if (config.QUEUE_BACKEND === 'memory' && config.DB_BACKEND !== 'embedded') {
    logger.warn('in-process queue with a shared database: run only one process this way');
  }

  // One process: it migrates the database itself, whatever DATABASE_MIGRATE says.
  // One process, one registry: the API's /metrics reports the worker's jobs too.
  const metrics = new PrometheusMetrics({ operations: OPERATIONS.map((operation) => operation.name) });
  const infrastructure = await createInfrastructure(config, logger, { migrate: 'on-start', metrics });
  const shutdown = new ShutdownCoordinator(logger, config.SHUTDOWN_TIMEOUT_MS);
  const worker = new Worker({
    infrastructure,
    config,
    logger,
    metrics,
    onFatal: () => void shutdown.shutdown('fatal error').finally(() => process.exit(1)),
  });
  // The in-process change feed (QUEUE_BACKEND=memory) or the events topic, as the queue is.
  const events = new JobEventHub({ ...eventHubLimits(config), feed: infrastructure.jobChanges.createFeed(), logger });
  events.start();
  metrics.watchEventStreams(() => events.openStreams);
  const server = await listen(
    createApp({
      config,
      infrastructure,
      logger,
      ...resolveAuth(config, logger, { openByDefault: true }),
      metrics,
      events,
      ffmpegVersion: ffmpeg.version,
    }),
    config.PORT,
    config.HOST,
  );
  // First: open event streams would hold the server's close.
  shutdown.add('event streams', async () => events.close());
  shutdown.add('http server', async () => server.close());
  const sweeper = startUploadSweeper({
    config,
    store: infrastructure.store,
    rateLimits: infrastructure.rateLimits,
    logger,
    intervalSeconds: config.UPLOAD_SWEEP_INTERVAL_SECONDS,
  });
  shutdown.add('upload sweeper', async () => sweeper.stop());
  shutdown.add('worker', async () => worker.stop());
  shutdown.add('infrastructure', async () => infrastructure.close());
  // Last: spans of the work stopped above are still exported.
  shutdown.add('tracing', async () => tracing.shutdown());
  shutdown.installSignalHandlers();
  await worker.start();
  logger.info('mediaflow running', {
    url: `http://localhost:${server.port}`,
    db: config.DB_BACKEND,
    queue: config.QUEUE_BACKEND,
    storage: config.STORAGE_BACKEND,
    dataDir: config.DATA_DIR,
  });
}

// One line for what an operator can fix (port in use, bad key entry, dependency down); a stack for bugs.
main().catch((error: unknown) => exitOnStartupFailure('mediaflow', error));
