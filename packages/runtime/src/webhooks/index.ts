import type { AppConfig } from '@mediaflow/domain';
import type { RetrySchedule } from './backoff';
import type { WebhookAddressPolicy } from './ssrf';

export * from './backoff';
export * from './dispatcher';
export * from './events';
export * from './repair';
export * from './sender';
export * from './signing';
export * from './ssrf';

/** The SSRF policy the configuration sets (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOWED_CIDRS). */
export function webhookPolicyOf(config: AppConfig): WebhookAddressPolicy {
  return { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, allowedCidrs: config.WEBHOOK_ALLOWED_CIDRS };
}

/** The retry schedule the configuration sets (WEBHOOK_RETRY_*). */
export function retryScheduleOf(config: AppConfig): RetrySchedule {
  return {
    baseMs: config.WEBHOOK_RETRY_BASE_MS,
    maxMs: config.WEBHOOK_RETRY_MAX_MS,
    windowMs: config.WEBHOOK_RETRY_WINDOW_SECONDS * 1000,
  };
}
