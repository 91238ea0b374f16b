import type { AppConfig, Logger } from '@mediaflow/domain';
import type { JobChangeFeed, JobChangePublisher } from './job-events';
import { KafkaJobChangeFeed, KafkaJobChangePublisher } from './kafka-job-events';
import { InProcessJobChanges } from './memory-job-events';

/** The job-change feed the configuration selects: the events topic on Kafka, or in-process with the memory queue. */
export interface JobChanges {
  publisher: JobChangePublisher;
  /** A reader of the whole feed (each API replica makes one). */
  createFeed(): JobChangeFeed;
}

export function createJobChanges(config: AppConfig, logger: Logger): JobChanges {
  if (config.QUEUE_BACKEND === 'memory') {
    const bus = new InProcessJobChanges(config.SSE_REPLAY_EVENTS);
    return { publisher: bus.publisher, createFeed: () => bus.createFeed() };
  }
  const options = {
    brokers: config.KAFKA_BOOTSTRAP_SERVERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
    topic: config.KAFKA_EVENTS_TOPIC,
    retentionMs: config.KAFKA_EVENTS_RETENTION_MS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  };
  return { publisher: new KafkaJobChangePublisher(options), createFeed: () => new KafkaJobChangeFeed(options) };
}
