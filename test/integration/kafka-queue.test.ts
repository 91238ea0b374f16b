import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import winston from 'winston';
import { AppError } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { KafkaJobConsumer, KafkaJobPublisher, ParallelJobConsumers } from '@mediaflow/queue';
import type { DeliveryContext, DeliveryOutcome, JobMessage, KafkaJobConsumerOptions } from '@mediaflow/queue';
import { REPO_ROOT, waitFor } from '../support/processes';

/**
 * The Kafka adapters against the real broker. Every test has its own topic
 * and consumer group. Timeouts are short so group joins and expiries take
 * seconds: the broker's minimum session timeout is 6 s.
 */

jest.setTimeout(120_000);

const BROKERS = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '').split(',');
const SESSION_TIMEOUT_MS = 6_000;

const logLines: string[] = [];
const logger: Logger = winston.createLogger({
  level: 'warn',
  format: winston.format.json(),
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logLines.push(chunk.toString('utf8'));
          callback();
        },
      }),
    }),
  ],
});

let admin: Admin;
const topics: string[] = [];
const groups: string[] = [];
const running = new Set<{ stop(): Promise<void> }>();

function names(label: string): { topic: string; groupId: string } {
  const suffix = randomUUID().slice(0, 8);
  const unique = { topic: `mf-test.${label}.${suffix}`, groupId: `mf-test-${label}-${suffix}` };
  topics.push(unique.topic);
  groups.push(unique.groupId);
  return unique;
}

function publisherFor(topic: string, partitions = 12): KafkaJobPublisher {
  const publisher = new KafkaJobPublisher({ brokers: BROKERS, clientId: 'mf-test', logger, topic, partitions });
  running.add({ stop: async () => publisher.close() });
  return publisher;
}

interface Delivery {
  jobId: string;
  at: number;
}

type TestHandler = (message: JobMessage, context: DeliveryContext) => Promise<DeliveryOutcome>;

/** A consumer that records what it was handed. */
class RecordingConsumer {
  readonly deliveries: Delivery[] = [];
  readonly consumer: KafkaJobConsumer;

  constructor(topic: string, groupId: string, overrides: Partial<KafkaJobConsumerOptions> = {}) {
    this.consumer = new KafkaJobConsumer({
      brokers: BROKERS,
      clientId: 'mf-test',
      logger,
      topic,
      groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      retryDelayMs: 200,
      maxWaitTimeMs: 200,
      ...overrides,
    });
    running.add(this);
  }

  async start(handler: TestHandler = async () => Promise.resolve('done')): Promise<void> {
    await this.consumer.start(async (message, context) => {
      this.deliveries.push({ jobId: message.job_id, at: Date.now() });
      return handler(message, context);
    });
  }

  async stop(): Promise<void> {
    running.delete(this);
    await this.consumer.stop();
  }

  jobIds(): string[] {
    return this.deliveries.map((delivery) => delivery.jobId);
  }
}

/** Partition of each published job, as the broker reports it. */
async function partitionsByJob(topic: string): Promise<Map<string, number>> {
  const kafka = new Kafka({ clientId: 'mf-test-reader', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const reader = kafka.consumer({ groupId: `mf-test-reader-${randomUUID()}` });
  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((sum, entry) => sum + Number(entry.high) - Number(entry.low), 0);
  const found = new Map<string, number>();
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const done = new Promise<void>((resolve) => {
    void reader.run({
      eachMessage: async ({ partition, message }) => {
        found.set(message.key?.toString() ?? '', partition);
        seen += 1;
        if (seen >= total) resolve();
        return Promise.resolve();
      },
    });
  });
  await done;
  await reader.disconnect();
  return found;
}

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((partition) => [partition.partition, Number(partition.offset)]));
}

async function highWatermarks(topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
}

