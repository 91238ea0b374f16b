import { errorMessage } from '@mediaflow/domain';
import { createJobRepository } from '@mediaflow/repository';
import { bootConfig, migrateDatabase } from '@mediaflow/runtime';

/**
 * `npm run db:migrate`: creates the jobs table or collection indexes and the
 * rate limits' schema, runs the backfills, and exits 0; each step is logged
 * as JSON. With DATABASE_MIGRATE=manual (the default), run it once per deploy
 * before the api and worker start (docker-compose.yml's `migrate` service).
 */
async function main(): Promise<void> {
  const { config, logger } = bootConfig('migrate');
  const database = await createJobRepository(config);
  try {
    logger.info('migration started', { db: config.DB_BACKEND, compat: config.DATABASE_COMPAT });
    await migrateDatabase(config, database, logger);
    logger.info('migration finished', { db: config.DB_BACKEND });
  } finally {
    await database.close();
  }
}

main().then(
  () => {
    process.exitCode = 0;
    // Let the logs flush; a client that keeps a socket open must not keep the process.
    setTimeout(() => process.exit(0), 2_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`migrate failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
