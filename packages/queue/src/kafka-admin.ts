import type { Admin } from 'kafkajs';
import type { Logger } from '@mediaflow/domain';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

const CREATE_TIMEOUT_MS = 10_000;

function isTopicAlreadyExists(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ('type' in error && error.type === 'TOPIC_ALREADY_EXISTS') return true;
  // kafkajs reports per-topic failures inside an aggregate.
  return 'errors' in error && Array.isArray(error.errors) && error.errors.some(isTopicAlreadyExists);
}

/**
 * Creates the topic unless it exists. Losing a creation race to another
 * process is success. An existing topic is left as it is, but a partition
 * count below the configured one is worth a warning: partitions bound how
 * many workers can run at once.
 */
export async function ensureTopic(admin: Admin, spec: TopicSpec, logger: Logger): Promise<void> {
  try {
    const created = await admin.createTopics({
      topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor }],
      waitForLeaders: true,
      timeout: CREATE_TIMEOUT_MS,
    });
    if (created) {
      logger.info('kafka topic created', { ...spec });
      return;
    }
  } catch (error) {
    if (!isTopicAlreadyExists(error)) throw error;
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const partitions = metadata.topics.find((topic) => topic.name === spec.topic)?.partitions.length ?? 0;
  if (partitions < spec.partitions) {
    logger.warn('kafka topic has fewer partitions than configured; fewer workers can run at once', {
      topic: spec.topic,
      partitions,
      configured: spec.partitions,
    });
  }
}
