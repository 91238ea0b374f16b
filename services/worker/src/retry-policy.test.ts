import { jobTimeLimitMs, retryDelayMs } from './retry-policy';

const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 10_000 };

describe('retryDelayMs', () => {
  it('doubles with each attempt, between half and all of the step', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(2, policy, () => 1)).toBe(2000);
    expect(retryDelayMs(3, policy, () => 0)).toBe(2000);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(20, policy, () => 1)).toBe(10_000);
  });

  it('spreads retries of simultaneous failures', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});

describe('jobTimeLimitMs', () => {
  it('scales with the duration above the floor', () => {
    expect(jobTimeLimitMs(3600, 10, 300)).toBe(36_000_000);
    expect(jobTimeLimitMs(5, 10, 300)).toBe(300_000);
  });
});
