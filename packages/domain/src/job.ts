import type { ErrorCode } from './errors';
import type { OperationSpec } from './operations';
import type { TraceCarrier } from './trace-context';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * What an output is. An open vocabulary, so a new operation needs no change
 * here; the ones in use: video, audio, srt, vtt, json, log, hls (a master
 * playlist), dash (an MPD), package (the directory holding a streaming
 * package), poster, storyboard, storyboard_image, thumbnail.
 */
export type OutputKind = string;

/** One output of a job: a file, or a directory published file by file. */
export interface JobOutput {
  kind: OutputKind;
  /**
   * Relative to the job's folder (`<OUTPUT_PREFIX><job_id>/`), e.g.
   * `stream/master.m3u8`; a directory ends with "/". Records written before
   * outputs were relative hold the object's s3:// URI here instead.
   */
  path: string;
  content_type: string;
  /** For a directory, the sum over its files. */
  size_bytes?: number;
  /** Where it is stored: s3://bucket/key (for a directory, its key prefix ending with "/"). */
  object?: string;
  /** Directories only: how many files were published. */
  file_count?: number;
  /** The job's main result, which GET /download serves by default. */
  primary?: boolean;
  /** Multi-step jobs only: the index (0-based) of the step in `steps` that wrote this output. */
  step?: number;
}

/**
 * A checkpoint of a multi-step job: a step that finished and whose outputs
 * are stored. A retry starts after the last of these, feeding the stored
 * primary output of this step to the next one instead of running it again.
 */
export interface CompletedStep {
  /** 0-based index into the job's `steps`. */
  index: number;
  /** The step's outputs as stored (each with `step: index`); one of them is the step's primary. */
  outputs: JobOutput[];
  at: string;
}

export interface JobError {
  code: ErrorCode;
  message: string;
}

/**
 * Why a completed job's result differs from what the client could assume of
 * the source, though nothing failed (e.g. an audio track with no sound data
 * was left out). Codes are stable; messages are for people.
 */
export const JOB_WARNING_CODES = ['SOURCE_STREAM_EMPTY', 'OUTPUT_LONGER_THAN_EXPECTED', 'STREAM_DROPPED'] as const;
export type JobWarningCode = (typeof JOB_WARNING_CODES)[number];

export interface JobWarning {
  code: JobWarningCode;
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
  method_name: OperationSpec['method_name'];
  output_format: OperationSpec['output_format'];
  params: OperationSpec['params'];
  /** The job's input as `s3://bucket/key`; for a job submitted with `sources`, the first of them. */
  source: string;
  /**
   * Every input, in order, when the job was submitted with `sources` (as
   * concat is); absent for a one-source job. `source` is then `sources[0]`,
   * so readers that know one input only still see the first.
   */
  sources?: string[];
  /**
   * A multi-step job's chain, in order, each normalised by its operation's
   * schema; absent for a one-operation job. `method_name`, `output_format`
   * and `params` then repeat the first step, so readers that know one
   * operation only still see one.
   */
  steps?: OperationSpec[];
  /** The preset the job was asked for by name (e.g. `meeting_recording`), which chose its `steps`. */
  preset?: string;
  /** Multi-step jobs: the steps finished so far (checkpoints), in order. */
  completed_steps?: CompletedStep[];
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
  /** Completed jobs only: what the result leaves out or does differently, though it is complete (see JobWarning). */
  warnings?: JobWarning[];
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
  /**
   * When a client deleted the job (DELETE /jobs/{id}). The record stays as a
   * tombstone so a later GET answers 404 and a worker still running it sees
   * it gone; listings leave it out.
   */
  deleted_at?: string;
  /** When retention removed the job's objects; the record stays so downloads can answer 410 JOB_EXPIRED. */
  expired_at?: string;
  /**
   * The job whose objects this one's outputs point at: it completed at once
   * with an earlier identical job's result instead of running (result reuse).
   */
  reused_from?: string;
  /** SHA-256 (hex) of the source's content, from the upload's object metadata, when known. */
  source_sha256?: string;
  /** Identifies the result (content, operation, recipe, FFmpeg, scope) for result reuse; absent: not reusable. */
  reuse_key?: string;
  /**
   * The W3C trace context of the request that submitted the job (see
   * trace-context.ts), so that a message republished by the reaper, or a
   * retry, still links the worker's spans and log lines to the submit.
   */
  trace?: TraceCarrier;
  /** Where this job's terminal events (job.completed, job.failed, job.cancelled) are POSTed, signed; checked at submit. */
  webhook_url?: string;
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function operationOf(job: Pick<Job, 'method_name' | 'output_format' | 'params'>): OperationSpec {
  return { method_name: job.method_name, output_format: job.output_format, params: job.params };
}
