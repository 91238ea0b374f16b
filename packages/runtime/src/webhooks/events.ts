import { createHash } from 'node:crypto';
import { errorMessage } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { NewWebhookDelivery, WebhookDeliveries, WebhookEndpoints, WebhookEventType } from '@mediaflow/repository';
import type { TransitionObserver } from '../transition-observers';
import { generateWebhookSecret } from './signing';

export interface WebhookEventsOptions {
  store: Pick<WebhookEndpoints, 'listEndpoints' | 'ownerSecret'> &
    Pick<WebhookDeliveries, 'enqueueDeliveries' | 'listDeliveries'>;
  /** At most one job.progress event per job (and so per endpoint and job) per this many ms. */
  progressIntervalMs: number;
  logger: Logger;
}

/** The body of every delivery: a Standard Webhooks event. */
export interface WebhookEventBody {
  type: WebhookEventType;
  /** When the event happened (for terminal events: the job's `completed_at`). */
  timestamp: string;
  data: WebhookJobData;
}

/** The job as an event shows it: what a receiver needs to act without calling back (it may, with GET /status/{id}). */
export interface WebhookJobData {
  job_id: string;
  status: Job['status'];
  method_name: string;
  output_format: string;
  progress: number;
  attempts: number;
  created_at: string;
  started_at?: string;
  completed_at?: string;
  speed?: number;
  eta_seconds?: number;
  error?: Job['error'];
  warnings?: Job['warnings'];
  /** Relative paths; GET /jobs/{id}/files/{path} serves each with the key. */
  outputs?: { kind: string; path: string; content_type: string; size_bytes?: number }[];
  reused_from?: string;
}

const TERMINAL_EVENT: Partial<Record<Job['status'], WebhookEventType>> = {
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
};

/** Owner of jobs stored without one (authentication off); their secret is stored under this name. */
const NO_OWNER = 'anonymous';
const RECORD_TRIES = 3;
// More deliveries than a job has, progress included, in any but pathological cases.
const MAX_DELIVERIES_READ = 10_000;

/**
 * Turns job transitions into outbox rows: for an event, one delivery to the
 * job's own `webhook_url` (terminal events only) and one to each endpoint of
 * the job's API key that subscribes to the event type. The delivery id (the
 * `webhook-id`) is derived from the job, the event, its occurrence (the
 * transition's time; for progress the rate window) and the target, so
 * recording an event twice stores it once.
 */
export class WebhookEvents {
  constructor(private readonly options: WebhookEventsOptions) {}

  /**
   * Records the terminal event of a job in a terminal status (nothing for
   * other statuses). Failures are retried, then logged, never thrown: the
   * transition has happened and must not be reported as failed.
   */
  async terminal(job: Job): Promise<void> {
    const type = TERMINAL_EVENT[job.status];
    if (type === undefined) return;
    const at = job.completed_at ?? job.updated_at;
    await this.record(job, type, at, at);
  }

  /**
   * The repair sweep's call: records the terminal event's deliveries that
   * are missing (reading the job's deliveries first, so a job whose events
   * are all recorded costs no write). Unlike terminal(), failures are thrown.
   *
   * @returns How many deliveries were missing and are now recorded.
   * @throws AppError DATABASE_ERROR
   */
  async repair(job: Job): Promise<number> {
    const type = TERMINAL_EVENT[job.status];
    if (type === undefined) return 0;
    const at = job.completed_at ?? job.updated_at;
    const wanted = await this.deliveriesFor(job, type, at, at);
    if (wanted.length === 0) return 0;
    const stored = new Set(
      (await this.options.store.listDeliveries(job.job_id, MAX_DELIVERIES_READ)).map(
        (delivery) => delivery.delivery_id,
      ),
    );
    const missing = wanted.filter((delivery) => !stored.has(delivery.delivery_id));
    if (missing.length > 0) await this.options.store.enqueueDeliveries(missing);
    return missing.length;
  }

  /** Records a job.progress event, at most once per job per rate window (the id dedups across processes). */
  async progress(job: Job, now: Date): Promise<void> {
    const window = Math.floor(now.getTime() / this.options.progressIntervalMs);
    await this.record(job, 'job.progress', now.toISOString(), `progress-${window}`);
  }

