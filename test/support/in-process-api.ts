import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig } from '@mediaflow/domain';
import type { AppConfig } from '@mediaflow/domain';
import { createInfrastructure } from '@mediaflow/runtime';
import type { Infrastructure } from '@mediaflow/runtime';
import { createApp } from '../../services/api/src/app';
import { hashApiKey, parseApiKeys } from '../../services/api/src/auth/api-keys';
import { listen } from '../../services/api/src/server';
import { dropDynamoTables } from './dynamo-tables';
import { TEST_KEYS } from './system';

/**
 * The real API app (createApp) in this process, on a free port, over the real
 * database and object store that scripts/services.sh runs (or the local-disk
 * store), for tests that need to stage records and objects directly.
 */

export interface InProcessApi {
  base: string;
  config: AppConfig;
  infrastructure: Infrastructure;
  /** Stops it; on DynamoDB also deletes its tables, unless `keepTables` (a restart on the same tables follows). */
  close(options?: { keepTables?: boolean }): Promise<void>;
}

/** A signing secret for tests that also mint tokens themselves (expired ones, say). */
export const TEST_PLAYBACK_SECRET = `test-playback-secret-${randomBytes(16).toString('hex')}`;

export async function startInProcessApi(env: NodeJS.ProcessEnv): Promise<InProcessApi> {
  const local = env.STORAGE_BACKEND === 'local';
  const dataDir = local ? await mkdtemp(path.join(os.tmpdir(), 'mediaflow-api-data-')) : undefined;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DB_BACKEND: 'mongodb',
    QUEUE_BACKEND: 'memory',
    STORAGE_BACKEND: 's3',
    PLAYBACK_SIGNING_SECRET: TEST_PLAYBACK_SECRET,
    // Its own database, which nobody migrated.
    DATABASE_MIGRATE: 'on-start',
    ...(dataDir === undefined ? {} : { DATA_DIR: dataDir }),
    ...env,
  });
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'in-process-api' });
  const infrastructure = await createInfrastructure(config, logger);
  // Tests submit at once; the topic is prepared in the background.
  await infrastructure.queueReady;
  const apiKeys = parseApiKeys(
    [
      `root:${hashApiKey(TEST_KEYS.admin)}:admin`,
      `alice:${hashApiKey(TEST_KEYS.alice)}`,
      `bob:${hashApiKey(TEST_KEYS.bob)}`,
    ].join(','),
  );
  const server = await listen(
    createApp({ config, infrastructure, logger, apiKeys, authDisabled: false }),
    0,
    '127.0.0.1',
  );
  return {
    base: `http://127.0.0.1:${server.port}`,
    config,
    infrastructure,
    close: async (options = {}) => {
      await server.close();
      await infrastructure.close();
      // DynamoDB Local starves its index builds when too many tables with time to live remain (see dropDynamoTables).
      if (config.DB_BACKEND === 'dynamodb' && !options.keepTables) await dropDynamoTables(config.DYNAMODB_TABLE);
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
