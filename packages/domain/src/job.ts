import type { ErrorCode } from './errors';
import type { Operation } from './operations';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export type OutputKind = 'video' | 'audio' | 'srt' | 'vtt' | 'json' | 'log';

export interface JobOutput {
  kind: OutputKind;
  /** s3://bucket/key */
  path: string;
  content_type: string;
  size_bytes?: number;
}

export interface JobError {
  code: ErrorCode;
  message: string;
}

export interface JobHistoryEntry {
  status: JobStatus;
  at: string;
  worker_id?: string;
  attempt?: number;
  note?: string;
}

/** A job as stored. Field names are the API's wire names so records read as they render. */
export interface Job {
  job_id: string;
  status: JobStatus;
  method_name: Operation['method_name'];
  output_format: Operation['output_format'];
  params: Operation['params'];
  source: string;
  progress: number;
  speed?: number;
  eta_seconds?: number;
  attempts: number;
  worker_id?: string;
  lease_expires_at?: string;
  created_at: string;
  updated_at: string;
  started_at?: string;
  completed_at?: string;
  error?: JobError;
  output_path?: string;
  log_path?: string;
  outputs: JobOutput[];
  history: JobHistoryEntry[];
  /** Set when a worker handed the job back for a later retry: no claim may take it before this instant. */
  retry_at?: string;
  /** A client asked to cancel while a worker held the job; the worker acknowledges by cancelling it. */
  cancel_requested?: boolean;
  /** When the job failed for good and joined the dead letters, which an operator may replay. */
  dead_lettered_at?: string;
  /** The job is stored but its queue message may never have been sent; recovery publishes it. */
  needs_publish?: boolean;
  /** The client's Idempotency-Key the job was created under. */
  idempotency_key?: string;
  /** Id of the API key that created the job. */
  owner?: string;
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function operationOf(job: Pick<Job, 'method_name' | 'output_format' | 'params'>): Operation {
  return {
    method_name: job.method_name,
    output_format: job.output_format,
    params: job.params,
  } as Operation;
}
