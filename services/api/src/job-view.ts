import type { Job } from '@mediaflow/domain';

/** How a job looks on the wire. Internal lease bookkeeping stays inside. */
export interface JobView {
  job_id: string;
  status: Job['status'];
  method_name: Job['method_name'];
  output_format: Job['output_format'];
  params: Job['params'];
  source: string;
  progress: number;
  speed?: number;
  eta_seconds?: number;
  attempts: number;
  /** When a job waiting for a retry may run again. */
  retry_at?: string;
  cancel_requested?: boolean;
  dead_lettered_at?: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: Job['error'] | null;
  output_path: string | null;
  log_path: string | null;
  outputs: Job['outputs'];
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
    progress: job.progress,
    ...(job.status === 'processing' && job.speed !== undefined ? { speed: job.speed } : {}),
    ...(job.status === 'processing' && job.eta_seconds !== undefined ? { eta_seconds: job.eta_seconds } : {}),
    attempts: job.attempts,
    ...(job.status === 'queued' && job.retry_at ? { retry_at: job.retry_at } : {}),
    ...(job.cancel_requested ? { cancel_requested: true } : {}),
    ...(job.dead_lettered_at ? { dead_lettered_at: job.dead_lettered_at } : {}),
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at ?? null,
    completed_at: job.completed_at ?? null,
    error: job.error ?? null,
    output_path: job.output_path ?? null,
    log_path: job.log_path ?? null,
    outputs: job.outputs,
    history: job.history,
  };
}
