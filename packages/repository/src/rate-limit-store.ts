import { validCost, validUnit } from './token-bucket';

export interface RateLimitRequest {
  /** What the bucket limits, e.g. `submit:<key id>`; any string, stored hashed. */
  key: string;
  /** Most tokens the bucket holds, which is also the largest burst; a new bucket starts full. */
  capacity: number;
  /** Tokens added per second, up to `capacity`. */
  refillPerSecond: number;
  /** Tokens this request takes; 1 when absent. At most `capacity`. */
  cost?: number;
  /** The caller's clock; the bucket refills by the time since its last take. */
  now: Date;
}

/** A take that may be granted in part: `cost` is the most it wants, granted in whole multiples of `unit`. */
export interface RateLimitPartialRequest extends RateLimitRequest {
  /** The granularity of a partial grant; `cost` when absent (all or nothing). At most `cost`. */
  unit?: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole tokens left after this request (nothing was taken when it was not allowed). */
  remaining: number;
  /** 0 when allowed; otherwise how long until the bucket holds `cost` tokens, for Retry-After. */
  retryAfterMs: number;
  /** How long until the bucket is full again if nobody takes from it (0: full now), for RateLimit-Reset. */
  resetMs: number;
}

export interface RateLimitGrant {
  /** Tokens taken: a whole multiple of `unit`, from 0 up to `cost`. */
  granted: number;
  /** Whole tokens left after this take. */
  remaining: number;
  /** 0 when all of `cost` was granted; otherwise how long until the bucket holds `unit` more tokens. */
  retryAfterMs: number;
  /** How long until the bucket is full again if nobody takes from it (0: full now). */
  resetMs: number;
}

/**
 * Token buckets kept in the database, so that every API replica draws from
 * the same bucket.
 *
 * Semantics (the same for every store): a bucket holds at most `capacity`
 * tokens, which is the largest burst; a new or long idle bucket is full; it
 * refills continuously at `refillPerSecond`; a take of `cost` succeeds iff
 * the bucket holds `cost` tokens at the take's `now`, and a refused take
 * takes nothing. Every replica with the same database shares the bucket.
 *
 * The stores keep the bucket as GCRA state (see rate-limit-gcra.ts): a
 * single number, the theoretical arrival time, which a take only ever moves
 * forward, so a store can take in one conditional update with arithmetic
 * (DynamoDB, MongoDB) instead of read-decide-write rounds. A take never
 * answers "refused" because it lost a race: if the database keeps it busy
 * beyond a short deadline it fails with DATABASE_ERROR (503, retryable).
 *
 * A bucket nobody took from for longer than it takes to refill is full
 * again, so the database may forget it (time-to-live); the next take starts
 * a full bucket, which is the same thing.
 */
export abstract class RateLimitStore {
  /** Creates what the store needs (indexes, the table) if missing. Safe to call from every process at once. */
  abstract init(): Promise<void>;

  /** Creates nothing; throws as JobRepository.checkSchema() does unless init() has run on this database. */
  abstract checkSchema(): Promise<void>;

  /**
   * Takes as many whole `unit`s of tokens, up to `cost`, as the bucket holds
   * right now, in one atomic step. Throws INTERNAL for nonsensical limits.
   */
  abstract takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant>;

  /** Takes `cost` tokens from the bucket if it holds them, else nothing. Throws INTERNAL for nonsensical limits. */
  async take(request: RateLimitRequest): Promise<RateLimitDecision> {
    const cost = validCost(request);
    const grant = await this.takeUpTo({ ...request, cost, unit: cost });
    const allowed = grant.granted >= cost;
    return {
      allowed,
      remaining: grant.remaining,
      retryAfterMs: allowed ? 0 : grant.retryAfterMs,
      resetMs: grant.resetMs,
    };
  }

  /** Releases what the store opened itself; a shared client stays open. */
  abstract close(): Promise<void>;
}

/** Validates a partial request: its cost and unit (unit ≤ cost ≤ capacity). */
export function validPartial(request: RateLimitPartialRequest): { cost: number; unit: number } {
  const cost = validCost(request);
  return { cost, unit: validUnit(request, cost) };
}
