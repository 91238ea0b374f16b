import { checkFfmpeg } from '@mediaflow/media';
import { bootConfig, createInfrastructure, ShutdownCoordinator } from '@mediaflow/runtime';
import { Worker } from './worker';

async function main(): Promise<void> {
  const { config, logger } = bootConfig('worker');
  const ffmpeg = await checkFfmpeg({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
  logger.info('ffmpeg found', { version: ffmpeg.version });

  const infrastructure = await createInfrastructure(config, logger);
  const shutdown = new ShutdownCoordinator(logger, config.SHUTDOWN_TIMEOUT_MS);
  const worker = new Worker({
    infrastructure,
    config,
    logger,
    onFatal: () => void shutdown.shutdown('fatal error').finally(() => process.exit(1)),
  });
  // Order matters: stop consuming (which aborts and hands back the job in
  // flight) before closing the clients that job needs to hand itself back.
  shutdown.add('worker', async () => worker.stop());
  shutdown.add('infrastructure', async () => infrastructure.close());
  shutdown.installSignalHandlers();
  await worker.start();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
