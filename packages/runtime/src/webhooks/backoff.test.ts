import { nextAttemptAt, retryDelayMs } from './backoff';

const HOUR = 3_600_000;
const DEFAULTS = { baseMs: 5_000, maxMs: HOUR, windowMs: 24 * HOUR };

describe('retryDelayMs', () => {
  it.each([
    // attempt, delay without jitter (random = 1), with the most jitter (random = 0)
    [1, 5_000, 2_500],
    [2, 10_000, 5_000],
    [3, 20_000, 10_000],
    [6, 160_000, 80_000],
    [10, 2_560_000, 1_280_000],
    [11, HOUR, HOUR / 2],
    [40, HOUR, HOUR / 2],
    [1_000, HOUR, HOUR / 2],
  ])('after attempt %i waits up to %i ms, at least %i ms', (attempt, most, least) => {
    expect(retryDelayMs(attempt, DEFAULTS, () => 1)).toBe(most);
    expect(retryDelayMs(attempt, DEFAULTS, () => 0)).toBe(least);
    const jittered = retryDelayMs(attempt, DEFAULTS);
    expect(jittered).toBeGreaterThanOrEqual(least);
    expect(jittered).toBeLessThanOrEqual(most);
  });
});

describe('nextAttemptAt', () => {
  it('keeps retrying for the whole window, then gives up', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    // Simulate the schedule without jitter, each attempt failing instantly.
    let now = created;
    let attempts = 0;
    const times: number[] = [];
    for (;;) {
      attempts += 1;
      const next = nextAttemptAt(attempts, created, now, DEFAULTS, () => 1);
      if (next === null) break;
      times.push(next.getTime() - created.getTime());
      now = next;
    }
    // Retried for at least 24 h: the last attempt is at or after the window's end, within one maximum delay.
    const lastAttemptAt = now.getTime() - created.getTime();
    expect(lastAttemptAt).toBeGreaterThanOrEqual(24 * HOUR);
    expect(lastAttemptAt).toBeLessThan(25 * HOUR);
    // 5 s, 10 s, 20 s … doubling to an hour, then hourly.
    expect(times.slice(0, 4)).toEqual([5_000, 15_000, 35_000, 75_000]);
    expect(attempts).toBe(34);
  });

  it('gives up at once for a delivery older than the window', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    expect(nextAttemptAt(1, created, new Date(created.getTime() + 24 * HOUR), DEFAULTS)).toBeNull();
    expect(nextAttemptAt(1, created, new Date(created.getTime() + 24 * HOUR - 1), DEFAULTS)).not.toBeNull();
  });
});
