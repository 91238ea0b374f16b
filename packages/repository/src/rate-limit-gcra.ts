import type { RateLimitGrant } from './rate-limit-store';
import { IDLE_BUCKET_GRACE_MS } from './token-bucket';

/**
 * The token bucket as GCRA, the generic cell rate algorithm (ATM Forum
 * Traffic Management Specification 4.0, "virtual scheduling"; the same
 * arithmetic as the meters of RFC 2697/2698). A bucket of `capacity` tokens
 * refilled at `refillPerSecond` is one number, the theoretical arrival time
 * `tat` (epoch milliseconds): when the bucket would be full again if nobody
 * took from it. With the emission interval T = 1000 / refillPerSecond (the
 * milliseconds one token takes to refill):
 *
 * - at `now`, the bucket holds (capacity·T − (max(tat, now) − now)) / T
 *   tokens; a tat in the past (or none) is a full bucket;
 * - a take of c tokens is allowed iff max(tat, now) + c·T − now ≤ capacity·T,
 *   and then tat := max(tat, now) + c·T; a refused take leaves tat alone;
 * - a refused take may retry after (max(tat, now) + c·T − capacity·T) − now.
 *
 * This is exactly the token bucket (burst = capacity, refill = rate), with
 * one property the stores rely on: tat only ever grows, by the cost of each
 * take, so a take is one conditional update with arithmetic
 * (`tat := tat + c·T if tat ≤ limit`) and every failed condition means some
 * other take succeeded. A replica whose clock lags the others' sees the
 * bucket emptier by the lag, never fuller.
 */

/** Comparisons allow this much (1 µs) for floating-point arithmetic on epoch milliseconds. */
export const TAT_TOLERANCE_MS = 1e-3;

export interface GcraLimits {
  capacity: number;
  refillPerSecond: number;
}

/** The milliseconds one token takes to refill. */
export function emissionIntervalMs(limits: GcraLimits): number {
  return 1000 / limits.refillPerSecond;
}

export interface GcraTake extends RateLimitGrant {
  /** tat after the take: undefined (no bucket) or the old tat when nothing was granted. */
  tat: number | undefined;
}

/**
 * Takes up to `cost` tokens in whole multiples of `unit` from the bucket
 * whose tat is `tat` (undefined: a new bucket) at `nowMs`. unit = cost is an
 * all-or-nothing take.
 */
export function gcraTake(
  tat: number | undefined,
  nowMs: number,
  limits: GcraLimits,
  cost: number,
  unit: number = cost,
): GcraTake {
  const interval = emissionIntervalMs(limits);
  const base = tat === undefined ? nowMs : Math.max(tat, nowMs);
  const units = Math.max(
    0,
    Math.floor((limits.capacity * interval - (base - nowMs) + TAT_TOLERANCE_MS) / (unit * interval)),
  );
  const granted = Math.min(cost, units * unit);
  const next = granted > 0 ? base + granted * interval : tat;
  return {
    ...gcraOutcome(granted > 0 ? base + granted * interval : base, nowMs, limits, cost, unit, granted),
    tat: next,
  };
}

/** The grant as seen from the bucket left at `after` (max(tat, now) once the take is done). */
export function gcraOutcome(
  after: number,
  nowMs: number,
  limits: GcraLimits,
  cost: number,
  unit: number,
  granted: number,
): RateLimitGrant {
  const interval = emissionIntervalMs(limits);
  const burstMs = limits.capacity * interval;
  const remaining = Math.max(0, Math.floor((burstMs - (Math.max(after, nowMs) - nowMs) + TAT_TOLERANCE_MS) / interval));
  const retryAfterMs =
    granted >= cost
      ? 0
      : Math.max(1, Math.ceil(Math.max(after, nowMs) + unit * interval - burstMs - nowMs - TAT_TOLERANCE_MS));
  // The bucket is full again once the clock reaches the tat: GCRA state gives this directly.
  const resetMs = Math.max(0, Math.ceil(Math.max(after, nowMs) - nowMs - TAT_TOLERANCE_MS));
  return { granted, remaining, retryAfterMs, resetMs };
}

/**
 * The range of tat in which a take decides as it did for `tat`: every tat
 * in (low, high] grants the same `granted` (low undefined: no lower bound,
 * since a full grant cannot grow). A store makes its update conditional on
 * the stored tat lying in this range, so the decision holds whatever the
 * tat it guessed from.
 */
export function gcraGrantRange(
  nowMs: number,
  limits: GcraLimits,
  cost: number,
  unit: number,
  granted: number,
): { low: number | undefined; high: number } {
  const interval = emissionIntervalMs(limits);
  const top = nowMs + limits.capacity * interval + TAT_TOLERANCE_MS;
  return {
    low: granted >= cost ? undefined : top - (granted + unit) * interval,
    high: top - granted * interval,
  };
}

/** Until when a bucket must be kept (real clock, as databases expire items by it): it is full by then, plus grace. */
export function gcraKeepUntilMs(limits: GcraLimits, realNowMs: number): number {
  // A tat is never more than capacity·T ahead of the clock of the take that set it.
  return realNowMs + Math.ceil(limits.capacity * emissionIntervalMs(limits)) + IDLE_BUCKET_GRACE_MS;
}
