import type { AppConfig, Logger } from '@mediaflow/domain';
import { KafkaJobConsumer } from './kafka-consumer';
import { KafkaJobPublisher } from './kafka-publisher';
import type { JobConsumer, JobPublisher } from './job-queue';
import { InProcessJobQueue } from './memory-queue';
import { ParallelJobConsumers } from './parallel-consumers';

export interface JobQueue {
  publisher: JobPublisher;
  /**
   * A consumer running up to WORKER_CONCURRENCY jobs at once: that many group
   * members (Kafka), or that many lanes on the in-process queue.
   */
  createConsumer(): JobConsumer;
}

/** The job queue the configuration selects. */
export function createJobQueue(config: AppConfig, logger: Logger): JobQueue {
  if (config.QUEUE_BACKEND === 'memory') {
    const queue = new InProcessJobQueue({ logger });
    return { publisher: queue.publisher, createConsumer: () => queue.createConsumer(config.WORKER_CONCURRENCY) };
  }
  const connection = {
    brokers: config.KAFKA_BOOTSTRAP_SERVERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
  };
  const topic = {
    topic: config.KAFKA_TOPIC,
    partitions: config.KAFKA_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  };
  return {
    publisher: new KafkaJobPublisher({ ...connection, ...topic, deadLetterTopic: config.KAFKA_DEAD_LETTER_TOPIC }),
    createConsumer: () => {
      const member = (): KafkaJobConsumer =>
        new KafkaJobConsumer({
          ...connection,
          ...topic,
          groupId: config.KAFKA_CONSUMER_GROUP,
          sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
          rebalanceTimeoutMs: config.KAFKA_REBALANCE_TIMEOUT_MS,
          heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
        });
      // One group member per job the worker may run at once.
      if (config.WORKER_CONCURRENCY === 1) return member();
      return new ParallelJobConsumers(Array.from({ length: config.WORKER_CONCURRENCY }, member));
    },
  };
}
