// First: with tracing on, instrumentation must patch node:http and express before they load.
import { tracing } from './instrumentation';
import { checkFfmpeg } from '@mediaflow/media';
import { errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { OPERATIONS } from '@mediaflow/operations';
import {
  bootConfig,
  createInfrastructure,
  exitOnStartupFailure,
  PrometheusMetrics,
  ShutdownCoordinator,
} from '@mediaflow/runtime';
import { createApp, eventHubLimits } from './app';
import { JobEventHub } from './events/event-hub';
import { resolveAuth } from './auth/resolve-auth';
import { listen } from './server';
import { startUploadSweeper } from './uploads/upload-sweeper';

async function main(): Promise<void> {
  const { config, logger } = bootConfig('api');
  if (tracing.settings.enabled) logger.info('tracing on', { ...tracing.settings });
  const auth = resolveAuth(config, logger, { openByDefault: false });
  const ffmpegVersion = await ffmpegVersionForReuse(
    config.RESULT_REUSE_SCOPE,
    config.FFMPEG_PATH,
    config.FFPROBE_PATH,
    logger,
  );
  const metrics = new PrometheusMetrics({ operations: OPERATIONS.map((operation) => operation.name) });
  const infrastructure = await createInfrastructure(config, logger, { metrics });
  const events = new JobEventHub({ ...eventHubLimits(config), feed: infrastructure.jobChanges.createFeed(), logger });
  events.start();
  metrics.watchEventStreams(() => events.openStreams);
  const server = await listen(
    createApp({
      config,
      infrastructure,
      logger,
      metrics,
      events,
      ...auth,
      ...(ffmpegVersion === undefined ? {} : { ffmpegVersion }),
    }),
    config.PORT,
    config.HOST,
  );
  logger.info('api listening', { port: server.port });

  const shutdown = new ShutdownCoordinator(logger, config.SHUTDOWN_TIMEOUT_MS);
  // First: open event streams would hold the server's close; their clients reconnect to another replica.
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
  shutdown.add('infrastructure', async () => infrastructure.close());
  // Last: spans of the work stopped above are still exported.
  shutdown.add('tracing', async () => tracing.shutdown());
  shutdown.installSignalHandlers();
}

/**
 * Result reuse keys include the FFmpeg version, so a new build never serves
 * results of the old one. The API itself runs no FFmpeg: where it has none,
 * reuse is off (with a warning) rather than the API refusing to start.
 */
async function ffmpegVersionForReuse(
  scope: string,
  ffmpegPath: string,
  ffprobePath: string,
  logger: Logger,
): Promise<string | undefined> {
  if (scope === 'off') return undefined;
  try {
    return (await checkFfmpeg({ ffmpegPath, ffprobePath }, [])).version;
  } catch (error) {
    logger.warn('ffmpeg not found; result reuse is off', { error: errorMessage(error) });
    return undefined;
  }
}

// One line for what an operator can fix (port in use, bad key entry, dependency down); a stack for bugs.
main().catch((error: unknown) => exitOnStartupFailure('api', error));
