import { AppError } from '@mediaflow/domain';
import type { RateLimitRequest } from './rate-limit-store';
import { bucketHash, IDLE_BUCKET_GRACE_MS, keepUntilMs, takeFrom, validCost } from './token-bucket';

const start = new Date('2025-01-01T00:00:00.000Z');
const later = (ms: number): Date => new Date(start.getTime() + ms);
const request = (overrides: Partial<RateLimitRequest> = {}): RateLimitRequest => ({
  key: 'submit:key-1',
  capacity: 5,
  refillPerSecond: 1,
  now: start,
  ...overrides,
});

describe('takeFrom', () => {
  it('starts a new bucket full', () => {
    expect(takeFrom(undefined, request(), 1)).toEqual({
      decision: { allowed: true, remaining: 4, retryAfterMs: 0, resetMs: 1000 },
      next: { tokens: 4, updatedMs: start.getTime() },
    });
  });

  it('refuses without taking when too few tokens are left, and says when enough will be', () => {
    const state = { tokens: 0.25, updatedMs: start.getTime() };
    expect(takeFrom(state, request(), 1)).toEqual({
      decision: { allowed: false, remaining: 0, retryAfterMs: 750, resetMs: 4750 },
    });
    expect(takeFrom(state, request({ refillPerSecond: 0.5 }), 2).decision.retryAfterMs).toBe(3500);
  });

  it('refills for the time passed, up to capacity', () => {
    const state = { tokens: 0, updatedMs: start.getTime() };
    expect(takeFrom(state, request({ now: later(2500) }), 1)).toEqual({
      decision: { allowed: true, remaining: 1, retryAfterMs: 0, resetMs: 3500 },
      next: { tokens: 1.5, updatedMs: later(2500).getTime() },
    });
    expect(takeFrom(state, request({ now: later(60_000) }), 1).next).toEqual({
      tokens: 4,
      updatedMs: later(60_000).getTime(),
    });
  });

  it('does not lose a whole token to floating-point refill arithmetic', () => {
    const state = { tokens: 0, updatedMs: start.getTime() };
    // 3 s at 0.1 tokens/s is 0.30000000000000004 or 0.29999999999999993 depending on the order of operations.
    expect(takeFrom(state, request({ refillPerSecond: 0.1, now: later(3000) }), 0.3).decision.allowed).toBe(true);
  });

  it('refills nothing when the caller’s clock is behind the last writer’s', () => {
    const state = { tokens: 1, updatedMs: later(10_000).getTime() };
    expect(takeFrom(state, request({ now: start }), 1)).toEqual({
      decision: { allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 5000 },
      next: { tokens: 0, updatedMs: later(10_000).getTime() },
    });
  });
});

describe('validCost', () => {
  it('defaults the cost to 1', () => {
    expect(validCost(request())).toBe(1);
    expect(validCost(request({ cost: 5 }))).toBe(5);
  });

  it.each([
    ['a zero capacity', { capacity: 0 }],
    ['an infinite capacity', { capacity: Infinity }],
    ['no refill', { refillPerSecond: 0 }],
    ['a negative refill', { refillPerSecond: -1 }],
    ['a zero cost', { cost: 0 }],
    ['a cost above capacity', { cost: 6 }],
    ['an invalid date', { now: new Date(Number.NaN) }],
  ])('rejects %s as INTERNAL', (_label, overrides) => {
    let thrown: unknown;
    try {
      validCost(request(overrides));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'INTERNAL' });
  });
});

describe('keepUntilMs', () => {
  it('keeps a bucket until it would be full again, plus a grace period', () => {
    expect(keepUntilMs({ tokens: 2, updatedMs: 0 }, request(), 1000)).toBe(1000 + 3000 + IDLE_BUCKET_GRACE_MS);
  });
});

describe('bucketHash', () => {
  it('is a fixed-length hex id whatever the key', () => {
    expect(bucketHash('a#b/c'.repeat(200))).toMatch(/^[0-9a-f]{64}$/);
    expect(bucketHash('a')).not.toBe(bucketHash('b'));
  });
});
