export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with jitter: the n-th retry waits between half and all
 * of base·2^(n-1), capped. The jitter keeps a burst of failures (a storage
 * blip hitting every worker at once) from retrying in lockstep.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}

/** Limit on one FFmpeg run: a multiple of the media's duration, never below a floor. */
export function jobTimeLimitMs(durationSec: number, factor: number, minimumSec: number): number {
  return Math.max(minimumSec, Math.ceil(durationSec * factor)) * 1000;
}
