import { errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import type { JobLifecycle } from '@mediaflow/repository';
import type { WebhookEvents } from './events';

export interface WebhookRepairOptions {
  jobs: Pick<JobLifecycle, 'findFinishedBetween'>;
  events: Pick<WebhookEvents, 'repair'>;
  /** How often to look (WEBHOOK_REPAIR_INTERVAL_SECONDS, in ms). */
  intervalMs: number;
  /** How far back to look (WEBHOOK_REPAIR_LOOKBACK_SECONDS, in ms): the longest outage of every process it covers. */
  lookbackMs: number;
  /** Jobs that finished less than this long ago are left to the process finishing them (ms). */
  settleMs?: number;
  /** Jobs one pass reads at most. */
  batchSize?: number;
  logger: Logger;
}

const DEFAULT_SETTLE_MS = 30_000;
const DEFAULT_BATCH = 500;

/**
 * The safety net for the one gap of recording events after the transition:
 * a process that dies between the two leaves a finished job without its
 * events. Every `intervalMs` this sweep reads the jobs that finished within
 * the look-back (the retention index, no scan) and records whatever terminal
 * deliveries they lack (WebhookEvents.repair; delivery ids are derived from
 * the event, so a repair and a late original record store one delivery).
 * Safe to run in every process.
 */
export class WebhookRepairSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: WebhookRepairOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.options.logger.warn('webhook repair sweep failed', { error: errorMessage(error) });
        })
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * One pass.
   * @returns How many deliveries were missing and are now recorded.
   * @throws AppError DATABASE_ERROR
   */
  async runOnce(now: Date = new Date()): Promise<number> {
    const { jobs, events, lookbackMs, logger } = this.options;
    const to = new Date(now.getTime() - (this.options.settleMs ?? DEFAULT_SETTLE_MS));
    const from = new Date(to.getTime() - lookbackMs);
    const finished = await jobs.findFinishedBetween(from, to, this.options.batchSize ?? DEFAULT_BATCH);
    let repaired = 0;
    for (const job of finished) {
      const missing = await events.repair(job);
      if (missing > 0) logger.warn('webhook events recorded late', { jobId: job.job_id, status: job.status, missing });
      repaired += missing;
    }
    return repaired;
  }
}
