import { JobConsumer } from './job-queue';
import type { MessageHandler } from './job-queue';

/**
 * Several consumers working as one: a worker that runs N jobs at once holds N
 * consumers (N members of the Kafka group, or N consumers of the in-process
 * queue), each handling one message at a time.
 *
 * Why not kafkajs's `partitionsConsumedConcurrently`: kafkajs fetches from a
 * broker again only once every batch of the previous fetch is handled, so one
 * long job would hold back the jobs of every other partition it fetched with.
 */
export class ParallelJobConsumers extends JobConsumer {
  constructor(private readonly lanes: readonly JobConsumer[]) {
    super();
    if (lanes.length === 0) throw new Error('ParallelJobConsumers needs at least one consumer');
  }

  async start(handler: MessageHandler): Promise<void> {
    const started = await Promise.allSettled(this.lanes.map(async (lane) => lane.start(handler)));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      // All or nothing: a worker running fewer lanes than configured is a surprise.
      await this.stop();
      throw failure.reason;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.lanes.map(async (lane) => lane.stop()));
  }
}
