import { createHash, randomUUID } from 'node:crypto';
import { AppError, errorMessage, formatS3Uri, isAppError } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import { validateSubmission } from '@mediaflow/operations';
import type { JobPublisher } from '@mediaflow/queue';
import type { JobPage, JobRepository, ListJobsQuery } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';

export interface JobServiceDeps {
  repository: JobRepository;
  publisher: JobPublisher;
  store: ObjectStore;
  allowedSourceBuckets: readonly string[];
  /** Cap on one key's queued + processing jobs. */
  maxActiveJobsPerOwner: number;
  logger: Logger;
}

/** Who is asking: a key sees only its own jobs, an admin key sees all. */
export interface Viewer {
  keyId: string;
  admin: boolean;
}

export interface SubmitOptions {
  /** Client-chosen key that makes retried submissions return the first job. */
  idempotencyKey?: string;
  /** Who is submitting (an API key id); idempotency keys are scoped to it. */
  owner?: string;
}

export interface SubmitResult {
  job: Job;
  /** True when an earlier submission with the same idempotency key is returned. */
  replayed: boolean;
}

const MAX_REPLAY_BATCH = 100;

/** The API's use cases, independent of HTTP. */
export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  /**
   * Validates, stores, then publishes. The record is written first so a
   * worker never receives an id it cannot find. When Kafka refuses the
   * message the job stays stored and flagged, the reaper publishes it once
   * Kafka is back, and the caller gets a 503 naming the job.
   */
  async submit(body: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    const { source, operation } = validateSubmission(body, this.deps.allowedSourceBuckets);
    const sourceUri = formatS3Uri(source);
    if (options.owner !== undefined) {
      const active = await this.deps.repository.countActive(options.owner);
      if (active >= this.deps.maxActiveJobsPerOwner) {
        throw new AppError('QUOTA_EXCEEDED', `this key already has ${active} queued or processing jobs`, {
          details: { limit: this.deps.maxActiveJobsPerOwner },
        });
      }
    }
    let jobId: string = randomUUID();

    if (options.idempotencyKey !== undefined) {
      const fingerprint = createHash('sha256')
        .update(JSON.stringify({ source: sourceUri, operation }))
        .digest('hex');
      const existing = await this.deps.repository.reserveIdempotencyKey({
        scope: options.owner ?? '',
        key: options.idempotencyKey,
        fingerprint,
        jobId,
        now: new Date(),
      });
      if (existing) {
        if (existing.fingerprint !== fingerprint) {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body');
        }
        const job = await this.deps.repository.get(existing.job_id);
        if (job) return { job, replayed: true };
        // The first request reserved the key but never stored its job: finish its work.
        jobId = existing.job_id;
      }
    }

    const info = await this.deps.store.head(source);
    if (!info) throw new AppError('SOURCE_NOT_FOUND', `source ${sourceUri} does not exist`);
    let job: Job;
    try {
      job = await this.deps.repository.create({
        job_id: jobId,
        source: sourceUri,
        operation,
        created_at: new Date().toISOString(),
        ...(options.owner === undefined ? {} : { owner: options.owner }),
        ...(options.idempotencyKey === undefined ? {} : { idempotency_key: options.idempotencyKey }),
      });
    } catch (error) {
      // Concurrent requests with one Idempotency-Key all aim at the reserved
      // id; whichever stored it first wins, and the others return its job.
      const stored = options.idempotencyKey === undefined ? null : await this.deps.repository.get(jobId);
      if (stored) return { job: stored, replayed: true };
      throw error;
    }
    await this.publishOrFlag(job.job_id);
    return { job, replayed: false };
  }

  /** Another key's job is as unknown as a job that never existed: ids must not leak. */
  async get(jobId: string, viewer?: Viewer): Promise<Job> {
    const job = isUuid(jobId) ? await this.deps.repository.get(jobId) : null;
    if (!job || (viewer && !viewer.admin && job.owner !== viewer.keyId)) {
      throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    }
    return job;
  }

  async list(query: ListJobsQuery, viewer?: Viewer): Promise<JobPage> {
    return this.deps.repository.list(viewer && !viewer.admin ? { ...query, owner: viewer.keyId } : query);
  }

  /** A queued job is cancelled at once; a running one when its worker notices (within about a second). */
  async cancel(jobId: string, viewer?: Viewer): Promise<Job> {
    await this.get(jobId, viewer);
    const job = await this.deps.repository.requestCancel(jobId, new Date());
    if (!job) throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    if (job.status === 'completed' || job.status === 'failed') {
      throw new AppError('JOB_NOT_CANCELLABLE', `job ${jobId} is already ${job.status}`, {
        details: { status: job.status },
      });
    }
    return job;
  }

  /** Runs a failed or cancelled job again, with a fresh set of attempts. */
  async retry(jobId: string, viewer?: Viewer, note = 'retried by an operator'): Promise<Job> {
    const current = await this.get(jobId, viewer);
    const job = await this.deps.repository.requeue(jobId, new Date(), note);
    if (!job) {
      throw new AppError(
        'JOB_NOT_RETRYABLE',
        `job ${jobId} is ${current.status}; only failed or cancelled jobs can be retried`,
        {
          details: { status: current.status },
        },
      );
    }
    await this.publishOrFlag(jobId);
    return job;
  }

  async listDeadLetters(query: { limit: number; cursor?: string }): Promise<{ jobs: Job[]; next_cursor?: string }> {
    return this.deps.repository.listDeadLetters(query);
  }

  /** Re-queues the given dead-lettered jobs, or the newest ones when none are named. */
  async replayDeadLetters(jobIds: readonly string[] | undefined): Promise<string[]> {
    const ids =
      jobIds ?? (await this.deps.repository.listDeadLetters({ limit: MAX_REPLAY_BATCH })).jobs.map((job) => job.job_id);
    const replayed: string[] = [];
    for (const jobId of ids) {
      const job = isUuid(jobId) ? await this.deps.repository.get(jobId) : null;
      if (!job?.dead_lettered_at) continue;
      await this.retry(jobId, undefined, 'replayed from the dead letters');
      replayed.push(jobId);
    }
    return replayed;
  }

  private async publishOrFlag(jobId: string): Promise<void> {
    try {
      await this.deps.publisher.publish({ job_id: jobId });
    } catch (error) {
      this.deps.logger.warn('job stored but not published; the reaper will publish it', {
        jobId,
        error: errorMessage(error),
      });
      await this.deps.repository.setNeedsPublish(jobId, true, new Date()).catch((flagError: unknown) => {
        this.deps.logger.warn('could not flag the job for publishing; it will be found as idle', {
          jobId,
          error: errorMessage(flagError),
        });
      });
      throw isAppError(error)
        ? new AppError(
            error.code,
            'the job queue is unavailable; the job is stored and will be queued when it is back',
            {
              details: { job_id: jobId },
            },
          )
        : error;
    }
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
