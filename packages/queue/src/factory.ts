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
   * members (Kafka), or that many consumers of the in-process queue.
   */
  createConsumer(): JobConsumer;
}

/** The job queue the configuration selects. */
export function createJobQueue(config: AppConfig, logger: Logger): JobQueue {
  // One consumer per job the worker may run at once, each handling one message at a time.
  const lanes = (consumer: () => JobConsumer): JobConsumer =>
    config.WORKER_CONCURRENCY === 1
      ? consumer()
      : new ParallelJobConsumers(Array.from({ length: config.WORKER_CONCURRENCY }, consumer));
  if (config.QUEUE_BACKEND === 'memory') {
    const queue = new InProcessJobQueue({ logger });
    return { publisher: queue.publisher, createConsumer: () => lanes(() => queue.createConsumer()) };
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
    // Several lanes are several members of the group.
    createConsumer: () =>
      lanes(
        () =>
          new KafkaJobConsumer({
            ...connection,
            ...topic,
            groupId: config.KAFKA_CONSUMER_GROUP,
            sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
            rebalanceTimeoutMs: config.KAFKA_REBALANCE_TIMEOUT_MS,
            heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
          }),
      ),
  };
}
