import { setTimeout as sleep } from 'node:timers/promises';
import type { JobView, MediaflowClient } from './api-client';
import { ApiError, InterruptedError, NetworkError } from './exit-codes';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/**
 * Follows a job until it finishes. Polling is the one implementation today;
 * when the API offers server-sent events (`GET /jobs/{id}/events`), an
 * SSE watcher implements the same interface and `createWatcher` prefers it.
 */
export interface JobWatcher {
  /**
   * Calls `onUpdate` with each new view of the job and resolves with the
   * first terminal one (completed, failed or cancelled).
   *
   * @throws InterruptedError when `signal` aborts; ApiError for a 4xx (the
   *   job was deleted: 404); NetworkError or ApiError (5xx) once the API has
   *   been unavailable for longer than the watcher tolerates.
   */
  watch(jobId: string, onUpdate: (job: JobView) => void, signal?: AbortSignal): Promise<JobView>;
}

export interface PollingOptions {
  /** Between polls; the server writes progress about once a second (PROGRESS_INTERVAL_MS). */
  intervalMs: number;
  /** How long polls may keep failing (API restarting, a 503) before the watch gives up. */
  unavailableTimeoutMs: number;
}

export const DEFAULT_POLLING: PollingOptions = { intervalMs: 1000, unavailableTimeoutMs: 60_000 };

/** Is this failure worth waiting out: the API unreachable, failing (5xx) or rate limiting (429)? */
function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status >= 500 || error.status === 429);
}

/** GET /status/{id} every `intervalMs`, riding out short outages. */
export class PollingWatcher implements JobWatcher {
  constructor(
    private readonly client: Pick<MediaflowClient, 'status'>,
    private readonly options: PollingOptions = DEFAULT_POLLING,
  ) {}

  async watch(jobId: string, onUpdate: (job: JobView) => void, signal?: AbortSignal): Promise<JobView> {
    let lastSuccess = Date.now();
    for (;;) {
      if (signal?.aborted) throw new InterruptedError();
      try {
        const job = await this.client.status(jobId);
        lastSuccess = Date.now();
        onUpdate(job);
        if (TERMINAL_STATUSES.has(job.status)) return job;
      } catch (error) {
        if (!isTransient(error) || Date.now() - lastSuccess > this.options.unavailableTimeoutMs) throw error;
      }
      try {
        await sleep(this.options.intervalMs, undefined, { signal });
      } catch {
        throw new InterruptedError();
      }
    }
  }
}

/** The best watcher the API supports; today that is polling. */
export function createWatcher(client: MediaflowClient, options: PollingOptions = DEFAULT_POLLING): JobWatcher {
  return new PollingWatcher(client, options);
}
