import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';

/** Both adapters reject an aborted transfer the same way: retryable, not a storage fault. */
export function abortedError(action: string, ref: ObjectRef, signal: AbortSignal): AppError {
  return new AppError('JOB_ABORTED', `${action} of ${formatS3Uri(ref)} was aborted`, { cause: signal.reason });
}

/**
 * A short, client-safe name for why a call failed (an errno code or an error
 * class), so a log line says more than "failed" without echoing hosts or paths.
 */
export function failureReason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return typeof error;
}
