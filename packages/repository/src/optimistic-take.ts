import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@mediaflow/domain';
import { RATE_LIMIT_DEADLINE_MS } from './rate-limit-atomic';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';
import { validPartial } from './rate-limit-store';

/** One read-decide-write round of a take: the grant, or 'conflict' when another take wrote first. */
export type TakeRound = (cost: number, unit: number) => Promise<RateLimitGrant | 'conflict'>;

const BACKOFF_STEP_MS = 4;
const MAX_BACKOFF_MS = 50;

/**
 * Runs rounds until one decides, with a short randomized pause after each
 * conflict so racers spread out. Each lost round means another take
 * succeeded, so rounds end; a take that still has not decided after
 * `deadlineMs` fails with DATABASE_ERROR (503, retryable) rather than refuse
 * a client that may well be under its limit. With CoalescingRateLimitStore in
 * front, at most one take per key and replica races here.
 */
export async function takeOptimistically(
  request: RateLimitPartialRequest,
  round: TakeRound,
  deadlineMs = RATE_LIMIT_DEADLINE_MS,
): Promise<RateLimitGrant> {
  const { cost, unit } = validPartial(request);
  const deadline = performance.now() + deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await round(cost, unit);
    if (outcome !== 'conflict') return outcome;
    if (performance.now() > deadline) {
      throw new AppError('DATABASE_ERROR', `rate limit for ${request.key}: still contended after ${deadlineMs} ms`);
    }
    await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, BACKOFF_STEP_MS * attempt));
  }
}
