import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { createKafkaClient } from './kafka-client';
import type { KafkaConnectionOptions } from './kafka-client';
import { ensureTopic } from './kafka-admin';
import { decodeJobChange, encodeJobChange, JobChangeFeed, JobChangePublisher } from './job-events';
import type { FeedStart, JobChange } from './job-events';
import { withDeadline } from './timing';

export interface KafkaJobChangesOptions extends KafkaConnectionOptions {
  /** KAFKA_EVENTS_TOPIC: one partition, so its offsets order every change. */
  topic: string;
  /** KAFKA_EVENTS_RETENTION_MS, set on the topic when this creates it. */
  retentionMs: number;
  replicationFactor?: number;
}

/** Changes are announcements: a few short retries, then the next change is the news. */
const RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 };
const SEND_TIMEOUT_MS = 5_000;
/** Changes waiting while Kafka is slow or away; above this the oldest are dropped (readers see the next). */
const MAX_PENDING = 5_000;
/** Every change goes to this partition: one order for every reader, whatever the topic's partition count. */
const PARTITION = 0;

function topicSpec(options: KafkaJobChangesOptions): Parameters<typeof ensureTopic>[1] {
  return {
    topic: options.topic,
    partitions: 1,
    replicationFactor: options.replicationFactor ?? 1,
    configEntries: [
      { name: 'retention.ms', value: String(options.retentionMs) },
      // Retention removes whole segments: small ones, so it applies close to retention.ms.
      { name: 'segment.ms', value: String(Math.max(60_000, Math.floor(options.retentionMs / 4))) },
    ],
  };
}

/**
 * Publishes job changes to the events topic. publish() only queues: one send
 * at a time carries everything queued meanwhile (so a busy worker's progress
 * is batched, and one process's changes keep their order), off the path of
 * the transition that made them.
 */
export class KafkaJobChangePublisher extends JobChangePublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly logger: Logger;
  private pending: JobChange[] = [];
  private sending: Promise<void> | undefined;
  private connection: Promise<void> | undefined;
  private closed = false;
  private dropped = 0;

  constructor(private readonly options: KafkaJobChangesOptions) {
    super();
    const kafka = createKafkaClient(options, RETRY);
    this.logger = options.logger.child({ component: 'job-changes', topic: options.topic });
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Every message names its partition; this only keeps kafkajs from warning about its default.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: RETRY,
    });
    this.admin = kafka.admin({ retry: RETRY });
  }

  async init(): Promise<void> {
    try {
      await this.admin.connect();
      try {
        await ensureTopic(this.admin, topicSpec(this.options), this.logger, { maxWaitMs: 30_000 });
      } finally {
        await this.admin.disconnect();
      }
      await this.connect();
    } catch (error) {
      throw error instanceof AppError
        ? error
        : new AppError('QUEUE_ERROR', `could not prepare the events topic "${this.options.topic}"`, { cause: error });
    }
  }

  publish(change: JobChange): void {
    if (this.closed) return;
    this.pending.push(change);
    if (this.pending.length > MAX_PENDING) {
      this.pending.shift();
      this.dropped += 1;
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await withDeadline(this.sending ?? Promise.resolve(), SEND_TIMEOUT_MS, () => new Error('timeout')).catch(
      () => undefined,
    );
    await this.producer.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.connection ??= this.producer.connect().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    await this.connection;
  }

  /** Sends until nothing is queued; never rejects. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const send = async (): Promise<void> => {
        await this.connect();
        await this.producer.send({
          topic: this.options.topic,
          acks: -1,
          messages: batch.map((change) => ({
            key: change.job.job_id,
            value: encodeJobChange(change),
            partition: PARTITION,
          })),
        });
      };
      try {
        await withDeadline(send(), SEND_TIMEOUT_MS, () => new Error('send timed out'));
      } catch (error) {
        this.dropped += batch.length;
        this.logger.warn('job changes not published; event streams miss them until the next change', {
          changes: batch.length,
          droppedSoFar: this.dropped,
          error: errorMessage(error),
        });
      }
    }
  }
}

/**
 * Reads the whole events topic, in a consumer group of its own (a random
 * id), so every API replica sees every change. It commits nothing: where to
 * read is decided here, at start (`backlog` changes before the end) and after
 * every (re)join (just after the last change handed over), so a rejoin never
 * skips or repeats a change.
 */
export class KafkaJobChangeFeed extends JobChangeFeed {
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  /** seq of the last change handed over; seq = offset + 1. */
  private handed = 0;
  private stopped = false;

  constructor(private readonly options: KafkaJobChangesOptions) {
    super();
    this.logger = options.logger.child({ component: 'job-change-feed', topic: options.topic });
  }

  get position(): number {
    return this.handed;
  }

  async start(start: FeedStart): Promise<void> {
    const { options } = this;
    const kafka = createKafkaClient(options, { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 });
    const admin = kafka.admin();
    let end: number;
    try {
      await admin.connect();
      await ensureTopic(admin, topicSpec(options), this.logger, { maxWaitMs: 30_000 });
      const offsets = await admin.fetchTopicOffsets(options.topic);
      const partition = offsets.find((entry) => entry.partition === PARTITION);
      const low = Number(partition?.low ?? 0);
      end = Number(partition?.high ?? 0);
      this.handed = Math.max(low, end - start.backlog);
      start.onStart?.(this.handed);
    } catch (error) {
      throw new AppError('QUEUE_ERROR', `could not read the events topic "${options.topic}"`, { cause: error });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }

    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (this.handed >= end) caughtUp();
    const consumer = kafka.consumer({
      groupId: `${options.clientId}-events-${randomUUID()}`,
      // Changes should reach the streams within a second: short fetch waits.
      maxWaitTimeInMs: 200,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
      // Whatever made it crash, start again (rejoining seeks back to the last change handed over): a reader
      // kafkajs gave up on would leave every stream of this replica silent.
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        restartOnFailure: async () => Promise.resolve(true),
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      try {
        consumer.seek({ topic: options.topic, partition: PARTITION, offset: String(this.handed) });
      } catch (error) {
        this.logger.warn('could not position the events reader', { error: errorMessage(error) });
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error('events reader crashed; live event streams stall until it restarts', {
        error: errorMessage(payload.error),
        restart: payload.restart,
      });
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        // eslint-disable-next-line @typescript-eslint/require-await -- kafkajs wants a promise; the hand-over is synchronous.
        eachMessage: async ({ partition, message }) => {
          if (partition !== PARTITION || this.stopped) return;
          const seq = Number(message.offset) + 1;
          if (seq <= this.handed) return;
          if (seq > this.handed + 1) start.onGap?.(seq);
          this.handed = seq;
          const change = message.value ? decodeJobChange(message.value.toString('utf8')) : undefined;
          if (change) start.onChange({ ...change, seq });
          if (seq >= end) caughtUp();
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw new AppError('QUEUE_ERROR', `could not start reading the events topic "${options.topic}"`, {
        cause: error,
      });
    }
    await ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch((error: unknown) => {
      this.logger.warn('error while leaving the events reader group', { error: errorMessage(error) });
    });
  }
}
