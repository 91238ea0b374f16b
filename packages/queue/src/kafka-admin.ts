import type { Admin } from 'kafkajs';
import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { sleep } from './timing';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Topic settings (e.g. retention.ms) for a topic this creates; an existing topic keeps its own. */
  configEntries?: { name: string; value: string }[];
}

export interface EnsureTopicOptions {
  /** Give up (QUEUE_ERROR) once the topic is not ready after this long; default: never. */
  maxWaitMs?: number;
  /** Stops waiting (QUEUE_ERROR) when aborted, e.g. by a shutdown. */
  signal?: AbortSignal;
  /** First pause between two looks at the topic; doubles up to `maxDelayMs`. Default 100 ms. */
  initialDelayMs?: number;
  /** Default 2 s. */
  maxDelayMs?: number;
}

const CREATE_TIMEOUT_MS = 10_000;
/** Every this many attempts a topic that is still not ready is worth a warning, not just a debug line. */
const WARN_EVERY_ATTEMPTS = 10;

/**
 * Errors that waiting cannot cure: a name the broker refuses, or a client
 * that is not allowed to create or describe the topic. Everything else (the
 * topic being created by another process, metadata not yet propagated, a
 * broker still registering, a controller moving) passes with time.
 */
const PERMANENT_ERRORS = new Set([
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

function errorTypes(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  const own = 'type' in error && typeof error.type === 'string' ? [error.type] : [];
  // kafkajs reports per-topic failures inside an aggregate.
  const nested = 'errors' in error && Array.isArray(error.errors) ? error.errors.flatMap(errorTypes) : [];
  return [...own, ...nested];
}

function isTopicAlreadyExists(error: unknown): boolean {
  const types = errorTypes(error);
  return types.length > 0 && types.every((type) => type === 'TOPIC_ALREADY_EXISTS');
}

function isPermanent(error: unknown): boolean {
  return errorTypes(error).some((type) => PERMANENT_ERRORS.has(type));
}

type Readiness = { ready: true; partitions: number } | { ready: false; reason: string };

/**
 * One look: create the topic (a topic that exists, or that another process is
 * creating right now, is fine), then ask whether every partition has a leader.
 *
 * kafkajs's own `waitForLeaders` is not used: it retries only
 * LEADER_NOT_AVAILABLE and gives up on UNKNOWN_TOPIC_OR_PARTITION ("This
 * server does not host this topic-partition"), which is what a broker answers
 * for a topic created a moment ago (by us or by a process started with us)
 * whose metadata has not reached it yet.
 */
async function lookAtTopic(admin: Admin, spec: TopicSpec): Promise<Readiness> {
  try {
    await admin.createTopics({
      topics: [
        {
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          ...(spec.configEntries ? { configEntries: spec.configEntries } : {}),
        },
      ],
      waitForLeaders: false,
      timeout: CREATE_TIMEOUT_MS,
    });
  } catch (error) {
    if (!isTopicAlreadyExists(error)) throw error;
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const partitions = metadata.topics.find((topic) => topic.name === spec.topic)?.partitions ?? [];
  if (partitions.length === 0) return { ready: false, reason: 'the topic has no partitions yet' };
  const leaderless = partitions.filter((partition) => partition.leader < 0 || partition.partitionErrorCode !== 0);
  if (leaderless.length > 0) {
    return { ready: false, reason: `${leaderless.length} of ${partitions.length} partitions have no leader yet` };
  }
  return { ready: true, partitions: partitions.length };
}

/**
 * Makes sure the topic exists and every partition has a leader, waiting with
 * backoff for as long as that takes (or `maxWaitMs`). Processes started at the
 * same moment all get here at once: one creates the topic, the others see
 * TOPIC_ALREADY_EXISTS or a topic without leaders for a moment, and all of them
 * wait until it can be used, rather than the losers of the race exiting.
 *
 * An existing topic is left as it is, but a partition count below the
 * configured one is worth a warning: partitions bound how many workers can
 * run at once.
 *
 * @throws AppError QUEUE_ERROR on an error waiting cannot cure, when
 *   `maxWaitMs` passes, or when `signal` aborts; the message names the last reason.
 */
export async function ensureTopic(
  admin: Admin,
  spec: TopicSpec,
  logger: Logger,
  options: EnsureTopicOptions = {},
): Promise<void> {
  const started = Date.now();
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  let delayMs = options.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt += 1) {
    let reason: string;
    try {
      const readiness = await lookAtTopic(admin, spec);
      if (readiness.ready) {
        if (attempt > 1) logger.info('kafka topic ready', { topic: spec.topic, attempts: attempt });
        if (readiness.partitions < spec.partitions) {
          logger.warn('kafka topic has fewer partitions than configured; fewer workers can run at once', {
            topic: spec.topic,
            partitions: readiness.partitions,
            configured: spec.partitions,
          });
        }
        return;
      }
      reason = readiness.reason;
    } catch (error) {
      if (isPermanent(error)) {
        throw new AppError('QUEUE_ERROR', `Kafka refused topic "${spec.topic}": ${errorMessage(error)}`, {
          cause: error,
        });
      }
      reason = errorMessage(error);
    }
    const waited = Date.now() - started;
    if (options.signal?.aborted || (options.maxWaitMs !== undefined && waited >= options.maxWaitMs)) {
      throw new AppError('QUEUE_ERROR', `Kafka topic "${spec.topic}" is not ready after ${waited} ms: ${reason}`);
    }
    const level = attempt % WARN_EVERY_ATTEMPTS === 0 ? 'warn' : 'debug';
    logger.log(level, 'kafka topic not ready yet; waiting', { topic: spec.topic, attempt, reason, waitedMs: waited });
    // Jitter keeps processes that started together from asking in step.
    await sleep(delayMs * (0.5 + Math.random() / 2), options.signal);
    delayMs = Math.min(maxDelayMs, delayMs * 2);
  }
}
