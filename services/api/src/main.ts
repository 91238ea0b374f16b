import { bootConfig, createInfrastructure, ShutdownCoordinator } from '@mediaflow/runtime';
import { createApp } from './app';
import { resolveAuth } from './auth/resolve-auth';
import { listen } from './server';

async function main(): Promise<void> {
  const { config, logger } = bootConfig('api');
  const auth = resolveAuth(config, logger, { openByDefault: false });
  const infrastructure = await createInfrastructure(config, logger);
  const server = await listen(createApp({ config, infrastructure, logger, ...auth }), config.PORT, config.HOST);
  logger.info('api listening', { port: server.port });

  const shutdown = new ShutdownCoordinator(logger, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add('http server', async () => server.close());
  shutdown.add('infrastructure', async () => infrastructure.close());
  shutdown.installSignalHandlers();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `api failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
