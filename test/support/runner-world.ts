import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@mediaflow/domain';
import type { AppConfig } from '@mediaflow/domain';
import { createJobRepository } from '@mediaflow/repository';
import type { JobRepository, RepositoryHandle } from '@mediaflow/repository';
import { createObjectStore } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';

/**
 * What a JobRunner test runs against, wired as the embedded mode wires it:
 * a fresh DATA_DIR, the DynamoDB adapter on dynalite (migrated), the local
 * object store with the input and output buckets, and WORK_DIR made.
 */
export interface RunnerWorld {
  dataDir: string;
  appConfig: AppConfig;
  database: RepositoryHandle;
  repository: JobRepository;
  store: ObjectStore;
  /** Closes the database and the store and removes DATA_DIR. */
  close(): Promise<void>;
}

/**
 * @param name Part of the temporary directory's name, to tell runs apart.
 * @param env Settings beside DATA_DIR and WORK_DIR (PROGRESS_INTERVAL_MS defaults to 100 ms, so stops are quick).
 */
export async function openRunnerWorld(name: string, env: Record<string, string> = {}): Promise<RunnerWorld> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `mediaflow-${name}-`));
  const appConfig = loadConfig({
    DATA_DIR: dataDir,
    WORK_DIR: path.join(dataDir, 'work'),
    PROGRESS_INTERVAL_MS: '100',
    ...env,
  });
  await mkdir(appConfig.WORK_DIR, { recursive: true });
  const database = await createJobRepository(appConfig);
  await database.repository.init();
  const store = createObjectStore(appConfig);
  await store.ensureBucket(appConfig.INPUT_BUCKET);
  await store.ensureBucket(appConfig.OUTPUT_BUCKET);
  return {
    dataDir,
    appConfig,
    database,
    repository: database.repository,
    store,
    close: async () => {
      await database.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
