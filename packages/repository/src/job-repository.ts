import type { Job, JobError, JobOutput, Operation } from '@mediaflow/domain';

export interface NewJob {
  job_id: string;
  source: string;
  operation: Operation;
  created_at: string;
}

export interface ListJobsQuery {
  limit: number;
  /** Offset paging for shallow pages. Ignored when `cursor` is given. */
  skip: number;
  /** Opaque keyset cursor from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  /** Total number of jobs. */
  count: number;
  /** Present when more jobs follow; pass it back as `cursor`. */
  next_cursor?: string;
}

export interface ClaimRequest {
  jobId: string;
  workerId: string;
  now: Date;
  leaseMs: number;
}

export interface ProgressUpdate {
  progress: number;
  speed?: number;
  eta_seconds?: number;
  leaseExpiresAt: Date;
}

export interface CompletionUpdate {
  now: Date;
  outputs: JobOutput[];
  output_path: string;
  log_path?: string;
}

export interface FailureUpdate {
  now: Date;
  error: JobError;
  log_path?: string;
}

/**
 * The job store. Every state change a worker makes is conditional on that
 * worker still owning the job (status `processing`, same `worker_id`), so a
 * worker that lost its lease can never overwrite the work of the one that took
 * over. Methods that return boolean report whether the condition held.
 */
export abstract class JobRepository {
  /** Creates tables or indexes if missing. Safe to call from every process at once. */
  abstract init(): Promise<void>;

  /** Throws when the database cannot be reached. */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;

  /** Stores a new job in `queued`. */
  abstract create(job: NewJob): Promise<Job>;

  abstract get(jobId: string): Promise<Job | null>;

  /** Newest first. */
  abstract list(query: ListJobsQuery): Promise<JobPage>;

  /**
   * Atomically moves a job to `processing` for this worker, incrementing
   * `attempts` and setting a lease, when the job is `queued`, or `processing`
   * with a lease that has expired. Returns the claimed job, or null when the
   * job is unknown, finished, or held by a live lease.
   */
  abstract claim(request: ClaimRequest): Promise<Job | null>;

  /** Records progress and renews the lease. */
  abstract updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean>;

  abstract complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean>;

  abstract fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean>;

  /**
   * Hands a job back (`processing` -> `queued`) so another worker may claim it
   * at once, for instance when this worker is shutting down.
   */
  abstract release(jobId: string, workerId: string, now: Date, note: string): Promise<boolean>;

  /**
   * Jobs that need a worker but may have no queue message: `queued` jobs and
   * `processing` jobs whose lease expired before `now`. Bounded by `limit`.
   */
  abstract findRecoverable(now: Date, limit: number): Promise<Job[]>;
}
