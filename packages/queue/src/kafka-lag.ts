import type { Admin } from 'kafkajs';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { createKafkaClient } from './kafka-client';

/** The lag of one partition: messages after the group's committed offset. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** High watermark − committed offset; from the log start when the group never committed (≥ 0). */
  lag: number;
}

export interface KafkaConsumerLagOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  topic: string;
  groupId: string;
}

// A scrape has its own deadline; one quick retry is all a read may cost.
const LAG_RETRY = { retries: 1, initialRetryTime: 100, maxRetryTime: 500 };

/**
 * Reads the consumer group's lag on the job topic on demand, with an admin
 * client of its own connected on first use (so nothing runs between reads).
 * Two requests per read: the topic's offsets (high watermarks) and the
 * group's committed offsets.
 */
export class KafkaConsumerLag {
  private readonly admin: Admin;
  private connection: Promise<void> | undefined;

  constructor(private readonly options: KafkaConsumerLagOptions) {
    this.admin = createKafkaClient(
      { brokers: options.brokers, clientId: `${options.clientId}-lag`, logger: options.logger },
      LAG_RETRY,
    ).admin({ retry: LAG_RETRY });
  }

  /** @throws the broker client's error when Kafka cannot be asked (the next read reconnects). */
  async read(): Promise<PartitionLag[]> {
    const { topic, groupId } = this.options;
    this.connection ??= this.admin.connect().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    await this.connection;
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    return lagOf(topic, ends, committed.find((entry) => entry.topic === topic)?.partitions ?? []);
  }

  async close(): Promise<void> {
    if (this.connection) await this.admin.disconnect();
  }
}

/**
 * Lag per partition from the topic's offsets and the group's commits
 * (kafkajs gives offsets as strings; `-1` is "never committed").
 */
export function lagOf(
  topic: string,
  ends: ReadonlyArray<{ partition: number; high: string; low: string }>,
  committed: ReadonlyArray<{ partition: number; offset: string }>,
): PartitionLag[] {
  const commits = new Map(committed.map((entry) => [entry.partition, Number(entry.offset)]));
  return ends
    .map((end) => {
      const high = Number(end.high);
      const commit = commits.get(end.partition);
      const from = commit === undefined || commit < 0 ? Number(end.low) : commit;
      return { topic, partition: end.partition, lag: Math.max(0, high - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** The lag reader the configuration calls for: Kafka's, or none for the in-process queue. */
export function createConsumerLag(config: AppConfig, logger: Logger): KafkaConsumerLag | undefined {
  if (config.QUEUE_BACKEND !== 'kafka') return undefined;
  return new KafkaConsumerLag({
    brokers: config.KAFKA_BOOTSTRAP_SERVERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
    topic: config.KAFKA_TOPIC,
    groupId: config.KAFKA_CONSUMER_GROUP,
  });
}
