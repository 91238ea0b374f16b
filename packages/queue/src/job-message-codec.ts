import type { JobMessage } from './job-queue';

export function encodeJobMessage(message: JobMessage): string {
  return JSON.stringify({ job_id: message.job_id });
}

/** Undefined for anything that is not a job message: such a message is poison. */
export function decodeJobMessage(value: Buffer | string | null | undefined): JobMessage | undefined {
  if (value === null || value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('job_id' in parsed)) return undefined;
  const { job_id: jobId } = parsed;
  return typeof jobId === 'string' && jobId !== '' ? { job_id: jobId } : undefined;
}
