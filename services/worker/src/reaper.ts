import { errorMessage } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { JobPublisher } from '@mediaflow/queue';
import type { JobLeases, JobRecovery } from '@mediaflow/repository';

export interface ReaperOptions {
  intervalMs: number;
  /** A queued job untouched this long is assumed to have lost its message. */
  requeueQueuedAfterMs: number;
  batchSize: number;
}

// The latest instant ISO strings can express without a sign, so it still
// compares correctly as a string in every backend.
const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

/**
 * Puts jobs that need a worker back on the queue: processing jobs whose lease
 * expired (their worker died), queued jobs marked as needing a publish (a
 * retry whose backoff has passed, or a job the API stored while Kafka was
 * down), and queued jobs idle so long that their message must be lost. Every
 * worker runs one; that is safe because a duplicate message only leads to a
 * claim that fails.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    /** Recovery, plus release() to hand back jobs whose lease expired. */
    private readonly repository: JobRecovery & Pick<JobLeases, 'release'>,
    private readonly publisher: JobPublisher,
    private readonly options: ReaperOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().then(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(now = new Date()): Promise<number> {
    try {
      const candidates = await this.repository.findRecoverable(now, this.options.batchSize);
      const due = candidates.filter((job) => this.isDue(job, now));
      let published = 0;
      for (const job of due) {
        // A queued job is first taken (flags cleared, updated_at touched), so
        // one reaper of many publishes it, once, and no later write of ours
        // can land on the claim its message leads to. An expired lease needs
        // no write: the claim itself decides who takes it over.
        if (job.status === 'queued' && !(await this.repository.takeForRepublish(job.job_id, job.updated_at, now))) {
          continue;
        }
        try {
          await this.publisher.publish({ job_id: job.job_id });
          published += 1;
        } catch (error) {
          // Flag it again so the next sweep retries rather than waiting for
          // it to look idle.
          if (job.status === 'queued') {
            await this.repository.setNeedsPublish(job.job_id, true, new Date()).catch(() => false);
          }
          throw error;
        }
      }
      if (published > 0) this.logger.info('re-queued jobs', { count: published });
      return published;
    } catch (error) {
      this.logger.warn('reaper sweep failed', { error: errorMessage(error) });
      return 0;
    }
  }

  private isDue(job: Job, now: Date): boolean {
    if (job.status === 'processing') return true; // findRecoverable only returns expired leases
    if (job.retry_at) return Date.parse(job.retry_at) <= now.getTime(); // a retry whose backoff has passed
    if (job.needs_publish) return true;
    return now.getTime() - Date.parse(job.updated_at) >= this.options.requeueQueuedAfterMs;
  }

  /**
   * For a single-process deployment (embedded mode) after a restart: every
   * job still processing was interrupted by that restart, whatever its lease
   * says, so it is handed back, and every queued job is queued again because
   * the in-process queue started empty.
   */
  async recoverAfterRestart(): Promise<number> {
    const jobs = await this.repository.findRecoverable(END_OF_TIME, 10_000);
    for (const job of jobs) {
      if (job.status === 'processing' && job.worker_id) {
        await this.repository.release(job.job_id, job.worker_id, new Date(), 'interrupted by a restart');
      }
      await this.publisher.publish({ job_id: job.job_id });
    }
    if (jobs.length > 0) this.logger.info('recovered jobs after restart', { count: jobs.length });
    return jobs.length;
  }
}
