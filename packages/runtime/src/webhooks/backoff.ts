/** The retry schedule of webhook deliveries (WEBHOOK_RETRY_*). */
export interface RetrySchedule {
  /** The delay before the 2nd attempt, before jitter (ms); each later one doubles. */
  baseMs: number;
  /** The longest delay between two attempts, before jitter (ms). */
  maxMs: number;
  /** How long a delivery is retried, from its creation (ms); one more attempt may fall after it. */
  windowMs: number;
}

/**
 * The delay after failed attempt number `attempt` (1 = the first):
 * `min(maxMs, baseMs · 2^(attempt-1))`, jittered to between half and all of
 * it, so receivers coming back from an outage are not hit by every
 * delivery at the same instant.
 *
 * @param random A number in [0, 1); Math.random by default, fixed in tests.
 * @returns Milliseconds, at least 1.
 */
export function retryDelayMs(attempt: number, schedule: RetrySchedule, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** exponent);
  return Math.max(1, Math.round(ceiling / 2 + (ceiling / 2) * random()));
}

/**
 * When to try again after failed attempt number `attempt`, or null to give
 * up: a delivery is retried while it is younger than the window, so the last
 * attempt is at or after the window's end (with the defaults: at least 24 h
 * of retries, hourly at the end).
 *
 * @param createdAt When the delivery was recorded.
 * @param now When the failed attempt finished.
 */
export function nextAttemptAt(
  attempt: number,
  createdAt: Date,
  now: Date,
  schedule: RetrySchedule,
  random: () => number = Math.random,
): Date | null {
  if (now.getTime() - createdAt.getTime() >= schedule.windowMs) return null;
  return new Date(now.getTime() + retryDelayMs(attempt, schedule, random));
}
