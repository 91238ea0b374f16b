import type { JobView } from './api-client';

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Seconds as "42s", "3m05s", "1h02m". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** "speed 3.1x, ETA 7s" for a processing job, "" when the server has not said. */
export function jobSpeedAndEta(job: Pick<JobView, 'speed' | 'eta_seconds'>): string {
  const parts: string[] = [];
  if (job.speed !== undefined) parts.push(`speed ${job.speed.toFixed(1)}x`);
  if (job.eta_seconds !== undefined) parts.push(`ETA ${formatDuration(job.eta_seconds)}`);
  return parts.join(', ');
}

/** The operation a job runs, or a multi-step job's chain: `concat → transcribe`. */
export function jobOperation(job: Pick<JobView, 'method_name' | 'steps'>): string {
  return job.steps && job.steps.length > 1 ? job.steps.map((step) => step.method_name).join(' → ') : job.method_name;
}

/** A job as a few lines for people (`mediaflow status`). */
export function describeJob(job: JobView): string {
  const lines = [
    `job        ${job.job_id}`,
    `status     ${job.status}${job.cancel_requested ? ' (cancel requested)' : ''}`,
    job.steps && job.steps.length > 1
      ? `steps      ${job.steps.map((step, index) => `${index + 1}. ${step.method_name} → ${step.output_format}${job.completed_steps?.includes(index) ? ' (done)' : ''}`).join(', ')}`
      : `operation  ${job.method_name} → ${job.output_format}`,
    `progress   ${job.progress.toFixed(1)}%${job.status === 'processing' && jobSpeedAndEta(job) ? ` (${jobSpeedAndEta(job)})` : ''}`,
    `attempts   ${job.attempts}`,
    `created    ${job.created_at}`,
  ];
  if (job.completed_at) lines.push(`finished   ${job.completed_at}`);
  if (job.sources && job.sources.length > 1) lines.push(`sources    ${job.sources.length}: ${job.sources.join(', ')}`);
  if (!job.steps && Object.keys(job.params).length > 0) lines.push(`params     ${JSON.stringify(job.params)}`);
  if (job.error) lines.push(`error      ${job.error.code}: ${job.error.message}`);
  for (const warning of job.warnings ?? []) lines.push(`warning    ${warning.code}: ${warning.message}`);
  for (const output of job.outputs) {
    const size = output.size_bytes === undefined ? '' : ` (${formatBytes(output.size_bytes)})`;
    const step = output.step === undefined ? '' : `step ${output.step + 1}: `;
    lines.push(`output     ${step}${output.kind}${output.primary ? '*' : ''}  ${output.path}${size}`);
  }
  return lines.join('\n');
}

/** Jobs as an aligned table, one per line, with a header. */
export function jobTable(jobs: readonly JobView[]): string {
  const rows = [
    ['JOB', 'STATUS', 'OPERATION', 'PROGRESS', 'CREATED'],
    ...jobs.map((job) => [job.job_id, job.status, jobOperation(job), `${Math.floor(job.progress)}%`, job.created_at]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
