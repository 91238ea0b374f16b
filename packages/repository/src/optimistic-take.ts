import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitDecision, RateLimitRequest } from './rate-limit-store';
import { validCost } from './token-bucket';

/** One read-decide-write round of a take: the decision, or 'conflict' when another take wrote first. */
export type TakeRound = (cost: number) => Promise<RateLimitDecision | 'conflict'>;

/**
 * Each lost round means another take succeeded, so a take that loses this
 * often is up against at least as many concurrent takes of the same key.
 */
export const MAX_TAKE_ROUNDS = 10;
/** What a take that kept losing tells its client: come back shortly. */
export const CONTENDED_RETRY_MS = 250;
const BACKOFF_STEP_MS = 4;

/** Runs rounds until one decides, with a short randomized pause after each conflict so racers spread out. */
export async function takeOptimistically(request: RateLimitRequest, round: TakeRound): Promise<RateLimitDecision> {
  const cost = validCost(request);
  for (let attempt = 1; attempt <= MAX_TAKE_ROUNDS; attempt += 1) {
    const outcome = await round(cost);
    if (outcome !== 'conflict') return outcome;
    await sleep(Math.random() * BACKOFF_STEP_MS * attempt);
  }
  return { allowed: false, remaining: 0, retryAfterMs: CONTENDED_RETRY_MS };
}