async function waitForMembers(groupId: string, count: number): Promise<void> {
  await waitFor(
    `${count} stable member(s) in ${groupId}`,
    async () => {
      const { groups: described } = await admin.describeGroups([groupId]);
      const group = described[0];
      return group?.state === 'Stable' && group.members.length === count ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function until(description: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  await waitFor(description, async () => Promise.resolve(predicate() ? true : undefined), {
    timeoutMs,
    intervalMs: 50,
  });
}

async function delay(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

beforeAll(async () => {
  admin = new Kafka({ clientId: 'mf-test-admin', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

afterEach(async () => {
  await Promise.allSettled([...running].map(async (entry) => entry.stop()));
  running.clear();
});

afterAll(async () => {
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('KafkaJobPublisher', () => {
  it('creates the topic with the configured partitions, and init is idempotent and race-safe', async () => {
    const { topic } = names('init');
    const first = publisherFor(topic, 12);
    const second = publisherFor(topic, 12);
    await Promise.all([first.init(), second.init()]);
    await first.init();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(12);
    await first.ping();
  });

  it('publishes a JSON message keyed by job id', async () => {
    const { topic } = names('wire');
    const publisher = publisherFor(topic, 3);
    await publisher.init();
    await publisher.publish({ job_id: 'job-wire-1' });

    const kafka = new Kafka({ clientId: 'mf-test-reader', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const reader = kafka.consumer({ groupId: `mf-test-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string }>((resolve) => {
      void reader.run({
        eachMessage: async ({ message }) => {
          resolve({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          return Promise.resolve();
        },
      });
    });
    await reader.disconnect();
    expect(received.key).toBe('job-wire-1');
    expect(JSON.parse(received.value)).toEqual({ job_id: 'job-wire-1' });
  });

  it('publishes a batch in one send, keyed by job id and spread evenly over the partitions', async () => {
    const { topic } = names('batch');
    const publisher = publisherFor(topic, 3);
    await publisher.init();
    const ids = Array.from({ length: 60 }, (_, index) => `job-batch-${index}`);
    await publisher.publishMany([]);
    await publisher.publishMany(ids.map((job_id) => ({ job_id })));

    const kafka = new Kafka({ clientId: 'mf-test-reader', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const reader = kafka.consumer({ groupId: `mf-test-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const received = new Map<string, string>();
    await new Promise<void>((resolve) => {
      void reader.run({
        eachMessage: async ({ message }) => {
          received.set(message.key?.toString() ?? '', message.value?.toString() ?? '');
          if (received.size === ids.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await reader.disconnect();
    expect([...received.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(JSON.parse(received.get(id) ?? '')).toEqual({ job_id: id });
    // In turn over the partitions, not by a hash of the id: each of the 3 holds exactly a third.
    const perPartition = new Map<number, number>();
    for (const partition of (await partitionsByJob(topic)).values()) {
      perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
    }
    expect([...perPartition.values()]).toEqual([20, 20, 20]);
  });

  it('fails with QUEUE_ERROR within seconds when the broker is unreachable', async () => {
    const publisher = new KafkaJobPublisher({
      brokers: ['127.0.0.1:1'],
      clientId: 'mf-test',
      logger,
      topic: 'mf-test.unreachable',
    });
    const started = Date.now();
    await expect(publisher.publish({ job_id: 'lost' })).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
    await expect(publisher.publishMany([{ job_id: 'lost-1' }, { job_id: 'lost-2' }])).rejects.toMatchObject({
      code: 'QUEUE_ERROR',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(publisher.ping()).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
    await expect(publisher.init()).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
    expect(Date.now() - started).toBeLessThan(30_000);
    await publisher.close();
    await expect(publisher.publish({ job_id: 'after-close' })).rejects.toBeInstanceOf(AppError);
  });
});

describe('KafkaJobConsumer', () => {
  it('splits the partitions between two members of a group, handling every message once', async () => {
    const { topic, groupId } = names('split');
    const publisher = publisherFor(topic, 12);
    await publisher.init();
    const one = new RecordingConsumer(topic, groupId);
    const two = new RecordingConsumer(topic, groupId);
    const slowly = async (): Promise<DeliveryOutcome> => {
      await delay(20);
      return 'done';
    };
    await Promise.all([one.start(slowly), two.start(slowly)]);
    await waitForMembers(groupId, 2);

    const jobIds = Array.from({ length: 40 }, (_, index) => `split-${index}-${randomUUID().slice(0, 6)}`);
    for (const jobId of jobIds) await publisher.publish({ job_id: jobId });
    await until('all 40 messages handled', () => one.deliveries.length + two.deliveries.length >= 40);
    await delay(1_000);
    const partitionOf = await partitionsByJob(topic);
    const lookup = (jobId: string): number => partitionOf.get(jobId) ?? -1;

    const counts = countBy([...one.jobIds(), ...two.jobIds()]);
    expect([...counts.keys()].sort()).toEqual([...jobIds].sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(one.deliveries.length).toBeGreaterThan(0);
    expect(two.deliveries.length).toBeGreaterThan(0);
    const partitionsOne = new Set(one.jobIds().map(lookup));
    const partitionsTwo = new Set(two.jobIds().map(lookup));
    expect([...partitionsOne].filter((partition) => partitionsTwo.has(partition))).toEqual([]);
    expect(partitionsOne.has(-1) || partitionsTwo.has(-1)).toBe(false);
  });

  describe('a worker killed mid-job', () => {
    beforeAll(() => {
      // The child runs the built package, exactly as a deployed worker would.
      execFileSync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/queue'],
        {
          cwd: REPO_ROOT,
          stdio: 'inherit',
        },
      );
    });

    it('has its message redelivered to another member and finished exactly once', async () => {
      const { topic, groupId } = names('crash');
      const publisher = publisherFor(topic, 1);
      await publisher.init();
      await publisher.publish({ job_id: 'crash-job' });

      const child: ChildProcess = spawn(
        process.execPath,
        [path.join(REPO_ROOT, 'test/support/kafka-crash-consumer.js')],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, TEST_TOPIC: topic, TEST_GROUP: groupId, TEST_PARTITIONS: '1' },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        const lines = createInterface({ input: child.stdout! });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the child never received the job')), 30_000);
          lines.on('line', (line) => {
            if (line === 'HANDLING crash-job') {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const killedAt = Date.now();

      const survivor = new RecordingConsumer(topic, groupId);
      let completions = 0;
      await survivor.start(async () => {
        completions += 1;
        return Promise.resolve('done');
      });
      await until('the job to be redelivered', () => completions > 0, 45_000);
      // The dead member kept the partition until its session expired.
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1_500);
      await delay(1_500);
      expect(survivor.jobIds()).toEqual(['crash-job']);
      expect(completions).toBe(1);
      await survivor.stop();

      const high = await highWatermarks(topic);
      expect((await committedOffsets(groupId, topic)).get(0)).toBe(high.get(0));

      const latecomer = new RecordingConsumer(topic, groupId);
      await latecomer.start();
      await waitForMembers(groupId, 1);
      await delay(2_000);
      expect(latecomer.deliveries).toEqual([]);
    });
  });

  it('delivers a message again to the same consumer after retry or a throw, and not after done', async () => {
    const { topic, groupId } = names('retry');
    const publisher = publisherFor(topic, 2);
    await publisher.init();
    const consumer = new RecordingConsumer(topic, groupId);
    let attempts = 0;
    await consumer.start(async (message) => {
      await delay(10);
      if (message.job_id !== 'retry-job') return 'done';
      attempts += 1;
      if (attempts === 1) return 'retry';
      if (attempts === 2) throw new AppError('DATABASE_ERROR', 'database is down');
      return 'done';
    });
    await publisher.publish({ job_id: 'retry-job' });
    await until('three attempts', () => attempts >= 3);
    const times = consumer.deliveries.map((delivery) => delivery.at);
    // Redelivered after the retry pause, well before any session could expire.
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(150);
    expect(times[2] - times[0]).toBeLessThan(SESSION_TIMEOUT_MS);
    await publisher.publish({ job_id: 'after' });
    await until('the next message', () => consumer.jobIds().includes('after'));
    expect(consumer.jobIds()).toEqual(['retry-job', 'retry-job', 'retry-job', 'after']);
    expect(logLines.some((line) => line.includes('job handler failed'))).toBe(true);
    await consumer.stop();

    const restarted = new RecordingConsumer(topic, groupId);
    await restarted.start();
    await waitForMembers(groupId, 1);
    await delay(2_000);
    expect(restarted.deliveries).toEqual([]);
  });

  it('aborts the handler on stop and leaves its message uncommitted for the next member', async () => {
    const { topic, groupId } = names('stop');
    const publisher = publisherFor(topic, 1);
    await publisher.init();
    const first = new RecordingConsumer(topic, groupId);
    let seen: DeliveryContext | undefined;
    let handlerReturned = false;
    await first.start(async (_message, context) => {
      seen = context;
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      await delay(300);
      handlerReturned = true;
      return 'retry';
    });
    await publisher.publish({ job_id: 'interrupted' });
    await until('the handler to start', () => seen !== undefined);
    await seen!.heartbeat();
    await first.stop();
    expect(seen!.signal.aborted).toBe(true);
    expect(handlerReturned).toBe(true);
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(-1);

    const second = new RecordingConsumer(topic, groupId);
    await second.start();
    await until('the message again', () => second.deliveries.length > 0, 20_000);
    expect(second.jobIds()).toEqual(['interrupted']);
    await delay(500);
    expect((await committedOffsets(groupId, topic)).get(0)).toBe(1);
  });

  it('as two members in one worker, runs jobs of two partitions at once, and stop aborts both uncommitted', async () => {
    const { topic, groupId } = names('parallel');
    const publisher = publisherFor(topic, 2);
    await publisher.init();
    const lanes = [new RecordingConsumer(topic, groupId), new RecordingConsumer(topic, groupId)];
    const parallel = new ParallelJobConsumers(lanes.map((lane) => lane.consumer));
    running.add(parallel);
    let active = 0;
    let mostActive = 0;
    const seen: string[] = [];
    const aborted: string[] = [];
    await parallel.start(async (message, context) => {
      seen.push(message.job_id);
      active += 1;
      mostActive = Math.max(mostActive, active);
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      aborted.push(message.job_id);
      active -= 1;
      return 'retry';
    });
    await waitForMembers(groupId, 2);
    const jobIds = Array.from({ length: 8 }, (_, index) => `parallel-${index}-${randomUUID().slice(0, 6)}`);
    for (const jobId of jobIds) {
      await publisher.publish({ job_id: jobId });
      // One at a time, so a long job on one partition cannot hide the other's.
      await delay(100);
    }
    const partitionOf = await partitionsByJob(topic);
    // Both partitions must hold work for the test to mean anything; with 8
    // random keys the chance of one empty partition is 1 in 128.
    expect(new Set(jobIds.map((jobId) => partitionOf.get(jobId))).size).toBe(2);

    await until('two jobs running at once', () => active === 2);
    await delay(500);
    expect(mostActive).toBe(2);
    // The first message of each partition, and nothing behind them.
    const firstOf = (partition: number): string => jobIds.find((jobId) => partitionOf.get(jobId) === partition)!;
    expect([...seen].sort()).toEqual([firstOf(0), firstOf(1)].sort());

    await parallel.stop();
    expect([...aborted].sort()).toEqual([firstOf(0), firstOf(1)].sort());
    const committed = await committedOffsets(groupId, topic);
    expect([committed.get(0) ?? -1, committed.get(1) ?? -1]).toEqual([-1, -1]);
  });

  it('keeps its membership through a job longer than the session timeout by heartbeating', async () => {
    const { topic, groupId } = names('long');
    const publisher = publisherFor(topic, 1);
    await publisher.init();
    const consumer = new RecordingConsumer(topic, groupId);
    await consumer.start(async (_message, context) => {
      const until = Date.now() + SESSION_TIMEOUT_MS + 2_000;
      while (Date.now() < until) {
        await delay(500);
        await context.heartbeat();
      }
      return 'done';
    });
    await publisher.publish({ job_id: 'long-job' });
    await waitFor(
      'the long job to finish',
      async () => ((await committedOffsets(groupId, topic)).get(0) === 1 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    await delay(1_000);
    expect(consumer.jobIds()).toEqual(['long-job']);
  });

  it('commits past a message that is not a job message and goes on', async () => {
    const { topic, groupId } = names('poison');
    const publisher = publisherFor(topic, 1);
    await publisher.init();
    const producer = new Kafka({ clientId: 'mf-test-raw', brokers: BROKERS, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'x', value: 'this is not json' }] });
    await producer.disconnect();
    await publisher.publish({ job_id: 'healthy' });

    const consumer = new RecordingConsumer(topic, groupId);
    await consumer.start();
    await until('the healthy message', () => consumer.deliveries.length > 0);
    expect(consumer.jobIds()).toEqual(['healthy']);
    await waitFor('the commit', async () => ((await committedOffsets(groupId, topic)).get(0) === 2 ? true : undefined));
    expect(logLines.some((line) => line.includes('not a job message'))).toBe(true);
  });
});
