import { AppError, isAppError } from '@mediaflow/domain';
import { retryDelayMs } from '../retry-policy';
import type { RetryPolicy } from '../retry-policy';

/** Why an attempt was stopped from inside the worker, if it was. */
export type StopReason = 'lease-lost' | 'cancelled' | 'stalled' | 'timed-out';

/** What the runner does after an attempt did not complete. */
export type FailureDecision =
  /** Another worker holds the job now: touch nothing. */
  | { action: 'abandon' }
  /** The client cancelled: remove what the attempt wrote, record the cancellation. */
  | { action: 'cancel' }
  /** This worker is shutting down: hand the job back at once, unchanged, for another worker. */
  | { action: 'hand-back' }
  /** A failure worth another try: release the job with `retry_at = now + delayMs`. */
  | { action: 'retry'; error: AppError; delayMs: number }
  /**
   * Failed for good. `deadLetter` when attempts ran out on a retryable error;
   * `rethrow` when the error is a bug (not an AppError), so the process fails
   * loudly once the job is recorded.
   */
  | { action: 'fail'; error: AppError; deadLetter: boolean; rethrow: boolean };

export interface FailureFacts {
  /** Set when the worker itself stopped the attempt. */
  stopReason: StopReason | undefined;
  /** The worker received its shutdown signal, and nothing else stopped the attempt. */
  shuttingDown: boolean;
  /** What the attempt threw. */
  error: unknown;
  /** The attempt that failed, counting from 1. */
  attempts: number;
  /** For messages: what stalled, and how long the watchdog waited (s). */
  stall?: { what: 'FFmpeg' | 'transcription'; seconds: number };
}

/**
 * The failure policy, as one pure function: what an attempt's end means for
 * the job. Retryable errors (AppError.retryable, from the error table) are
 * retried with exponential backoff until MAX_ATTEMPTS, then dead-lettered;
 * everything else fails at once. `random` is the backoff's jitter source.
 */
export function decideFailure(
  facts: FailureFacts,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureDecision {
  const { stopReason } = facts;
  if (stopReason === 'lease-lost') return { action: 'abandon' };
  if (stopReason === 'cancelled') return { action: 'cancel' };
  if (facts.shuttingDown && stopReason === undefined) return { action: 'hand-back' };

  const error = classifyFailure(facts);
  const rethrow = stopReason === undefined && !isAppError(facts.error) && !isSchemaError(facts.error);
  if (error.retryable && facts.attempts < policy.maxAttempts) {
    return { action: 'retry', error, delayMs: retryDelayMs(facts.attempts, policy, random) };
  }
  return { action: 'fail', error, deadLetter: error.retryable, rethrow };
}

/**
 * The error a job records: the watchdog's verdict when it stopped the
 * attempt, the AppError thrown, or INTERNAL for anything else (whose details
 * stay in the worker's log, not in the job).
 */
export function classifyFailure(facts: Pick<FailureFacts, 'stopReason' | 'error' | 'stall'>): AppError {
  if (facts.stopReason === 'stalled') {
    const stall = facts.stall ?? { what: 'FFmpeg', seconds: 0 };
    return new AppError('FFMPEG_STALLED', `${stall.what} made no progress for ${stall.seconds} s`);
  }
  if (facts.stopReason === 'timed-out') return new AppError('JOB_TIMEOUT', 'the job ran past its time limit');
  const { error } = facts;
  if (isAppError(error)) return error;
  if (isSchemaError(error)) {
    return new AppError('VALIDATION_FAILED', `stored job is not valid: ${error instanceof Error ? error.message : ''}`);
  }
  return new AppError('INTERNAL', 'internal error while processing the job');
}

function isSchemaError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ZodError';
}