  private async record(job: Job, type: WebhookEventType, timestamp: string, occurrence: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const deliveries = await this.deliveriesFor(job, type, timestamp, occurrence);
        if (deliveries.length > 0) await this.options.store.enqueueDeliveries(deliveries);
        return;
      } catch (error) {
        if (attempt >= RECORD_TRIES) {
          this.options.logger.error('webhook event not recorded', {
            jobId: job.job_id,
            event: type,
            error: errorMessage(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  private async deliveriesFor(
    job: Job,
    type: WebhookEventType,
    timestamp: string,
    occurrence: string,
  ): Promise<NewWebhookDelivery[]> {
    const { store } = this.options;
    const owner = job.owner ?? NO_OWNER;
    const endpoints = (await store.listEndpoints(owner)).filter((endpoint) => endpoint.events.includes(type));
    const ownUrl = type === 'job.progress' ? undefined : job.webhook_url;
    if (endpoints.length === 0 && ownUrl === undefined) return [];
    const payload = JSON.stringify({ type, timestamp, data: jobData(job) } satisfies WebhookEventBody);
    const created = new Date().toISOString();
    const base = { job_id: job.job_id, owner, event_type: type, payload, created_at: created };
    const deliveries: NewWebhookDelivery[] = endpoints.map((endpoint) => ({
      ...base,
      delivery_id: deliveryId(job.job_id, type, occurrence, endpoint.endpoint_id),
      endpoint_id: endpoint.endpoint_id,
      url: endpoint.url,
      secret: endpoint.secret,
    }));
    if (ownUrl !== undefined) {
      deliveries.push({
        ...base,
        delivery_id: deliveryId(job.job_id, type, occurrence, 'job'),
        url: ownUrl,
        secret: await store.ownerSecret(owner, generateWebhookSecret()),
      });
    }
    return deliveries;
  }
}

/** `msg_` + 32 hex digits of SHA-256 over what makes a delivery this one. */
export function deliveryId(jobId: string, type: WebhookEventType, occurrence: string, target: string): string {
  const digest = createHash('sha256').update(`${jobId}\n${type}\n${occurrence}\n${target}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}

/** The event's view of a job. */
export function jobData(job: Job): WebhookJobData {
  return {
    job_id: job.job_id,
    status: job.status,
    method_name: job.method_name,
    output_format: job.output_format,
    progress: job.progress,
    attempts: job.attempts,
    created_at: job.created_at,
    ...(job.started_at === undefined ? {} : { started_at: job.started_at }),
    ...(job.completed_at === undefined ? {} : { completed_at: job.completed_at }),
    ...(job.speed === undefined ? {} : { speed: job.speed }),
    ...(job.eta_seconds === undefined ? {} : { eta_seconds: job.eta_seconds }),
    ...(job.error === undefined ? {} : { error: job.error }),
    ...(job.warnings === undefined || job.warnings.length === 0 ? {} : { warnings: job.warnings }),
    ...(job.status === 'completed'
      ? {
          outputs: job.outputs.map((output) => ({
            kind: output.kind,
            path: output.path,
            content_type: output.content_type,
            ...(output.size_bytes === undefined ? {} : { size_bytes: output.size_bytes }),
          })),
        }
      : {}),
    ...(job.reused_from === undefined ? {} : { reused_from: job.reused_from }),
  };
}

/**
 * Records webhook events right after the transitions that make them,
 * whoever makes them: a worker's complete, fail, markCancelled and release
 * (a release of a job whose cancel was requested cancels it), and progress
 * (at most one per job per `progressIntervalMs`); the API's requestCancel (a
 * queued job is cancelled at once) and create/createMany (a reused result is
 * completed at once). The event is written after the transition, not in the
 * same write: a process that dies between the two loses that event, which
 * the repair sweep records later for terminal events (see README, Webhooks).
 */
export function webhookObserver(events: WebhookEvents, progressIntervalMs: number): TransitionObserver {
  /** The last progress event per job in this process, to bound the rate before touching the database. */
  const lastProgress = new Map<string, number>();
  return {
    stored: async (job, transition) => {
      // A reused result is stored completed; a cancel ends a queued job at once. Requeues and deletions make no event.
      const ended =
        ((transition === 'create' || transition === 'createMany') && job.status === 'completed') ||
        (transition === 'requestCancel' && job.status === 'cancelled');
      if (ended) await events.terminal(job);
    },
    progressed: async (job) => {
      const now = Date.now();
      if (now - (lastProgress.get(job.job_id) ?? 0) < progressIntervalMs) return;
      lastProgress.set(job.job_id, now);
      await events.progress({ ...job, status: 'processing' }, new Date(now));
    },
    settled: async (jobId, job) => {
      lastProgress.delete(jobId);
      // terminal() records nothing for a job a release handed back to the queue.
      if (job) await events.terminal(job);
    },
  };
}
