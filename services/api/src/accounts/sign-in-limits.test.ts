import { lockoutDelayMs, lockoutRemainingMs, SIGN_IN_POLICY } from './sign-in-limits';

describe('sign-in lockout policy', () => {
  it('lets the first five failures pass, then doubles the delay from 1 s up to 15 minutes', () => {
    expect([0, 1, 4].map((failures) => lockoutDelayMs(failures))).toEqual([0, 0, 0]);
    expect([5, 6, 7, 8].map((failures) => lockoutDelayMs(failures))).toEqual([1000, 2000, 4000, 8000]);
    expect(lockoutDelayMs(14)).toBe(512_000);
    expect(lockoutDelayMs(15)).toBe(15 * 60_000);
    expect(lockoutDelayMs(1_000_000)).toBe(15 * 60_000);
    expect(SIGN_IN_POLICY.maxDelayMs).toBe(15 * 60_000);
  });

  it('counts the wait from the last failure, and never beyond the cap', () => {
    const last = '2026-12-01T08:00:00.000Z';
    const at = (ms: number): Date => new Date(Date.parse(last) + ms);
    expect(lockoutRemainingMs(undefined, at(0))).toBe(0);
    expect(lockoutRemainingMs({ count: 4, last_failure_at: last }, at(0))).toBe(0);
    expect(lockoutRemainingMs({ count: 6, last_failure_at: last }, at(500))).toBe(1500);
    expect(lockoutRemainingMs({ count: 6, last_failure_at: last }, at(2000))).toBe(0);
    expect(lockoutRemainingMs({ count: 99, last_failure_at: last }, at(0))).toBe(15 * 60_000);
    // The failures are forgotten well after the longest lock has run out.
    expect(SIGN_IN_POLICY.forgetAfterMs).toBeGreaterThan(SIGN_IN_POLICY.maxDelayMs);
  });
});
