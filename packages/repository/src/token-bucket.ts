import { createHash } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { RateLimitDecision, RateLimitPartialRequest, RateLimitRequest } from './rate-limit-store';

/**
 * The token-bucket view of a bucket: its tokens as of `updatedMs` (epoch
 * milliseconds). The stores keep the equivalent GCRA state instead (see
 * rate-limit-gcra.ts); this view remains as the reference the GCRA is tested
 * against, and for reading bucket entries written by earlier versions.
 */
export interface BucketState {
  tokens: number;
  updatedMs: number;
}

export interface TakeOutcome {
  decision: RateLimitDecision;
  /** The state to store; absent when nothing was taken, so nothing needs writing. */
  next?: BucketState;
}

// Refill arithmetic in binary floating point can land a hair below a whole token (0.1 * 3 < 0.3).
const EPSILON = 1e-9;
/** How long an idle bucket is kept beyond the time it needs to fill up, after which it may be forgotten. */
export const IDLE_BUCKET_GRACE_MS = 60 * 60 * 1000;

/** The storage id of a bucket: keys may be long or hold any character. */
export function bucketHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Throws INTERNAL for limits that cannot work; returns the cost the request takes. */
export function validCost(request: RateLimitRequest): number {
  const cost = request.cost ?? 1;
  const fail = (what: string): never => {
    throw new AppError('INTERNAL', `rate limit for ${request.key}: ${what}`);
  };
  if (!Number.isFinite(request.capacity) || request.capacity <= 0) fail('capacity must be a positive number');
  if (!Number.isFinite(request.refillPerSecond) || request.refillPerSecond <= 0) {
    fail('refillPerSecond must be a positive number');
  }
  if (!Number.isFinite(cost) || cost <= 0 || cost > request.capacity) {
    fail('cost must be positive and at most capacity');
  }
  if (Number.isNaN(request.now.getTime())) fail('now is no valid date');
  return cost;
}

/** Throws INTERNAL unless 0 < unit ≤ cost and cost is a whole multiple of unit; returns the unit (`cost` when absent). */
export function validUnit(request: RateLimitPartialRequest, cost: number): number {
  const unit = request.unit ?? cost;
  const multiple = cost / unit;
  if (!Number.isFinite(unit) || unit <= 0 || unit > cost || Math.abs(multiple - Math.round(multiple)) > 1e-9) {
    throw new AppError('INTERNAL', `rate limit for ${request.key}: unit must be positive and divide cost`);
  }
  return unit;
}

/**
 * Decides a take against the bucket as read (undefined: a new bucket, full).
 * The clock never runs backwards for a bucket: a replica whose clock lags
 * the last writer's refills nothing rather than a negative amount.
 */
export function takeFrom(state: BucketState | undefined, request: RateLimitRequest, cost: number): TakeOutcome {
  const nowMs = request.now.getTime();
  const updatedMs = state === undefined ? nowMs : Math.max(state.updatedMs, nowMs);
  const elapsedMs = state === undefined ? 0 : Math.max(0, nowMs - state.updatedMs);
  const tokens =
    state === undefined
      ? request.capacity
      : Math.min(request.capacity, state.tokens + (elapsedMs / 1000) * request.refillPerSecond);
  if (tokens + EPSILON >= cost) {
    const left = Math.max(0, tokens - cost);
    return {
      decision: { allowed: true, remaining: wholeTokens(left), retryAfterMs: 0, resetMs: fillMs(left, request) },
      next: { tokens: left, updatedMs },
    };
  }
  const missing = cost - tokens;
  return {
    decision: {
      allowed: false,
      remaining: wholeTokens(tokens),
      retryAfterMs: Math.max(1, Math.ceil((missing / request.refillPerSecond) * 1000)),
      resetMs: fillMs(tokens, request),
    },
  };
}

/** When a bucket left in `state` would be full again plus a grace period: until then it must be kept. */
export function keepUntilMs(state: BucketState, request: RateLimitRequest, realNowMs: number): number {
  const fillMs = ((request.capacity - state.tokens) / request.refillPerSecond) * 1000;
  // Judged by the real clock, since the database expires items by it.
  return realNowMs + Math.ceil(Math.max(0, fillMs)) + IDLE_BUCKET_GRACE_MS;
}

/** Milliseconds until a bucket holding `tokens` is full again. */
function fillMs(tokens: number, request: RateLimitRequest): number {
  return Math.max(0, Math.ceil(((request.capacity - tokens) / request.refillPerSecond) * 1000 - EPSILON));
}

function wholeTokens(tokens: number): number {
  return Math.max(0, Math.floor(tokens + EPSILON));
}
