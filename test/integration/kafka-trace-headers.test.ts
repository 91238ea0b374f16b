import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import winston from 'winston';
import type { Logger } from '@mediaflow/domain';
import { KafkaJobConsumer, KafkaJobPublisher } from '@mediaflow/queue';
import type { JobMessage } from '@mediaflow/queue';
import { waitFor } from '../support/processes';

/**
 * The trace context of each job travels in its own Kafka message's headers,
 * also when the API's group commit sends many jobs in one produce request.
 */

jest.setTimeout(120_000);

const BROKERS = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '').split(',');
const logger: Logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console()] });

function traceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

describe('trace context in Kafka message headers', () => {
  const suffix = randomUUID().slice(0, 8);
  const topic = `mf-test.trace.${suffix}`;
  const groupId = `mf-test-trace-${suffix}`;
  const publisher = new KafkaJobPublisher({ brokers: BROKERS, clientId: 'mf-test', logger, topic, partitions: 3 });
  const consumer = new KafkaJobConsumer({
    brokers: BROKERS,
    clientId: 'mf-test',
    logger,
    topic,
    groupId,
    partitions: 3,
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    retryDelayMs: 200,
    maxWaitTimeMs: 200,
  });

  afterAll(async () => {
    await consumer.stop();
    await publisher.close();
    const kafka = new Kafka({ clientId: 'mf-test-cleanup', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('gives every message of one batched send its own traceparent and tracestate', async () => {
    await publisher.init();
    const sent: JobMessage[] = [
      { job_id: 'job-a', trace: { traceparent: traceparent(), tracestate: 'vendor=a' } },
      { job_id: 'job-b', trace: { traceparent: traceparent() } },
      { job_id: 'job-c' },
    ];
    await publisher.publishMany(sent);

    const received = new Map<string, JobMessage>();
    await consumer.start(async (message) => {
      received.set(message.job_id, message);
      return Promise.resolve('done');
    });
    await waitFor('every message', () => (received.size === sent.length ? true : undefined), { timeoutMs: 60_000 });
    for (const message of sent) expect(received.get(message.job_id)).toEqual(message);
  });
});
