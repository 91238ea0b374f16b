import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { AppError } from '@mediaflow/domain';
import type { AccountStore, RateLimitStore } from '@mediaflow/repository';

/**
 * The sign-in throttling policy (README "Accounts"):
 *
 * 1. Per (account, client address) pair, exponential lockout: the first
 *    FREE_FAILURES failed sign-ins cost nothing; after the n-th failure
 *    (n ≥ FREE_FAILURES) that pair may not try again for
 *    min(BASE_DELAY · 2^(n − FREE_FAILURES), MAX_DELAY): 1 s, 2 s, 4 s, …
 *    capped at 15 minutes. A refused (locked) attempt is not a failure and
 *    does not lengthen the lock. The count is forgotten FORGET_AFTER after the
 *    last failure, and reset by a successful sign-in. Another address is not
 *    affected, so an attacker cannot lock a person out from where they are.
 * 2. Per account, a looser token bucket over every address: ACCOUNT_BURST
 *    attempts at once, then one per ACCOUNT_REFILL_SECONDS (about 1,900 a day):
 *    it bounds a distributed guessing attack. It can slow the person too while
 *    such an attack runs, never for longer than one refill interval after.
 * 3. Per client address, a token bucket over every account (sign-ups too):
 *    ADDRESS_BURST at once, then ADDRESS_PER_MINUTE a minute, against one
 *    address trying many accounts (credential stuffing).
 *
 * Every refusal is 429 RATE_LIMITED with Retry-After (seconds). Counters and
 * buckets live in the database, shared by every API replica.
 */
export const SIGN_IN_POLICY = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 30 * 60_000,
  accountBurst: 20,
  accountRefillSeconds: 45,
  addressBurst: 20,
  addressPerMinute: 10,
} as const;

/** How long a pair with `failures` failed sign-ins must wait after the last one, in ms (policy point 1). */
export function lockoutDelayMs(failures: number, policy = SIGN_IN_POLICY): number {
  if (failures < policy.freeFailures) return 0;
  const exponent = failures - policy.freeFailures;
  // 2^exponent overflows nothing below the cap: stop doubling once past it.
  return exponent >= 30 ? policy.maxDelayMs : Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs);
}

/** Milliseconds the pair must still wait at `now`; 0 when it may try. */
export function lockoutRemainingMs(
  failures: { count: number; last_failure_at: string } | undefined,
  now: Date,
  policy = SIGN_IN_POLICY,
): number {
  if (!failures) return 0;
  const until = Date.parse(failures.last_failure_at) + lockoutDelayMs(failures.count, policy);
  return Math.max(0, until - now.getTime());
}

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function refuse(res: Response, retryAfterMs: number, message: string): never {
  res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  throw new AppError('RATE_LIMITED', message);
}

/** Applies SIGN_IN_POLICY; email and address are stored only as digests. */
export class SignInLimits {
  constructor(
    private readonly accounts: AccountStore,
    private readonly buckets: RateLimitStore,
    private readonly policy = SIGN_IN_POLICY,
  ) {}

  /**
   * Policy point 3, for sign-ups and sign-ins.
   * @throws AppError RATE_LIMITED (429, Retry-After set).
   */
  async admitAddress(address: string, res: Response, now: Date): Promise<void> {
    const verdict = await this.buckets.take({
      key: `auth-address:${address}`,
      capacity: this.policy.addressBurst,
      refillPerSecond: this.policy.addressPerMinute / 60,
      now,
    });
    if (!verdict.allowed)
      refuse(res, verdict.retryAfterMs, 'too many sign-in or sign-up attempts from this address; retry later');
  }

  /**
   * Policy points 1 and 2, before the password is checked.
   * @throws AppError RATE_LIMITED (429, Retry-After set).
   */
  async admitSignIn(email: string, address: string, res: Response, now: Date): Promise<void> {
    const locked = lockoutRemainingMs(
      await this.accounts.getSignInFailures(this.pairId(email, address), now),
      now,
      this.policy,
    );
    if (locked > 0) refuse(res, locked, 'too many failed sign-ins for this account from this address; retry later');
    const verdict = await this.buckets.take({
      key: `auth-account:${digest(email)}`,
      capacity: this.policy.accountBurst,
      refillPerSecond: 1 / this.policy.accountRefillSeconds,
      now,
    });
    if (!verdict.allowed) refuse(res, verdict.retryAfterMs, 'too many sign-in attempts for this account; retry later');
  }

  /** Counts a failed sign-in of the pair. */
  async failed(email: string, address: string, now: Date): Promise<void> {
    await this.accounts.recordSignInFailure(this.pairId(email, address), now, this.policy.forgetAfterMs);
  }

  /** Forgets the pair's failures after a successful sign-in. */
  async succeeded(email: string, address: string): Promise<void> {
    await this.accounts.clearSignInFailures(this.pairId(email, address));
  }

  private pairId(email: string, address: string): string {
    return digest(`${email}\n${address}`);
  }
}
