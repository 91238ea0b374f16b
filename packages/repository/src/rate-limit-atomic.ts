import { performance } from 'node:perf_hooks';
import { AppError } from '@mediaflow/domain';
import { emissionIntervalMs, gcraGrantRange, gcraOutcome, gcraTake, TAT_TOLERANCE_MS } from './rate-limit-gcra';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';
import { validPartial } from './rate-limit-store';

/** How long a take may keep losing conditions before it fails with DATABASE_ERROR (503) rather than refuse. */
export const RATE_LIMIT_DEADLINE_MS = 2_000;

/** What a conditional update did: the tat it left, or, when its condition failed, the tat it found if known. */
export type TatUpdate =
  | { ok: true; tat: number }
  | { ok: false; /** Absent: the store could not tell (read it). */ current?: { tat: number | undefined } };

/** Where the stored tat must lie for an advance to decide as computed. */
export interface TatRange {
  from: number;
  low: number | undefined;
  high: number;
}

/** The three operations a store offers on one bucket's tat; each is one atomic database call. */
export interface AtomicTatOperations {
  /** A consistent read of the tat; undefined when there is no bucket. */
  read(): Promise<number | undefined>;
  /** Sets tat := `tat` if the bucket is new or idle (no tat, or tat < nowMs). */
  startIdle(tat: number, nowMs: number): Promise<TatUpdate>;
  /** Adds `deltaMs` to tat if from ≤ tat ≤ high and, when `low` is given, tat > low. */
  advance(deltaMs: number, range: TatRange): Promise<TatUpdate>;
}

/** The last tat this process saw per bucket: the guess that picks the branch, so that most takes are one call. */
export class TatCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  get(id: string): number | undefined {
    return this.seen.get(id);
  }

  set(id: string, tat: number | undefined): void {
    if (tat === undefined) {
      this.seen.delete(id);
      return;
    }
    if (this.seen.size >= this.maxEntries && !this.seen.has(id)) this.seen.clear();
    this.seen.set(id, tat);
  }
}

/**
 * A GCRA take as conditional updates with arithmetic, never a
 * read-decide-write: either "new or idle bucket: tat := now + cost·T" or
 * "busy bucket: tat := tat + granted·T if tat lies where it grants that
 * much" (see gcraGrantRange). The branch comes from the last tat seen (a
 * guess); a failed condition returns the tat found, which decides the next
 * attempt, or a refusal. Refusals are only ever decided on a tat actually
 * read, never on a guess. Each failed condition means another take moved
 * tat forward, so attempts end; a take still failing after `deadlineMs`
 * throws DATABASE_ERROR (503, retryable) instead of refusing a client that
 * may be under its limit.
 */
export async function takeAtomically(
  request: RateLimitPartialRequest,
  id: string,
  operations: AtomicTatOperations,
  cache: TatCache,
  deadlineMs = RATE_LIMIT_DEADLINE_MS,
): Promise<RateLimitGrant> {
  const { cost, unit } = validPartial(request);
  const nowMs = request.now.getTime();
  const interval = emissionIntervalMs(request);
  const deadline = performance.now() + deadlineMs;
  let tat = cache.get(id);
  let fresh = false;
  // Decided from a tat the database then disagreed about without anyone moving it: rounding at a
  // boundary (the database computes in decimal). Deciding as if a hair later settles it, conservatively.
  let bias = 0;
  for (;;) {
    let update: TatUpdate;
    const decidedFrom = tat;
    // The branches overlap by the tolerance, so a tat within rounding of `now` fits one of them for sure.
    if (tat === undefined || tat < nowMs - TAT_TOLERANCE_MS / 2) {
      update = await operations.startIdle(nowMs + cost * interval, nowMs);
      if (update.ok) {
        cache.set(id, update.tat);
        return gcraOutcome(update.tat, nowMs, request, cost, unit, cost);
      }
    } else {
      const decision = gcraTake(tat + bias, nowMs, request, cost, unit);
      if (decision.granted === 0) {
        if (fresh) {
          return {
            granted: 0,
            remaining: decision.remaining,
            retryAfterMs: decision.retryAfterMs,
            resetMs: decision.resetMs,
          };
        }
        update = { ok: false };
      } else {
        const range = gcraGrantRange(nowMs, request, cost, unit, decision.granted);
        update = await operations.advance(decision.granted * interval, {
          from: nowMs - TAT_TOLERANCE_MS,
          low: range.low === undefined ? undefined : range.low - bias,
          high: range.high - bias,
        });
        if (update.ok) {
          cache.set(id, update.tat);
          return gcraOutcome(update.tat, nowMs, request, cost, unit, decision.granted);
        }
      }
    }
    if (performance.now() > deadline) {
      throw new AppError('DATABASE_ERROR', `rate limit for ${request.key}: still contended after ${deadlineMs} ms`);
    }
    tat = update.current ? update.current.tat : await operations.read();
    if (fresh && tat === decidedFrom && tat !== undefined) bias += 2 * TAT_TOLERANCE_MS;
    fresh = true;
    cache.set(id, tat);
  }
}
