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

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole tokens left after this request (nothing was taken when it was not allowed). */
  remaining: number;
  /** 0 when allowed; otherwise how long until the bucket holds `cost` tokens, for Retry-After. */
  retryAfterMs: number;
}

/**
 * Token buckets kept in the database, so that every API replica draws from
 * the same bucket. A take reads the bucket, refills it for the time passed,
 * and writes it back only if nobody else wrote it in between; a take that
 * lost such a race starts over, a few times at most. A take that keeps
 * losing (one key hammered by many concurrent requests) is refused with a
 * short retryAfterMs instead of waiting its turn: a limiter should never
 * become the bottleneck it protects against.
 *
 * A bucket nobody took from for longer than it takes to refill is full
 * again, so the database may forget it (time-to-live); the next take starts
 * a full bucket, which is the same thing.
 */
export abstract class RateLimitStore {
  /** Creates what the store needs (indexes, the table) if missing. Safe to call from every process at once. */
  abstract init(): Promise<void>;

  /** Takes `cost` tokens from the bucket if it holds them. Throws INTERNAL for nonsensical limits. */
  abstract take(request: RateLimitRequest): Promise<RateLimitDecision>;

  /** Releases what the store opened itself; a shared client stays open. */
  abstract close(): Promise<void>;
}
