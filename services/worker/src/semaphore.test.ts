import { AppError } from '@mediaflow/domain';
import { Semaphore } from './semaphore';

/** Lets every settled promise's callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

describe('Semaphore', () => {
  it('admits up to its capacity and queues the rest in arrival order', async () => {
    const slots = new Semaphore(2);
    const order: string[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    expect(slots.inUse).toBe(2);

    const c = slots.acquire().then((release) => {
      order.push('c');
      return release;
    });
    const d = slots.acquire().then((release) => {
      order.push('d');
      return release;
    });
    await settle();
    expect(order).toEqual([]);
    expect(slots.waiting).toBe(2);

    a();
    await settle();
    expect(order).toEqual(['c']);
    b();
    await settle();
    expect(order).toEqual(['c', 'd']);
    expect(slots.inUse).toBe(2);

    (await c)();
    (await d)();
    expect(slots.inUse).toBe(0);
    expect(slots.waiting).toBe(0);
  });

  it('gives back one slot however often release is called', async () => {
    const slots = new Semaphore(1);
    const release = await slots.acquire();
    release();
    release();
    expect(slots.inUse).toBe(0);
    await slots.acquire();
    expect(slots.inUse).toBe(1);
  });

  it('lets an aborted waiter leave the line with the abort reason, without taking a slot', async () => {
    const slots = new Semaphore(1);
    const release = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    const after = slots.acquire();
    const reason = new AppError('JOB_ABORTED', 'cancelled');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(slots.waiting).toBe(1);

    release();
    const next = await after;
    expect(slots.inUse).toBe(1);
    next();
    await expect(slots.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'JOB_ABORTED' });
    await expect(slots.acquire(abortedWithoutReason())).rejects.toMatchObject({ code: 'JOB_ABORTED' });
    expect(slots.inUse).toBe(0);
  });

  it('runs a task in a slot and frees it when the task fails', async () => {
    const slots = new Semaphore(1);
    await expect(slots.use(async () => Promise.resolve(7))).resolves.toBe(7);
    await expect(slots.use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(slots.inUse).toBe(0);
  });

  it('never lets more than its capacity run at once', async () => {
    const slots = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, index) =>
        slots.use(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, index % 3));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a capacity of %p', (capacity) => {
    expect(() => new Semaphore(capacity)).toThrow(RangeError);
  });
});

/** An aborted signal whose reason is not an Error. */
function abortedWithoutReason(): AbortSignal {
  const controller = new AbortController();
  controller.abort('because');
  return controller.signal;
}
