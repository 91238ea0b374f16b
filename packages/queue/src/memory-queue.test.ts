import { AppError } from '@mediaflow/domain';
import type { DeliveryContext, DeliveryOutcome, JobMessage } from './job-queue';
import { InProcessJobQueue } from './memory-queue';

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('InProcessJobQueue', () => {
  it('delivers messages in publish order, including those published before start', async () => {
    const queue = new InProcessJobQueue();
    await queue.publisher.init();
    await queue.publisher.publish({ job_id: 'a' });
    await queue.publisher.publish({ job_id: 'b' });
    const seen: string[] = [];
    const consumer = queue.createConsumer();
    await consumer.start(async (message) => {
      seen.push(message.job_id);
      return Promise.resolve<DeliveryOutcome>('done');
    });
    await queue.publisher.publish({ job_id: 'c' });
    await waitUntil(() => seen.length === 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    await consumer.stop();
  });

  it('hands a consumer one message at a time', async () => {
    const queue = new InProcessJobQueue();
    let active = 0;
    let maxActive = 0;
    let handled = 0;
    const consumer = queue.createConsumer();
    await consumer.start(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 10));
      active -= 1;
      handled += 1;
      return 'done';
    });
    for (let i = 0; i < 5; i += 1) await queue.publisher.publish({ job_id: `job-${i}` });
    await waitUntil(() => handled === 5);
    expect(maxActive).toBe(1);
    await consumer.stop();
  });

  it('delivers a message again after the retry delay, behind messages already waiting', async () => {
    const queue = new InProcessJobQueue({ retryDelayMs: 50 });
    const seen: { id: string; at: number }[] = [];
    let failedOnce = false;
    const consumer = queue.createConsumer();
    await consumer.start(async (message) => {
      seen.push({ id: message.job_id, at: Date.now() });
      if (message.job_id === 'flaky' && !failedOnce) {
        failedOnce = true;
        return Promise.resolve<DeliveryOutcome>('retry');
      }
      return Promise.resolve<DeliveryOutcome>('done');
    });
    await queue.publisher.publish({ job_id: 'flaky' });
    await queue.publisher.publish({ job_id: 'next' });
    await waitUntil(() => seen.length === 3);
    expect(seen.map((entry) => entry.id)).toEqual(['flaky', 'next', 'flaky']);
    expect(seen[2].at - seen[0].at).toBeGreaterThanOrEqual(45);
    await consumer.stop();
  });

  it('treats a handler that throws like a retry', async () => {
    const queue = new InProcessJobQueue({ retryDelayMs: 10 });
    let attempts = 0;
    const consumer = queue.createConsumer();
    await consumer.start(async () => {
      attempts += 1;
      if (attempts < 3) throw new AppError('STORAGE_ERROR', 'storage is down');
      return Promise.resolve<DeliveryOutcome>('done');
    });
    await queue.publisher.publish({ job_id: 'stubborn' });
    await waitUntil(() => attempts === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attempts).toBe(3);
    await consumer.stop();
  });

  it('aborts the handler in flight on stop, waits for it, and delivers nothing after', async () => {
    const queue = new InProcessJobQueue({ retryDelayMs: 10 });
    const events: string[] = [];
    let context: DeliveryContext | undefined;
    const consumer = queue.createConsumer();
    await consumer.start(async (message, delivery) => {
      context = delivery;
      events.push(`start ${message.job_id}`);
      await new Promise((resolve) => delivery.signal.addEventListener('abort', resolve, { once: true }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`wound down ${message.job_id}`);
      return 'retry';
    });
    await queue.publisher.publish({ job_id: 'long' });
    await queue.publisher.publish({ job_id: 'waiting' });
    await waitUntil(() => events.length === 1);
    await context!.heartbeat();
    await consumer.stop();
    events.push('stopped');
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBeInstanceOf(AppError);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events).toEqual(['start long', 'wound down long', 'stopped']);
    // Both messages remain for the next consumer.
    const next = queue.createConsumer();
    const later: string[] = [];
    await next.start(async (message: JobMessage) => {
      later.push(message.job_id);
      return Promise.resolve<DeliveryOutcome>('done');
    });
    await waitUntil(() => later.length === 2);
    expect(later.sort()).toEqual(['long', 'waiting']);
    await next.stop();
  });

  it('shares messages between consumers, each delivered once', async () => {
    const queue = new InProcessJobQueue();
    const byConsumer: Record<string, string[]> = { one: [], two: [] };
    const consumers = ['one', 'two'].map((name) => {
      const consumer = queue.createConsumer();
      return {
        consumer,
        start: async () =>
          consumer.start(async (message) => {
            byConsumer[name].push(message.job_id);
            await new Promise((resolve) => setTimeout(resolve, 5));
            return 'done';
          }),
      };
    });
    for (const { start } of consumers) await start();
    for (let i = 0; i < 20; i += 1) await queue.publisher.publish({ job_id: `job-${i}` });
    await waitUntil(() => byConsumer.one.length + byConsumer.two.length === 20);
    const all = [...byConsumer.one, ...byConsumer.two].sort();
    expect(new Set(all).size).toBe(20);
    expect(byConsumer.one.length).toBeGreaterThan(0);
    expect(byConsumer.two.length).toBeGreaterThan(0);
    for (const { consumer } of consumers) await consumer.stop();
  });

  it('stops cleanly when nothing was ever delivered, or when never started', async () => {
    const queue = new InProcessJobQueue();
    const idle = queue.createConsumer();
    await idle.start(async () => Promise.resolve<DeliveryOutcome>('done'));
    await idle.stop();
    await queue.createConsumer().stop();
    expect(queue.size).toBe(0);
  });

  it('refuses to start a consumer twice', async () => {
    const queue = new InProcessJobQueue();
    const consumer = queue.createConsumer();
    await consumer.start(async () => Promise.resolve<DeliveryOutcome>('done'));
    await expect(consumer.start(async () => Promise.resolve<DeliveryOutcome>('done'))).rejects.toThrow();
    await consumer.stop();
  });

  it('refuses to publish once closed', async () => {
    const queue = new InProcessJobQueue();
    await queue.publisher.ping();
    await queue.publisher.close();
    await expect(queue.publisher.publish({ job_id: 'late' })).rejects.toMatchObject({ code: 'QUEUE_ERROR' });
  });
});
