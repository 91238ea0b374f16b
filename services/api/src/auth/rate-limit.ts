import type { RequestHandler, Response } from 'express';
import { AppError } from '@mediaflow/domain';
import type { RateLimitStore } from '@mediaflow/repository';
import { principalOf } from './require-api-key';

export interface BucketPolicy {
  /** Names the bucket, so submissions and uploads are limited separately. */
  name: string;
  perMinute: number;
  burst: number;
}

/**
 * Takes one token from the caller's bucket (per API key, kept in the
 * database so every API replica draws from the same bucket) and describes
 * the bucket in the response, allowed or not, with the fields of
 * draft-ietf-httpapi-ratelimit-headers-06 (separate fields, integer values):
 *
 * - `RateLimit-Limit`: the burst, the most requests the bucket allows at once;
 * - `RateLimit-Remaining`: whole tokens left after this request;
 * - `RateLimit-Reset`: seconds until the bucket is full again (0 when it is);
 * - `RateLimit-Policy`: `<burst>;w=<seconds a full burst takes to refill>`.
 *
 * Over the limit it also sets Retry-After (seconds until one token is back).
 *
 * @throws AppError RATE_LIMITED (429) when the bucket is empty; DATABASE_ERROR (503) from the store.
 */
export async function takeToken(store: RateLimitStore, policy: BucketPolicy, res: Response): Promise<void> {
  const { keyId } = principalOf(res);
  const refillPerSecond = policy.perMinute / 60;
  const verdict = await store.take({
    key: `${policy.name}:${keyId}`,
    capacity: policy.burst,
    refillPerSecond,
    now: new Date(),
  });
  res.set({
    'RateLimit-Limit': String(policy.burst),
    'RateLimit-Remaining': String(Math.max(0, Math.floor(verdict.remaining))),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(verdict.resetMs / 1000))),
    'RateLimit-Policy': `${policy.burst};w=${Math.max(1, Math.ceil(policy.burst / refillPerSecond))}`,
  });
  if (!verdict.allowed) {
    res.set('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
    throw new AppError('RATE_LIMITED', `too many ${policy.name} requests; retry later`);
  }
}

/**
 * takeToken as middleware, for routes whose requests cannot be judged before
 * their body streams in (uploads): every request that reaches it spends a token.
 */
export function rateLimit(store: RateLimitStore, policy: BucketPolicy): RequestHandler {
  return async (_req, res, next) => {
    await takeToken(store, policy, res);
    next();
  };
}
