import { JobConsumer } from './job-queue';
import type { MessageHandler } from './job-queue';
import { InProcessJobQueue } from './memory-queue';
import { ParallelJobConsumers } from './parallel-consumers';

class RefusingConsumer extends JobConsumer {
  async start(): Promise<void> {
    return Promise.reject(new Error('broker unreachable'));
  }
  async stop(): Promise<void> {
    return Promise.resolve();
  }
}

describe('ParallelJobConsumers', () => {
  it('runs its consumers side by side with one handler', async () => {
    const queue = new InProcessJobQueue();
    const parallel = new ParallelJobConsumers([queue.createConsumer(), queue.createConsumer()]);
    let active = 0;
    let mostActive = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler: MessageHandler = async () => {
      active += 1;
      mostActive = Math.max(mostActive, active);
      await gate;
      active -= 1;
      return 'done';
    };
    await parallel.start(handler);
    for (const id of ['a', 'b', 'c']) await queue.publisher.publish({ job_id: id });
    while (active < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(queue.size).toBe(1);
    release();
    await parallel.stop();
    expect(mostActive).toBe(2);
  });

  it('runs as many messages at once as it has consumers, and stop aborts them all', async () => {
    const queue = new InProcessJobQueue({ retryDelayMs: 10_000 });
    let active = 0;
    let maxActive = 0;
    const aborted: string[] = [];
    const parallel = new ParallelJobConsumers([queue.createConsumer(), queue.createConsumer(), queue.createConsumer()]);
    await parallel.start(async (message, context) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      aborted.push(message.job_id);
      active -= 1;
      return 'retry';
    });
    for (let i = 0; i < 5; i += 1) await queue.publisher.publish({ job_id: `job-${i}` });
    while (active < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(queue.size).toBe(2);
    await parallel.stop();
    expect(maxActive).toBe(3);
    expect(aborted.sort()).toEqual(['job-0', 'job-1', 'job-2']);
  });

  it('stops the consumers that started when another cannot', async () => {
    const queue = new InProcessJobQueue();
    const healthy = queue.createConsumer();
    const stop = jest.spyOn(healthy, 'stop');
    const parallel = new ParallelJobConsumers([healthy, new RefusingConsumer()]);
    await expect(parallel.start(async () => Promise.resolve('done'))).rejects.toThrow('broker unreachable');
    expect(stop).toHaveBeenCalled();
  });
});
