import type { Admin, PartitionMetadata } from 'kafkajs';
import { createLogger } from '@mediaflow/domain';
import { ensureTopic } from './kafka-admin';

const logger = createLogger({ level: 'error', service: 'test' });
const spec = { topic: 'jobs', partitions: 2, replicationFactor: 1 };

function protocolError(type: string, message: string): Error {
  return Object.assign(new Error(message), { type, name: 'KafkaJSProtocolError' });
}

function partitions(...leaders: number[]): PartitionMetadata[] {
  return leaders.map((leader, partitionId) => ({
    partitionErrorCode: leader < 0 ? 5 : 0,
    partitionId,
    leader,
    replicas: [1],
    isr: leader < 0 ? [] : [1],
  }));
}

/** An admin whose answers are scripted, one per call; the last answer repeats. */
function scriptedAdmin(
  creates: (() => boolean)[],
  metadata: (() => PartitionMetadata[])[],
): { admin: Admin; calls: { creates: number; metadata: number } } {
  const calls = { creates: 0, metadata: 0 };
  // Each answer either returns or throws, as the broker's would.
  const next = <T>(script: (() => T)[], index: number): T => script[Math.min(index, script.length - 1)]();
  const admin = {
    createTopics: async () => {
      await Promise.resolve();
      return next(creates, calls.creates++);
    },
    fetchTopicMetadata: async () => {
      await Promise.resolve();
      return { topics: [{ name: spec.topic, partitions: next(metadata, calls.metadata++) }] };
    },
  };
  return { admin: admin as unknown as Admin, calls };
}

const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('ensureTopic', () => {
  it('waits through a creation race: TOPIC_ALREADY_EXISTS, an unknown partition, then no leaders', async () => {
    const alreadyExists = Object.assign(new Error('Topic creation errors'), {
      name: 'KafkaJSAggregateError',
      errors: [protocolError('TOPIC_ALREADY_EXISTS', 'Topic with this name already exists')],
    });
    const { admin, calls } = scriptedAdmin(
      [
        () => {
          throw alreadyExists;
        },
      ],
      [
        () => {
          throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition');
        },
        () => partitions(-1, 1),
        () => partitions(1, 1),
      ],
    );
    await ensureTopic(admin, spec, logger, fast);
    expect(calls.metadata).toBe(3);
  });

  it('gives up with QUEUE_ERROR naming the last reason once maxWaitMs has passed', async () => {
    const { admin } = scriptedAdmin([() => true], [() => partitions(-1, -1)]);
    const failure = ensureTopic(admin, spec, logger, { ...fast, maxWaitMs: 20 });
    await expect(failure).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
    await expect(failure).rejects.toThrow('2 of 2 partitions have no leader yet');
  });

  it('stops at once on what waiting cannot cure', async () => {
    const { admin, calls } = scriptedAdmin(
      [
        () => {
          throw protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized');
        },
      ],
      [() => partitions(1, 1)],
    );
    await expect(ensureTopic(admin, spec, logger, fast)).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
    expect(calls.creates).toBe(1);
  });

  it('stops waiting when its signal aborts', async () => {
    const { admin } = scriptedAdmin([() => true], [() => []]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(ensureTopic(admin, spec, logger, { ...fast, signal: controller.signal })).rejects.toMatchObject({
      code: 'QUEUE_ERROR',
    });
  });
});
