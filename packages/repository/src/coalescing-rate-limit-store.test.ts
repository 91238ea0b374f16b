import { CoalescingRateLimitStore } from './coalescing-rate-limit-store';
import { gcraTake } from './rate-limit-gcra';
import { RateLimitStore, validPartial } from './rate-limit-store';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';

/** A GCRA store in memory whose takes wait until the test releases them. */
class FakeStore extends RateLimitStore {
  readonly calls: RateLimitPartialRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** The index (in `calls`) of the take that fails. */
  failCall = -1;
  private readonly tats = new Map<string, number | undefined>();
  private readonly pending: Array<() => void> = [];

  async init(): Promise<void> {}
  async checkSchema(): Promise<void> {}
  async close(): Promise<void> {}

  async takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant> {
    const { cost, unit } = validPartial(request);
    const index = this.calls.push(request) - 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.pending.push(resolve));
    this.inFlight -= 1;
    if (index === this.failCall) throw new Error('database down');
    const { tat, ...grant } = gcraTake(this.tats.get(request.key), request.now.getTime(), request, cost, unit);
    this.tats.set(request.key, tat);
    return grant;
  }

  /** Lets every take in flight finish, and waits for the decorator to react. */
  async release(): Promise<void> {
    for (const resolve of this.pending.splice(0)) resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const now = new Date('2025-01-01T00:00:00.000Z');
const request = { key: 'submit:a', capacity: 5, refillPerSecond: 1, now };

async function settle<T>(promises: Array<Promise<T>>, store: FakeStore): Promise<T[]> {
  for (let round = 0; round < 10; round += 1) await store.release();
  return Promise.all(promises);
}

describe('CoalescingRateLimitStore', () => {
  it('keeps one take per key in flight and sends the waiters as one take of their summed cost', async () => {
    const inner = new FakeStore();
    const store = new CoalescingRateLimitStore(inner);
    const takes = Array.from({ length: 4 }, async () => store.take(request));
    const other = store.take({ ...request, key: 'submit:b' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(inner.calls.map((call) => [call.key, call.cost, call.unit])).toEqual([
      ['submit:a', 1, 1],
      ['submit:b', 1, 1],
    ]);
    expect(store.queued('submit:a')).toBe(3);
    const results = await settle([...takes, other], inner);
    expect(inner.calls.map((call) => [call.key, call.cost, call.unit])).toEqual([
      ['submit:a', 1, 1],
      ['submit:b', 1, 1],
      ['submit:a', 3, 1],
    ]);
    expect(inner.maxInFlight).toBe(2);
    expect(results.map((result) => result.remaining)).toEqual([4, 3, 2, 1, 4]);
    // As if one after another: each waiter's bucket is a token further from full.
    expect(results.map((result) => result.resetMs)).toEqual([1000, 2000, 3000, 4000, 1000]);
    expect(results.every((result) => result.allowed)).toBe(true);
  });

  it('splits a partial grant in arrival order, the rest refused with Retry-After', async () => {
    const inner = new FakeStore();
    const store = new CoalescingRateLimitStore(inner);
    const takes = Array.from({ length: 8 }, async (_, index) =>
      store.take({ ...request, now: new Date(now.getTime() + index) }),
    );
    const results = await settle(takes, inner);
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    for (const refused of results.slice(5)) {
      expect(refused).toMatchObject({ allowed: false, remaining: 0 });
      expect(refused.retryAfterMs).toBeGreaterThan(990);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    }
    // The batch took at the latest `now` of its waiters.
    expect(inner.calls[1]).toMatchObject({ cost: 5, unit: 1, now: new Date(now.getTime() + 5) });
  });

  it('caps a batch at capacity and batches only equal costs', async () => {
    const inner = new FakeStore();
    const store = new CoalescingRateLimitStore(inner);
    const first = store.take(request);
    const rest = [1, 1, 1, 1, 1, 1, 2, 1].map(async (cost) => store.take({ ...request, cost }));
    await settle([first, ...rest], inner);
    expect(inner.calls.map((call) => [call.cost, call.unit])).toEqual([
      [1, 1],
      [5, 1],
      [1, 1],
      [2, 2],
      [1, 1],
    ]);
  });

  it('fails every waiter of a failed take, and goes on with those queued after it', async () => {
    const inner = new FakeStore();
    inner.failCall = 1;
    const store = new CoalescingRateLimitStore(inner);
    const first = store.take(request);
    await new Promise((resolve) => setImmediate(resolve));
    const batch = [store.take(request), store.take(request), store.take(request)];
    await inner.release(); // the first take succeeds; the batch of three goes as call 1
    const later = store.take(request);
    const settled = Promise.allSettled([first, ...batch, later]);
    for (let round = 0; round < 10; round += 1) await inner.release();
    const outcomes = await settled;
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect(inner.calls.map((call) => call.cost)).toEqual([1, 3, 1]);
  });

  it('rejects limits that cannot work as INTERNAL, without queueing', async () => {
    const store = new CoalescingRateLimitStore(new FakeStore());
    await expect(store.take({ ...request, cost: 6 })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(store.queued('submit:a')).toBe(0);
  });
});
