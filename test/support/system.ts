import { createHash, randomUUID } from 'node:crypto';
import { dropDynamoTables } from './dynamo-tables';
import { ApiClient } from './api-client';
import { freePort, startService, waitFor } from './processes';
import type { ServiceProcess } from './processes';

export type DbBackend = 'mongodb' | 'dynamodb';

/** Keys every test system accepts: an admin and two ordinary keys. */
export const TEST_KEYS = {
  admin: 'mf_test_admin_4f1c9a7e',
  alice: 'mf_test_alice_0b6d2c31',
  bob: 'mf_test_bob_93e8a5d4',
} as const;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const API_KEYS = [
  `root:${sha256(TEST_KEYS.admin)}:admin`,
  `alice:${sha256(TEST_KEYS.alice)}`,
  `bob:${sha256(TEST_KEYS.bob)}`,
].join(',');

export interface RunningSystem {
  api: ServiceProcess;
  workers: ServiceProcess[];
  client: ApiClient;
  env: NodeJS.ProcessEnv;
  startWorker(name: string): Promise<ServiceProcess>;
  /** A worker's metrics and health listener (each worker gets a free WORKER_METRICS_PORT). */
  workerMetricsUrl(worker: ServiceProcess): string;
  /** Takes a stopped or killed worker out of `workers`; its log stays in logs(). */
  retire(worker: ServiceProcess): void;
  /** Every worker this system ever started, retired ones included. */
  everyWorker(): ServiceProcess[];
  stop(): Promise<void>;
  logs(): string;
}

/**
 * Starts an API and N workers as separate processes from the built code,
 * against the real services, isolated from other runs by unique names.
 */
export async function startSystem(options: {
  db: DbBackend;
  workers: number;
  env?: NodeJS.ProcessEnv;
}): Promise<RunningSystem> {
  const runId = randomUUID().slice(0, 8);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    PORT: String(port),
    HOST: '127.0.0.1',
    DB_BACKEND: options.db,
    DB_NAME: `e2e_${runId}`,
    DYNAMODB_TABLE: `e2e-jobs-${runId}`,
    KAFKA_TOPIC: `e2e.jobs.${runId}`,
    KAFKA_CONSUMER_GROUP: `e2e-workers-${runId}`,
    KAFKA_PARTITIONS: '6',
    OUTPUT_PREFIX: `e2e/${runId}/`,
    PROGRESS_INTERVAL_MS: '200',
    API_KEYS,
    SUBMIT_RATE_PER_MINUTE: '100000',
    SUBMIT_BURST: '100000',
    UPLOAD_RATE_PER_MINUTE: '100000',
    UPLOAD_BURST: '100000',
    MAX_ACTIVE_JOBS_PER_KEY: '100000',
    // Tests submit the same clip and recipe again and again to watch it being
    // processed; result reuse would answer those at once. The tests of reuse turn it on.
    RESULT_REUSE_SCOPE: 'off',
    // Every run has its own collection or table, which nobody migrated: the processes do it as they start.
    DATABASE_MIGRATE: 'on-start',
    ...options.env,
  };
  const api = startService('api', 'services/api/dist/main.js', env);
  const client = new ApiClient(`http://127.0.0.1:${port}`, TEST_KEYS.admin);
  const workers: ServiceProcess[] = [];
  const metricsPorts = new Map<ServiceProcess, number>();
  const startWorker = async (name: string): Promise<ServiceProcess> => {
    // Workers share this host: each needs a listener port of its own.
    const metricsPort = await freePort();
    const worker = startService(name, 'services/worker/dist/main.js', {
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      ...env,
      WORKER_ID: `${name}-${runId}`,
    });
    metricsPorts.set(worker, metricsPort);
    workers.push(worker);
    await waitFor(`${name} to join`, () => (worker.output().includes('worker started') ? true : undefined), {
      timeoutMs: 60_000,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${worker.output()}`);
    });
    return worker;
  };
  const retired: ServiceProcess[] = [];
  const retire = (worker: ServiceProcess): void => {
    const index = workers.indexOf(worker);
    if (index >= 0) workers.splice(index, 1);
    retired.push(worker);
  };
  const everyWorker = (): ServiceProcess[] => [...retired, ...workers];
  // kafkajs repeats its rebalance warnings many times a second; they would
  // push the lines that explain a failure out of the tail.
  const logs = (): string =>
    [api, ...everyWorker()]
      .map((service) => {
        const lines = service
          .output()
          .split('\n')
          .filter((line) => !line.includes('The group is rebalancing'));
        return `----- ${service.name}\n${lines.join('\n').slice(-20_000)}`;
      })
      .join('\n');

  try {
    await waitFor(
      'the API to be ready',
      async () => {
        const response = await client.request('GET', '/readyz');
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await Promise.all(Array.from({ length: options.workers }, async (_, index) => startWorker(`worker${index + 1}`)));
  } catch (error) {
    const output = logs();
    await Promise.all([api, ...workers].map(async (service) => service.kill()));
    throw new Error(`${String(error)}\n${output}`);
  }

  return {
    api,
    workers,
    client,
    env,
    startWorker,
    workerMetricsUrl: (worker) => `http://127.0.0.1:${metricsPorts.get(worker) ?? 0}`,
    retire,
    everyWorker,
    logs,
    stop: async () => {
      await Promise.all([api, ...workers].map(async (service) => service.stop()));
      // DynamoDB Local starves its index builds when too many tables with time to live remain (see dropDynamoTables).
      if (env.DB_BACKEND === 'dynamodb') await dropDynamoTables(env.DYNAMODB_TABLE);
    },
  };
}
