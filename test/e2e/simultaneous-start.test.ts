import { randomUUID } from 'node:crypto';
import { freePort, startService, waitFor } from '../support/processes';
import type { ServiceProcess } from '../support/processes';

/**
 * `docker compose up --scale worker=3` on a first start: one API and three
 * workers start at the same moment against a topic that does not exist yet.
 * They race to create it; the losers see TOPIC_ALREADY_EXISTS or a topic whose
 * partitions have no leader yet ("This server does not host this
 * topic-partition"). Every one must wait and come up, none may exit. Ten
 * rounds, each with a fresh topic, because the race is lost only sometimes.
 */

const ROUNDS = 10;
const WORKERS = 3;

async function ready(url: string): Promise<boolean | undefined> {
  const response = await fetch(url).catch(() => undefined);
  return response?.status === 200 ? true : undefined;
}

async function oneRound(round: number): Promise<void> {
  const runId = randomUUID().slice(0, 8);
  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DB_BACKEND: 'mongodb',
    DB_NAME: `start_${runId}`,
    KAFKA_TOPIC: `start.jobs.${runId}`,
    KAFKA_CONSUMER_GROUP: `start-workers-${runId}`,
    KAFKA_PARTITIONS: '6',
    OUTPUT_PREFIX: `start/${runId}/`,
    AUTH_DISABLED: 'true',
    // Each process migrates its fresh database as it starts, all at once, like the topic.
    DATABASE_MIGRATE: 'on-start',
  };
  const workerPorts = await Promise.all(Array.from({ length: WORKERS }, async () => freePort()));
  // All at once: nothing waits for anything before the last process is spawned.
  const processes: ServiceProcess[] = [
    startService(`api-${round}`, 'services/api/dist/main.js', { ...env, PORT: String(apiPort) }),
    ...workerPorts.map((port, index) =>
      startService(`worker${index + 1}-${round}`, 'services/worker/dist/main.js', {
        ...env,
        WORKER_ID: `worker${index + 1}-${runId}`,
        WORKER_METRICS_PORT: String(port),
        WORKER_METRICS_HOST: '127.0.0.1',
      }),
    ),
  ];
  const exited = processes.map(() => false);
  processes.forEach((service, index) => void service.exited.then(() => (exited[index] = true)));
  const logs = (): string =>
    processes.map((service) => `----- ${service.name}\n${service.output().slice(-8_000)}`).join('\n');
  try {
    const everyoneReady = async (): Promise<boolean | undefined> => {
      const gone = processes.filter((_, index) => exited[index]).map((service) => service.name);
      if (gone.length > 0) throw new Error(`exited while starting: ${gone.join(', ')}`);
      const checks = await Promise.all([
        ready(`http://127.0.0.1:${apiPort}/readyz`),
        ...workerPorts.map(async (port) => ready(`http://127.0.0.1:${port}/readyz`)),
      ]);
      const joined = processes.slice(1).every((worker) => worker.output().includes('worker started'));
      return checks.every(Boolean) && joined ? true : undefined;
    };
    await waitFor(`round ${round}: the API and ${WORKERS} workers to be ready`, everyoneReady, {
      timeoutMs: 120_000,
      intervalMs: 250,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${logs()}`);
    });
    for (const service of processes) {
      expect(service.output()).not.toContain('failed to start');
      expect(service.output()).not.toContain('TimeoutNegativeWarning');
    }
  } finally {
    await Promise.all(processes.map(async (service) => service.stop()));
  }
}

describe('processes started together against a topic nobody created yet', () => {
  it(`come up together, ${ROUNDS} times in a row`, async () => {
    for (let round = 1; round <= ROUNDS; round += 1) await oneRound(round);
  }, 1_800_000);
});
