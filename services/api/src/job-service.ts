import { randomUUID } from 'node:crypto';
import { AppError, errorMessage, formatS3Uri, isAppError, validateSubmission } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { JobPublisher } from '@mediaflow/queue';
import type { JobPage, JobRepository, ListJobsQuery } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';

export interface JobServiceDeps {
  repository: JobRepository;
  publisher: JobPublisher;
  store: ObjectStore;
  allowedSourceBuckets: readonly string[];
  logger: Logger;
}

/** The API's use cases, independent of HTTP. */
export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  /**
   * Validates, stores, then publishes. The record is written first so a
   * worker never receives an id it cannot find; a job stored but not
   * published stays queued and the reaper publishes it later.
   */
  async submit(body: unknown): Promise<Job> {
    const { source, operation } = validateSubmission(body, this.deps.allowedSourceBuckets);
    const info = await this.deps.store.head(source);
    if (!info) {
      throw new AppError('SOURCE_NOT_FOUND', `source ${formatS3Uri(source)} does not exist`);
    }
    const job = await this.deps.repository.create({
      job_id: randomUUID(),
      source: formatS3Uri(source),
      operation,
      created_at: new Date().toISOString(),
    });
    try {
      await this.deps.publisher.publish({ job_id: job.job_id });
    } catch (error) {
      this.deps.logger.warn('job stored but not published; the reaper will publish it', {
        jobId: job.job_id,
        error: errorMessage(error),
      });
      throw isAppError(error)
        ? new AppError(error.code, 'the job queue is unavailable; the job was stored and will be queued', {
            details: { job_id: job.job_id },
          })
        : error;
    }
    return job;
  }

  async get(jobId: string): Promise<Job> {
    const job = isUuid(jobId) ? await this.deps.repository.get(jobId) : null;
    if (!job) throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    return job;
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    return this.deps.repository.list(query);
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
