import type { Job, JobOutput, JobWarning } from '@mediaflow/domain';
import { effectiveOutputs, fileUrl, relativePathOf } from './job-outputs';

/**
 * An output on the wire: where it is stored (`object`) stays inside; `path`
 * is relative to the job's folder, `url` is where to fetch it (for a
 * directory, the prefix of its files' URLs).
 */
export interface OutputView {
  kind: JobOutput['kind'];
  path: string;
  content_type: string;
  size_bytes?: number;
  file_count?: number;
  primary?: boolean;
  /** Multi-step jobs: the index in `steps` of the step that wrote it. */
  step?: number;
  url: string;
}

/** How a job looks on the wire. Internal lease bookkeeping stays inside. */
export interface JobView {
  job_id: string;
  status: Job['status'];
  method_name: Job['method_name'];
  output_format: Job['output_format'];
  params: Job['params'];
  source: string;
  /** Every input in order, for a job submitted with `sources`; `source` is the first. */
  sources?: string[];
  /** A multi-step job's chain, each step normalised; `method_name`, `output_format`, `params` repeat the first. */
  steps?: Pick<Job, 'method_name' | 'output_format' | 'params'>[];
  /** A multi-step job: indexes of the steps finished so far (a retry resumes after the last). */
  completed_steps?: number[];
  /** The preset that chose the steps, when the job was submitted with one. */
  preset?: string;
  progress: number;
  speed?: number;
  eta_seconds?: number;
  attempts: number;
  /** When a job waiting for a retry may run again. */
  retry_at?: string;
  cancel_requested?: boolean;
  dead_lettered_at?: string;
  expired_at?: string;
  reused_from?: string;
  /** SHA-256 of the source's bytes, when the source is an upload that recorded it. */
  source_sha256?: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: Job['error'] | null;
  /** Completed jobs with something to say only (see JobWarning). */
  warnings?: JobWarning[];
  outputs: OutputView[];
  history: Job['history'];
}

export function toJobView(job: Job): JobView {
  return {
    job_id: job.job_id,
    status: job.status,
    method_name: job.method_name,
    output_format: job.output_format,
    params: job.params,
    source: job.source,
    ...(job.sources === undefined ? {} : { sources: job.sources }),
    ...(job.steps === undefined ? {} : { steps: job.steps }),
    ...(job.preset === undefined ? {} : { preset: job.preset }),
    // The last step has no checkpoint of its own: its end is the job's completion.
    ...(job.steps === undefined
      ? {}
      : {
          completed_steps:
            job.status === 'completed'
              ? job.steps.map((_step, index) => index)
              : (job.completed_steps ?? []).map((step) => step.index),
        }),
    progress: job.progress,
    ...(job.status === 'processing' && job.speed !== undefined ? { speed: job.speed } : {}),
    ...(job.status === 'processing' && job.eta_seconds !== undefined ? { eta_seconds: job.eta_seconds } : {}),
    attempts: job.attempts,
    ...(job.status === 'queued' && job.retry_at ? { retry_at: job.retry_at } : {}),
    ...(job.cancel_requested ? { cancel_requested: true } : {}),
    ...(job.dead_lettered_at ? { dead_lettered_at: job.dead_lettered_at } : {}),
    ...(job.expired_at ? { expired_at: job.expired_at } : {}),
    ...(job.reused_from ? { reused_from: job.reused_from } : {}),
    ...(job.source_sha256 ? { source_sha256: job.source_sha256 } : {}),
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at ?? null,
    completed_at: job.completed_at ?? null,
    error: job.error ?? null,
    ...(job.status === 'completed' && job.warnings && job.warnings.length > 0 ? { warnings: job.warnings } : {}),
    outputs: effectiveOutputs(job).map((output) => toOutputView(job, output)),
    history: job.history,
  };
}

/** An outputs[] entry as the API shows it; old records' s3:// paths become relative. */
export function toOutputView(job: Pick<Job, 'job_id'>, output: JobOutput): OutputView {
  const path = relativePathOf(job, output);
  return {
    kind: output.kind,
    path,
    content_type: output.content_type,
    ...(output.size_bytes === undefined ? {} : { size_bytes: output.size_bytes }),
    ...(output.file_count === undefined ? {} : { file_count: output.file_count }),
    ...(output.primary === undefined ? {} : { primary: output.primary }),
    ...(output.step === undefined ? {} : { step: output.step }),
    url: fileUrl(job.job_id, path),
  };
}
