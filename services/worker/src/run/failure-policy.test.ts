import { AppError } from '@mediaflow/domain';
import type { ErrorCode } from '@mediaflow/domain';
import { operationFor } from '@mediaflow/operations';
import type { RetryPolicy } from '../retry-policy';
import { classifyFailure, decideFailure } from './failure-policy';
import type { FailureDecision, FailureFacts, StopReason } from './failure-policy';

const MAX_ATTEMPTS = 3;
const policy: RetryPolicy = { maxAttempts: MAX_ATTEMPTS, baseDelayMs: 2_000, maxDelayMs: 60_000 };
/** Fixed jitter: every delay is 0.5 + 0.25/2 = 62.5 % of its exponential step. */
const RANDOM = 0.25;
const random = (): number => RANDOM;

/** A stored operation that no longer fits its schema: the ZodError the registry throws when planning it. */
function zodError(): unknown {
  try {
    operationFor('compress').parse({ method_name: 'compress', params: { crf: 99 } });
  } catch (error) {
    return error;
  }
  throw new Error('expected the registry to reject crf 99');
}

const ERRORS = {
  retryable: new AppError('STORAGE_ERROR', 'bucket unreachable'),
  'non-retryable': new AppError('FFMPEG_FAILED', 'ffmpeg exited with code 1'),
  zod: zodError(),
  bug: new TypeError("Cannot read properties of undefined (reading 'streams')"),
} as const;
type ErrorKind = keyof typeof ERRORS;
const ERROR_KINDS = Object.keys(ERRORS) as ErrorKind[];

/** What the table expects; a retry's delay is checked against the jitter bounds separately. */
type Expected =
  | { action: 'abandon' | 'cancel' | 'hand-back' }
  | { action: 'retry'; code: ErrorCode }
  | { action: 'fail'; code: ErrorCode; deadLetter: boolean; rethrow: boolean };

const ABANDON: Expected = { action: 'abandon' };
const CANCEL: Expected = { action: 'cancel' };
const HAND_BACK: Expected = { action: 'hand-back' };
const retry = (code: ErrorCode): Expected => ({ action: 'retry', code });
const fail = (code: ErrorCode): Expected => ({ action: 'fail', code, deadLetter: false, rethrow: false });
const deadLetter = (code: ErrorCode): Expected => ({ action: 'fail', code, deadLetter: true, rethrow: false });
const failAndRethrow = (code: ErrorCode): Expected => ({ action: 'fail', code, deadLetter: false, rethrow: true });

type Row = [stopReason: StopReason | undefined, error: ErrorKind, attempts: number, shuttingDown: boolean, Expected];

/** The attempt failed on its own (no stop reason): the error decides, unless the worker is shutting down. */
const OWN_FAILURES: Row[] = [
  [undefined, 'retryable', 1, false, retry('STORAGE_ERROR')],
  [undefined, 'retryable', MAX_ATTEMPTS - 1, false, retry('STORAGE_ERROR')],
  [undefined, 'retryable', MAX_ATTEMPTS, false, deadLetter('STORAGE_ERROR')],
  [undefined, 'non-retryable', 1, false, fail('FFMPEG_FAILED')],
  [undefined, 'non-retryable', MAX_ATTEMPTS, false, fail('FFMPEG_FAILED')],
  [undefined, 'zod', 1, false, fail('VALIDATION_FAILED')],
  [undefined, 'zod', MAX_ATTEMPTS, false, fail('VALIDATION_FAILED')],
  [undefined, 'bug', 1, false, failAndRethrow('INTERNAL')],
  [undefined, 'bug', MAX_ATTEMPTS, false, failAndRethrow('INTERNAL')],
  // Shutting down: whatever the abort made the attempt throw, the job goes back unchanged.
  [undefined, 'retryable', 1, true, HAND_BACK],
  [undefined, 'retryable', MAX_ATTEMPTS, true, HAND_BACK],
  [undefined, 'non-retryable', 1, true, HAND_BACK],
  [undefined, 'non-retryable', MAX_ATTEMPTS, true, HAND_BACK],
  [undefined, 'zod', 1, true, HAND_BACK],
  [undefined, 'zod', MAX_ATTEMPTS, true, HAND_BACK],
  [undefined, 'bug', 1, true, HAND_BACK],
  [undefined, 'bug', MAX_ATTEMPTS, true, HAND_BACK],
];

/**
 * The worker stopped the attempt itself: the stop reason decides alone, so
 * these expectations hold for every error kind and whether or not the worker
 * is also shutting down (the error is only the abort's echo; a bug is not
 * rethrown).
 */
