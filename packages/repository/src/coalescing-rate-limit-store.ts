import { RateLimitStore, validPartial } from './rate-limit-store';
import type { RateLimitDecision, RateLimitGrant, RateLimitPartialRequest, RateLimitRequest } from './rate-limit-store';
import { validCost } from './token-bucket';

interface Waiter {
  request: RateLimitRequest;
  cost: number;
  /** A takeUpTo of the caller's own: it goes alone, as asked. */
  partial?: { unit: number };
  resolve(grant: RateLimitGrant): void;
  reject(error: unknown): void;
}

interface Lane {
  waiters: Waiter[];
  running: boolean;
}

// Float sums of fractional costs.
const EPSILON = 1e-9;

/**
 * Keeps at most one database take in flight per bucket in this process.
 * Takes of a bucket that arrive while one is in flight queue up and go
 * together as ONE take of their summed cost (at most the capacity) in the
 * next round, as a partial take in units of their cost (takeUpTo); the
 * grant is split in arrival order: the first granted/cost of them are
 * allowed, the rest refused with the Retry-After of the bucket as left.
 * Every waiter gets what the same takes one after another would have got:
 * the same number allowed, in the same order, the same remaining count.
 *
 * So a burst of N concurrent requests of one key costs this replica a
 * couple of database calls instead of N racing ones, and across R replicas
 * at most R takes of a key race at the database. A failed take fails every
 * waiter that went with it; those still queued go in the next round.
 *
 * A batch holds consecutive waiters with the same limits and cost; `now` is
 * the latest of theirs (they all arrived before the round started).
 */
export class CoalescingRateLimitStore extends RateLimitStore {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly inner: RateLimitStore) {
    super();
  }

  async init(): Promise<void> {
    return this.inner.init();
  }

  async checkSchema(): Promise<void> {
    return this.inner.checkSchema();
  }

  async close(): Promise<void> {
    return this.inner.close();
  }

  override async take(request: RateLimitRequest): Promise<RateLimitDecision> {
    const cost = validCost(request);
    const grant = await this.enqueue({ request, cost });
    const allowed = grant.granted >= cost;
    return {
      allowed,
      remaining: grant.remaining,
      retryAfterMs: allowed ? 0 : grant.retryAfterMs,
      resetMs: grant.resetMs,
    };
  }

  async takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant> {
    const { cost, unit } = validPartial(request);
    return this.enqueue({ request, cost, partial: { unit } });
  }

  /** Waiters queued for `key` right now, for tests and metrics. */
  queued(key: string): number {
    return this.lanes.get(key)?.waiters.length ?? 0;
  }

  private async enqueue(waiter: Omit<Waiter, 'resolve' | 'reject'>): Promise<RateLimitGrant> {
    return new Promise<RateLimitGrant>((resolve, reject) => {
      const key = waiter.request.key;
      let lane = this.lanes.get(key);
      if (!lane) {
        lane = { waiters: [], running: false };
        this.lanes.set(key, lane);
      }
      lane.waiters.push({ ...waiter, resolve, reject });
      if (!lane.running) void this.drain(key, lane);
    });
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.waiters.length > 0) {
        const batch = takeBatch(lane.waiters);
        await this.run(batch);
      }
    } finally {
      lane.running = false;
      if (lane.waiters.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
    }
  }

  private async run(batch: Waiter[]): Promise<void> {
    const [first] = batch;
    let grant: RateLimitGrant;
    try {
      if (first.partial) {
        grant = await this.inner.takeUpTo({ ...first.request, cost: first.cost, unit: first.partial.unit });
        first.resolve(grant);
        return;
      }
      const now = new Date(Math.max(...batch.map((waiter) => waiter.request.now.getTime())));
      grant = await this.inner.takeUpTo({
        key: first.request.key,
        capacity: first.request.capacity,
        refillPerSecond: first.request.refillPerSecond,
        cost: first.cost * batch.length,
        unit: first.cost,
        now,
      });
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
      return;
    }
    const allowed = Math.min(batch.length, Math.floor(grant.granted / first.cost + EPSILON));
    const intervalMs = 1000 / first.request.refillPerSecond;
    batch.forEach((waiter, index) => {
      if (index < allowed) {
        // As if they had gone one after another: the ones before the last saw more left.
        const remaining = Math.floor(grant.remaining + (allowed - 1 - index) * first.cost + EPSILON);
        const resetMs = Math.max(
          0,
          Math.ceil(grant.resetMs - (allowed - 1 - index) * first.cost * intervalMs - EPSILON),
        );
        waiter.resolve({ granted: first.cost, remaining, retryAfterMs: 0, resetMs });
      } else {
        waiter.resolve({
          granted: 0,
          remaining: grant.remaining,
          retryAfterMs: Math.max(1, grant.retryAfterMs),
          resetMs: grant.resetMs,
        });
      }
    });
  }
}

/** Removes and returns the next batch: the first waiter and the consecutive ones that can go with it. */
function takeBatch(waiters: Waiter[]): Waiter[] {
  const [first] = waiters;
  if (first.partial) return waiters.splice(0, 1);
  const most = Math.max(1, Math.floor(first.request.capacity / first.cost + EPSILON));
  let size = 1;
  while (size < waiters.length && size < most) {
    const next = waiters[size];
    if (
      next.partial ||
      next.cost !== first.cost ||
      next.request.capacity !== first.request.capacity ||
      next.request.refillPerSecond !== first.request.refillPerSecond
    ) {
      break;
    }
    size += 1;
  }
  return waiters.splice(0, size);
}
