import type { Admin, ICustomPartitioner, Producer } from 'kafkajs';
import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { createKafkaClient } from './kafka-client';
import type { KafkaConnectionOptions } from './kafka-client';
import { ensureTopic } from './kafka-admin';
import { encodeJobMessage, jobMessageHeaders } from './job-message-codec';
import { JobPublisher } from './job-queue';
import type { DeadLetterRecord, JobMessage } from './job-queue';
import { withDeadline } from './timing';

export interface KafkaJobPublisherOptions extends KafkaConnectionOptions {
  topic: string;
  /** Where jobs that exhausted their attempts are announced. */
  deadLetterTopic?: string;
  /** Partitions for a topic this publisher creates; default 12. */
  partitions?: number;
  /** Default 1. */
  replicationFactor?: number;
  /** Upper bound on one publish, connecting included; default 10 s. */
  publishTimeoutMs?: number;
  /** Upper bound on ping; default 5 s. */
  pingTimeoutMs?: number;
  /** How long one init() waits for the topic's partitions to have leaders; default 30 s. */
  topicWaitMs?: number;
}

// Few, short retries: with the broker down, publish must fail within seconds.
const PUBLISH_RETRY = { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 };
const ALL_IN_SYNC_REPLICAS = -1;

interface KafkaMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * Spreads messages over the topic's partitions in turn, whatever their key.
 * Jobs need no order among themselves (a claim is a conditional write), and
 * hashing their random ids leaves partitions, and so the workers that own
 * them, unevenly loaded: 40 jobs hashed over 2 workers split about 20±3, so
 * the busier worker sets the pace. In turn, every partition gets its share.
 */
export const roundRobinPartitioner: ICustomPartitioner = () => {
  let next = Math.floor(Math.random() * 1_000_000);
  return ({ partitionMetadata }) => {
    const count = partitionMetadata.length;
    if (count === 0) return 0;
    next = (next + 1) % 1_000_000_000;
    return partitionMetadata[next % count].partitionId;
  };
};

/**
 * Puts job ids on a Kafka topic, keyed by job id (for tracing) and spread over the partitions in turn, so they share the
 * load. The producer is idempotent: a retried send is not written twice.
 */
export class KafkaJobPublisher extends JobPublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly logger: Logger;
  private producerConnection: Promise<void> | undefined;
  private adminConnection: Promise<void> | undefined;
  private closed = false;
  /** Set once init() saw every topic ready; until then ping() reports the queue as not ready. */
  private topicsReady = false;
  private lastInitError: string | undefined;
  /** Cut short by close(), so a topic wait does not hold up shutdown. */
  private readonly closeSignal = new AbortController();

  constructor(private readonly options: KafkaJobPublisherOptions) {
    super();
    const kafka = createKafkaClient(options, PUBLISH_RETRY);
    this.logger = options.logger;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: roundRobinPartitioner,
      retry: PUBLISH_RETRY,
    });
    this.admin = kafka.admin({ retry: PUBLISH_RETRY });
  }

  /**
   * Creates the topics unless they exist and waits (up to `topicWaitMs`) until
   * every partition has a leader, tolerating another process creating them at
   * the same moment. Safe to call again after a failure.
   *
   * @throws AppError QUEUE_ERROR when Kafka cannot be reached or the topic is not ready in time.
   */
  async init(): Promise<void> {
    const wait = { maxWaitMs: this.options.topicWaitMs ?? 30_000, signal: this.closeSignal.signal };
    try {
      await this.connectAdmin();
      await ensureTopic(
        this.admin,
        {
          topic: this.options.topic,
          partitions: this.options.partitions ?? 12,
          replicationFactor: this.options.replicationFactor ?? 1,
        },
        this.logger,
        wait,
      );
      if (this.options.deadLetterTopic) {
        await ensureTopic(
          this.admin,
          {
            topic: this.options.deadLetterTopic,
            partitions: 1,
            replicationFactor: this.options.replicationFactor ?? 1,
          },
          this.logger,
          wait,
        );
      }
      await this.connectProducer();
      this.topicsReady = true;
      this.lastInitError = undefined;
    } catch (error) {
      const failure = queueError(`could not prepare Kafka topic "${this.options.topic}"`, error);
      this.lastInitError = failure.message;
      throw failure;
    }
  }

  async publish(message: JobMessage): Promise<void> {
    await this.send(this.options.topic, [toKafkaMessage(message)]);
  }

  async publishMany(messages: readonly JobMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.send(
      this.options.topic,
      messages.map((message) => toKafkaMessage(message)),
    );
  }

  async publishDeadLetter(record: DeadLetterRecord): Promise<void> {
    if (!this.options.deadLetterTopic) return;
    await this.send(this.options.deadLetterTopic, [{ key: record.job_id, value: JSON.stringify(record) }]);
  }

  private async send(topic: string, messages: KafkaMessage[]): Promise<void> {
    if (this.closed) throw new AppError('QUEUE_ERROR', 'the job publisher is closed');
    const send = async (): Promise<void> => {
      await this.connectProducer();
      await this.producer.send({ topic, acks: ALL_IN_SYNC_REPLICAS, messages });
    };
    try {
      await withDeadline(send(), this.options.publishTimeoutMs ?? 10_000, () => new Error('publish timed out'));
    } catch (error) {
      const what = messages.length === 1 ? `job ${messages[0].key}` : `${messages.length} jobs`;
      throw queueError(`could not publish ${what} to ${topic}`, error);
    }
  }

  async ping(): Promise<void> {
    const check = async (): Promise<void> => {
      await this.connectAdmin();
      await this.admin.describeCluster();
      if (!this.topicsReady) {
        throw new AppError(
          'QUEUE_ERROR',
          `topic "${this.options.topic}" is not ready yet${this.lastInitError ? ` (${this.lastInitError})` : ''}`,
        );
      }
    };
    try {
      await withDeadline(check(), this.options.pingTimeoutMs ?? 5_000, () => new Error('ping timed out'));
    } catch (error) {
      throw queueError('Kafka is not reachable', error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closeSignal.abort();
    const results = await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    for (const result of results) {
      if (result.status === 'rejected') {
        this.logger.warn('error while disconnecting from Kafka', { error: errorMessage(result.reason) });
      }
    }
  }

  /** Connects once; a failed attempt is forgotten so the next call tries again. */
  private async connectProducer(): Promise<void> {
    this.producerConnection ??= this.producer.connect().catch((error: unknown) => {
      this.producerConnection = undefined;
      throw error;
    });
    await this.producerConnection;
  }

  private async connectAdmin(): Promise<void> {
    this.adminConnection ??= this.admin.connect().catch((error: unknown) => {
      this.adminConnection = undefined;
      throw error;
    });
    await this.adminConnection;
  }
}

/** One job's message: its own trace context in its own headers, even when batched with others. */
function toKafkaMessage(message: JobMessage): KafkaMessage {
  return { key: message.job_id, value: encodeJobMessage(message), headers: jobMessageHeaders(message) };
}

/** The cause's class names the failure (e.g. KafkaJSConnectionError) without echoing broker addresses. */
function queueError(message: string, cause: unknown): AppError {
  if (cause instanceof AppError) return cause;
  const reason = cause instanceof Error ? cause.name : typeof cause;
  return new AppError('QUEUE_ERROR', `${message} (${reason})`, { cause });
}