const STOPPED: [StopReason, attempts: number, Expected][] = [
  ['lease-lost', 1, ABANDON],
  ['lease-lost', MAX_ATTEMPTS, ABANDON],
  ['cancelled', 1, CANCEL],
  ['cancelled', MAX_ATTEMPTS, CANCEL],
  ['stalled', 1, retry('FFMPEG_STALLED')],
  ['stalled', MAX_ATTEMPTS, deadLetter('FFMPEG_STALLED')],
  ['timed-out', 1, fail('JOB_TIMEOUT')],
  ['timed-out', MAX_ATTEMPTS, fail('JOB_TIMEOUT')],
];

const TABLE: Row[] = [
  ...OWN_FAILURES,
  ...STOPPED.flatMap(([stopReason, attempts, expected]) =>
    ERROR_KINDS.flatMap((kind) =>
      [false, true].map((shuttingDown): Row => [stopReason, kind, attempts, shuttingDown, expected]),
    ),
  ),
];

/** The decision reduced to what the table states, so a row reads as one line. */
function summary(decision: FailureDecision): Expected {
  switch (decision.action) {
    case 'retry':
      return { action: 'retry', code: decision.error.code };
    case 'fail':
      return {
        action: 'fail',
        code: decision.error.code,
        deadLetter: decision.deadLetter,
        rethrow: decision.rethrow,
      };
    default:
      return { action: decision.action };
  }
}

describe('decideFailure', () => {
  it.each(TABLE)(
    'stop=%s, error=%s, attempt %i of 3, shutting down=%s',
    (stopReason, kind, attempts, shuttingDown, expected) => {
      const facts: FailureFacts = { stopReason, shuttingDown, error: ERRORS[kind], attempts };
      const decision = decideFailure(facts, policy, random);

      expect(summary(decision)).toEqual(expected);
      if (decision.action === 'retry') {
        const step = policy.baseDelayMs * 2 ** (attempts - 1);
        expect(decision.delayMs).toBeGreaterThanOrEqual(step / 2);
        expect(decision.delayMs).toBeLessThanOrEqual(step);
        expect(decision.delayMs).toBe(Math.round(step * (0.5 + RANDOM / 2)));
      }
    },
  );

  it('covers every stop reason, error kind and shutdown state', () => {
    const combinations = new Set(TABLE.map(([stop, kind, , shuttingDown]) => `${stop} ${kind} ${shuttingDown}`));
    expect(combinations.size).toBe(5 * ERROR_KINDS.length * 2);
  });

  it('records a retryable AppError as thrown, so the job shows its own message', () => {
    const decision = decideFailure(
      { stopReason: undefined, shuttingDown: false, error: ERRORS.retryable, attempts: MAX_ATTEMPTS },
      policy,
      random,
    );
    expect(decision).toMatchObject({ action: 'fail', error: ERRORS.retryable });
  });

  it.each([
    // [attempts, random, expected delay]: the jitter's bounds, and the cap.
    [1, 0, 1_000],
    [1, 1, 2_000],
    [2, 0, 2_000],
    [2, 1, 4_000],
    [9, 0, 30_000],
    [9, 1, 60_000],
  ])('waits between half and all of the step: attempt %i, random %d → %i ms', (attempts, jitter, delayMs) => {
    const decision = decideFailure(
      { stopReason: undefined, shuttingDown: false, error: ERRORS.retryable, attempts },
      { ...policy, maxAttempts: 10 },
      () => jitter,
    );
    expect(decision).toEqual({ action: 'retry', error: ERRORS.retryable, delayMs });
  });
});

describe('classifyFailure', () => {
  it('names what stalled and how long the watchdog waited', () => {
    const ffmpeg = classifyFailure({
      stopReason: 'stalled',
      error: undefined,
      stall: { what: 'FFmpeg', seconds: 120 },
    });
    expect(ffmpeg).toMatchObject({
      code: 'FFMPEG_STALLED',
      message: 'FFmpeg made no progress for 120 s',
      retryable: true,
    });

    const transcription = classifyFailure({
      stopReason: 'stalled',
      error: ERRORS['non-retryable'],
      stall: { what: 'transcription', seconds: 300 },
    });
    expect(transcription).toMatchObject({
      code: 'FFMPEG_STALLED',
      message: 'transcription made no progress for 300 s',
    });
  });

  it('reports a timed-out attempt as JOB_TIMEOUT, whatever the abort threw', () => {
    const timedOut = classifyFailure({
      stopReason: 'timed-out',
      error: new AppError('JOB_ABORTED', 'attempt stopped'),
    });
    expect(timedOut).toMatchObject({
      code: 'JOB_TIMEOUT',
      message: 'the job ran past its time limit',
      retryable: false,
    });
  });

  it('keeps a bug’s details out of the job record, and says when a stored job no longer parses', () => {
    expect(classifyFailure({ stopReason: undefined, error: ERRORS.bug })).toMatchObject({
      code: 'INTERNAL',
      message: 'internal error while processing the job',
    });
    const invalid = classifyFailure({ stopReason: undefined, error: ERRORS.zod });
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.message).toMatch(/^stored job is not valid: /);
  });
});
