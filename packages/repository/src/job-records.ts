import { AppError } from '@mediaflow/domain';
import type { Job, JobHistoryEntry } from '@mediaflow/domain';
import type { CompletionUpdate, NewJob } from './job-repository';

/** The record both adapters store for a freshly submitted job. */
export function newJobRecord(job: NewJob): Job {
  // DynamoDB cannot index an empty string, and '' reads too much like "nobody" to mean a key.
  if (job.owner === '') throw new AppError('INTERNAL', `job ${job.job_id} has an empty owner`);
  if (job.reuse_key === '') throw new AppError('INTERNAL', `job ${job.job_id} has an empty reuse key`);
  const queued: Job = {
    job_id: job.job_id,
    status: 'queued',
    method_name: job.operation.method_name,
    output_format: job.operation.output_format,
    params: job.operation.params,
    source: job.source,
    ...(job.sources === undefined ? {} : { sources: [...job.sources] }),
    ...(job.steps === undefined ? {} : { steps: job.steps.map((step) => ({ ...step })) }),
    ...(job.preset === undefined ? {} : { preset: job.preset }),
    progress: 0,
    attempts: 0,
    created_at: job.created_at,
    updated_at: job.created_at,
    outputs: [],
    history: [{ status: 'queued', at: job.created_at }],
    ...(job.owner === undefined ? {} : { owner: job.owner }),
    ...(job.idempotency_key === undefined ? {} : { idempotency_key: job.idempotency_key }),
    ...(job.source_sha256 === undefined ? {} : { source_sha256: job.source_sha256 }),
    ...(job.reuse_key === undefined ? {} : { reuse_key: job.reuse_key }),
    ...(job.trace === undefined ? {} : { trace: job.trace }),
    ...(job.webhook_url === undefined ? {} : { webhook_url: job.webhook_url }),
  };
  const { reuse } = job;
  if (!reuse) return queued;
  return {
    ...queued,
    status: 'completed',
    progress: 100,
    completed_at: job.created_at,
    outputs: reuse.outputs,
    reused_from: reuse.from,
    ...(reuse.output_path === undefined ? {} : { output_path: reuse.output_path }),
    ...(reuse.log_path === undefined ? {} : { log_path: reuse.log_path }),
    history: [
      ...queued.history,
      { status: 'completed', at: job.created_at, note: `reused the result of ${reuse.from}` },
    ],
  };
}

/** Builds a history entry without undefined members, which neither database should store. */
export function historyEntry(entry: JobHistoryEntry): JobHistoryEntry {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as JobHistoryEntry;
}

/**
 * Whether a claim at `now` may take the job. Adapters check this before the
 * conditional write only to skip a write that would fail anyway; the write's
 * own condition is what makes the claim safe.
 */
export function isClaimable(job: Job, now: Date): boolean {
  if (job.status === 'queued') return job.retry_at === undefined || job.retry_at <= now.toISOString();
  return job.status === 'processing' && job.lease_expires_at !== undefined && job.lease_expires_at < now.toISOString();
}

export function leaseUntil(now: Date, leaseMs: number): string {
  return new Date(now.getTime() + leaseMs).toISOString();
}

/**
 * Whether a completion carries warnings to store. Both adapters write
 * `warnings` only then and remove it otherwise, so a replayed job that
 * completes cleanly does not keep an earlier run's warnings.
 */
export function hasWarnings(
  update: CompletionUpdate,
): update is CompletionUpdate & { warnings: NonNullable<CompletionUpdate['warnings']> } {
  return update.warnings !== undefined && update.warnings.length > 0;
}
