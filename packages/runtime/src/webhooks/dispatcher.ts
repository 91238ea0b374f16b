import { errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import type {
  LeasedWebhookDelivery,
  WebhookAttempt,
  WebhookAttemptRecord,
  WebhookDeliveries,
} from '@mediaflow/repository';
import { nextAttemptAt } from './backoff';
import type { RetrySchedule } from './backoff';
import { sendWebhook } from './sender';
import type { SendOptions } from './sender';
import { signWebhook } from './signing';

export interface WebhookDispatcherOptions {
  deliveries: Pick<WebhookDeliveries, 'leaseDueDeliveries' | 'recordDeliveryAttempt'>;
  send: SendOptions;
  schedule: RetrySchedule;
  /** How often to look for due deliveries when the last look found fewer than a batch. */
  pollIntervalMs: number;
  /** Deliveries leased and sent at once. */
  batchSize: number;
  logger: Logger;
  /** Tests fix the jitter; Math.random by default. */
  random?: () => number;
}

/** Whether an attempt delivered: a 2xx status. (410 Gone gives up; anything else is retried, see deliver().) */
export function attemptSucceeded(attempt: WebhookAttempt): boolean {
  return attempt.status_code !== undefined && attempt.status_code >= 200 && attempt.status_code < 300;
}

/**
 * The outbox's sender. Every `pollIntervalMs` it leases a batch of due
 * deliveries (so other dispatchers, in other processes, skip them while it
 * works; a dispatcher that dies leaves them to be taken over when the lease
 * runs out), signs and POSTs each, and records the attempt with its outcome:
 * delivered, retried later (exponential backoff with jitter, see backoff.ts),
 * or given up. Delivery is at least once: a crash between the POST and the
 * record sends it again, with the same `webhook-id`, which receivers use to
 * drop duplicates.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the batch in flight (each attempt ends by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Leases and sends one batch; returns how many deliveries it sent.
   * @throws AppError DATABASE_ERROR when the lease query fails (the loop logs it and tries again).
   */
  async runOnce(now: Date = new Date()): Promise<number> {
    const { deliveries, batchSize, send } = this.options;
    // The lease outlasts the attempt, so it never runs out while this dispatcher still works on it.
    const leased = await deliveries.leaseDueDeliveries(now, batchSize, send.timeoutMs * 2 + 5_000);
    await Promise.all(leased.map(async (delivery) => this.deliver(delivery)));
    return leased.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let sent = 0;
    try {
      sent = await this.runOnce();
    } catch (error) {
      this.options.logger.warn('webhook dispatch failed; trying again', { error: errorMessage(error) });
    }
    // A full batch suggests more are due: go on at once.
    this.schedule(sent >= this.options.batchSize ? 0 : this.options.pollIntervalMs);
  }

  private async deliver(delivery: LeasedWebhookDelivery): Promise<void> {
    const { send, schedule, logger, deliveries, random } = this.options;
    const headers = signWebhook(delivery.secret, delivery.delivery_id, new Date(), delivery.payload);
    const attempt = await sendWebhook(delivery.url, { ...headers }, delivery.payload, send);
    const number = delivery.attempts.length + 1;
    let outcome: WebhookAttemptRecord['outcome'];
    if (attemptSucceeded(attempt)) {
      outcome = { kind: 'delivered' };
    } else if (attempt.status_code === 410 || delivery.event_type === 'job.progress') {
      // 410: the receiver wants no more. Progress is best effort: a newer event follows, a stale one helps nobody.
      outcome = { kind: 'failed' };
    } else {
      const next = nextAttemptAt(number, new Date(delivery.created_at), new Date(), schedule, random);
      outcome = next === null ? { kind: 'failed' } : { kind: 'retry', nextAttemptAt: next };
    }
    const fields = {
      webhookId: delivery.delivery_id,
      jobId: delivery.job_id,
      event: delivery.event_type,
      attempt: number,
      statusCode: attempt.status_code,
      error: attempt.error,
      ms: attempt.duration_ms,
      outcome: outcome.kind,
    };
    if (outcome.kind === 'delivered') logger.info('webhook delivered', fields);
    else logger.warn('webhook attempt failed', fields);
    try {
      const recorded = await deliveries.recordDeliveryAttempt(delivery, { attempt, outcome });
      if (!recorded) logger.warn('webhook lease lost before the attempt was recorded', fields);
    } catch (error) {
      // The lease runs out and the delivery is sent again: at least once.
      logger.warn('webhook attempt not recorded', { ...fields, recordError: errorMessage(error) });
    }
  }
}
