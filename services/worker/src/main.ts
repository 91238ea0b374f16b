// First: with tracing on, instrumentation must patch node:http and express before they load.
import { tracing } from './instrumentation';
import { checkFfmpeg } from '@mediaflow/media';
import { OPERATIONS } from '@mediaflow/operations';
import {
  bootConfig,
  createInfrastructure,
  exitOnStartupFailure,
  PrometheusMetrics,
  ShutdownCoordinator,
} from '@mediaflow/runtime';
import { startWorkerListener } from './ops-listener';
import { warnIfTranscriptionMissing } from './transcription-settings';
import { Worker } from './worker';

async function main(): Promise<void> {
  const { config, logger } = bootConfig('worker');
  if (tracing.settings.enabled) logger.info('tracing on', { ...tracing.settings });
  const ffmpeg = await checkFfmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  logger.info('ffmpeg found', { version: ffmpeg.version });
  // Named now, once, rather than discovered by the first transcribe job.
  await warnIfTranscriptionMissing(config, logger);

  const metrics = new PrometheusMetrics({ operations: OPERATIONS.map((operation) => operation.name) });
  const infrastructure = await createInfrastructure(config, logger, { metrics });
  const shutdown = new ShutdownCoordinator(logger, config.SHUTDOWN_TIMEOUT_MS);
  const worker = new Worker({
    infrastructure,
    config,
    logger,
    metrics,
    onFatal: () => void shutdown.shutdown('fatal error').finally(() => process.exit(1)),
  });
  // Order matters: stop consuming (which aborts and hands back the job in
  // flight) before closing the clients that job needs to hand itself back.
  const listener = await startWorkerListener({ config, logger, infrastructure, metrics });
  shutdown.add('worker', async () => worker.stop());
  // After the worker: a scrape during the drain still sees the last job end.
  shutdown.add('metrics listener', async () => listener.close());
  shutdown.add('infrastructure', async () => infrastructure.close());
  // Last: spans of the work stopped above are still exported.
  shutdown.add('tracing', async () => tracing.shutdown());
  shutdown.installSignalHandlers();
  await worker.start();
}

// One line for what an operator can fix (port in use, bad key entry, dependency down); a stack for bugs.
main().catch((error: unknown) => exitOnStartupFailure('worker', error));
