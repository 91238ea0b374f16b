import type { RequestHandler } from 'express';
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
 * A token bucket per API key, kept in the database so every API replica
 * draws from the same bucket. Over the limit: 429 with Retry-After.
 */
export function rateLimit(store: RateLimitStore, policy: BucketPolicy): RequestHandler {
  return async (_req, res, next) => {
    const { keyId } = principalOf(res);
    const verdict = await store.take({
      key: `${policy.name}:${keyId}`,
      capacity: policy.burst,
      refillPerSecond: policy.perMinute / 60,
      now: new Date(),
    });
    res.set('RateLimit-Remaining', String(Math.max(0, Math.floor(verdict.remaining))));
    if (!verdict.allowed) {
      res.set('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      throw new AppError('RATE_LIMITED', `too many ${policy.name} requests; retry later`);
    }
    next();
  };
}
