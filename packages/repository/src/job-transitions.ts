import { TERMINAL_STATUSES } from '@mediaflow/domain';
import type { Job, JobHistoryEntry, JobStatus } from '@mediaflow/domain';
import { hasWarnings, historyEntry, leaseUntil, newJobRecord } from './job-records';
import type {
  ClaimRequest,
  CompletionUpdate,
  FailureUpdate,
  NewJob,
  ProgressUpdate,
  StepCompletionUpdate,
} from './job-repository';

/**
 * The job state machine, once for every database. Each transition is a pure
 * function that returns a database-neutral value: the condition the stored
 * record must meet, the fields it sets, the fields it clears and the history
 * entry it appends. The adapters only translate that value (mongo-translate.ts,
 * dynamo-translate.ts) and run it as one conditional write; `apply()` below
 * runs it in memory, which is what the unit tests state the behaviour against.
 *
 * This module imports no database driver.
 */

/**
 * A job record as both adapters store it: the job plus the fields kept beside
 * it that a returned Job never shows.
 */
export interface JobRecord extends Job {
  /**
   * A copy of `owner` that the record carries exactly while the job is
   * `queued` or `processing`, so countActive() reads a sparse index of the
   * active jobs instead of all of an owner's jobs. Every transition that
   * enters an active status sets it (when the job has an owner), every one
   * that leaves clears it.
   */
  active_owner?: string;
  /**
   * When the database may delete the record by itself: MongoDB's `purge_at`
   * (a TTL index), DynamoDB's time-to-live attribute.
   */
  record_expires_at?: Date;
}

export type RecordField = keyof JobRecord;

/** The fields a record may lack, which are the only ones a transition may clear. */
export type OptionalField = { [K in RecordField]-?: undefined extends JobRecord[K] ? K : never }[RecordField];

/** A field and a value of its type. */
type FieldValue = { [K in RecordField]-?: [field: K, value: NonNullable<JobRecord[K]>] }[RecordField];

/** Fields holding ISO 8601 timestamps (or other strings), which compare as strings. */
type StringField = { [K in RecordField]-?: NonNullable<JobRecord[K]> extends string ? K : never }[RecordField];

/**
 * A predicate on the stored record, small enough for every database to
 * translate: MongoDB filters, DynamoDB ConditionExpressions. An absent field
 * equals nothing and compares with nothing.
 */
export type Condition =
  | { status: JobStatus }
  | { statusIn: readonly JobStatus[] }
  | { equals: FieldValue }
  | { absent: RecordField }
  | { present: RecordField }
  /** The field is present and strictly before (less than) the value. */
  | { before: [field: StringField, value: string] }
  /** The field is present and not after (at most) the value. */
  | { notAfter: [field: StringField, value: string] }
  | { and: readonly Condition[] }
  | { or: readonly Condition[] };

export type TransitionName =
  | 'create'
  | 'claim'
  | 'updateProgress'
  | 'completeStep'
  | 'complete'
  | 'fail'
  | 'release'
  | 'cancelOnRelease'
  | 'cancelQueued'
  | 'requestCancel'
  | 'markCancelled'
  | 'requeue'
  | 'markDeleted'
  | 'markExpired'
  | 'setNeedsPublish'
  | 'takeForRepublish';

export interface Transition {
  name: TransitionName;
  /** What the stored record must satisfy for the write to happen; checked atomically with it. */
  condition: Condition;
  /** Fields written; never an undefined value. */
  set: Partial<JobRecord>;
  /** Fields removed; disjoint from `set`. */
  clear: readonly OptionalField[];
  /** Appended to the record's `history`. */
  history?: JobHistoryEntry;
}

export const ACTIVE: readonly JobStatus[] = ['queued', 'processing'];

/** The job is `processing` for this worker: every worker's write is conditional on it. */
export function ownedBy(workerId: string): Condition {
  return { and: [{ status: 'processing' }, { equals: ['worker_id', workerId] }] };
}

export const NO_CANCEL_REQUESTED: Condition = {
  or: [{ absent: 'cancel_requested' }, { equals: ['cancel_requested', false] }],
};

/**
 * Stores a new job: `queued`, or `completed` at once when it reuses an earlier
 * result. The condition (no record with this id yet) is what create() checks;
 * createMany() cannot check it on DynamoDB and relies on fresh ids instead.
 */
export function createJob(job: NewJob): Transition {
  const record = newJobRecord(job);
  const active = ACTIVE.includes(record.status);
  return {
    name: 'create',
    condition: { absent: 'job_id' },
    set: defined({
      ...record,
      active_owner: active ? record.owner : undefined,
      record_expires_at: job.recordExpiresAt,
    }),
    clear: [],
  };
}

/**
 * `queued` (retry due) or `processing` with an expired lease -> `processing`
 * for this worker, provided the attempts read (`current`) still hold, so the
 * attempt number in the history is the true one. `attempt` defaults to the
 * next one; MongoDB's claim ledger may hand out a later one.
 */
export function claim(current: Job, request: ClaimRequest, attempt = current.attempts + 1): Transition {
  const now = request.now.toISOString();
  return {
    name: 'claim',
    condition: {
      and: [
        { equals: ['attempts', current.attempts] },
        {
          or: [
            { and: [{ status: 'queued' }, { or: [{ absent: 'retry_at' }, { notAfter: ['retry_at', now] }] }] },
            { and: [{ status: 'processing' }, { before: ['lease_expires_at', now] }] },
          ],
        },
      ],
    },
    set: defined({
      status: 'processing',
      worker_id: request.workerId,
      lease_expires_at: leaseUntil(request.now, request.leaseMs),
      started_at: now,
      updated_at: now,
      progress: 0,
      attempts: attempt,
      // Already there unless an earlier version stored the job: then the claim supplies it.
      active_owner: current.owner,
    }),
    clear: ['speed', 'eta_seconds', 'retry_at', 'needs_publish'],
    history: historyEntry({ status: 'processing', at: now, worker_id: request.workerId, attempt }),
  };
}

/** Progress and a renewed lease; a speed or ETA the caller no longer knows is dropped rather than left stale. */
export function updateProgress(workerId: string, update: ProgressUpdate, now = new Date()): Transition {
  return {
    name: 'updateProgress',
    condition: { and: [ownedBy(workerId), NO_CANCEL_REQUESTED] },
    set: defined({
      progress: update.progress,
      speed: update.speed,
      eta_seconds: update.eta_seconds,
      lease_expires_at: update.leaseExpiresAt.toISOString(),
      updated_at: now.toISOString(),
    }),
    clear: [
      ...(update.speed === undefined ? (['speed'] as const) : []),
      ...(update.eta_seconds === undefined ? (['eta_seconds'] as const) : []),
    ],
  };
}

/**
 * A multi-step job's checkpoint: the finished steps and the outputs stored so
 * far, the job still `processing` for this worker. Not conditional on a
 * cancel request: outputs written must be listed, so a cancel removes them.
 */
export function completeStep(workerId: string, update: StepCompletionUpdate): Transition {
  return {
    name: 'completeStep',
    condition: ownedBy(workerId),
    set: { completed_steps: update.completed_steps, outputs: update.outputs, updated_at: update.now.toISOString() },
    clear: [],
  };
}

/** `processing` -> `completed`, unless a cancel was requested. */
export function complete(workerId: string, update: CompletionUpdate): Transition {
  const now = update.now.toISOString();
  const warned = hasWarnings(update);
  return {
    name: 'complete',
    condition: { and: [ownedBy(workerId), NO_CANCEL_REQUESTED] },
    set: defined({
      status: 'completed',
      progress: 100,
      outputs: update.outputs,
      output_path: update.output_path,
      log_path: update.log_path,
      completed_at: now,
      updated_at: now,
      record_expires_at: update.recordExpiresAt,
      warnings: warned ? update.warnings : undefined,
    }),
    clear: [
      'speed',
      'eta_seconds',
      'lease_expires_at',
      'error',
      'active_owner',
      ...(warned ? [] : (['warnings'] as const)),
    ],
    history: historyEntry({ status: 'completed', at: now, worker_id: workerId }),
  };
}

/** `processing` -> `failed`, also while a cancel is requested; with `deadLetter` it joins the dead letters. */
export function fail(workerId: string, update: FailureUpdate): Transition {
  const now = update.now.toISOString();
  return {
    name: 'fail',
    condition: ownedBy(workerId),
    set: defined({
      status: 'failed',
      error: { code: update.error.code, message: update.error.message },
      log_path: update.log_path,
      completed_at: now,
      updated_at: now,
      dead_lettered_at: update.deadLetter ? now : undefined,
    }),
    clear: [
      'speed',
      'eta_seconds',
      'lease_expires_at',
      'cancel_requested',
      'active_owner',
      ...(update.deadLetter ? [] : (['dead_lettered_at'] as const)),
    ],
    history: historyEntry({ status: 'failed', at: now, worker_id: workerId, note: update.error.code }),
  };
}

/**
 * `processing` -> `queued` for another worker: at once, or from `retryAt` on.
 * Not when a cancel was requested: then cancelOnRelease applies instead.
 */
export function release(workerId: string, now: Date, note: string, retryAt?: Date): Transition {
  const at = now.toISOString();
  const retry = retryAt?.toISOString();
  return {
    name: 'release',
    condition: { and: [ownedBy(workerId), NO_CANCEL_REQUESTED] },
    set: defined({ status: 'queued', progress: 0, updated_at: at, retry_at: retry }),
    // A processing job has no needs_publish (claims clear it); clearing it names the whole queue position.
    clear: [
      'worker_id',
      'lease_expires_at',
      'speed',
      'eta_seconds',
      'needs_publish',
      ...(retry === undefined ? (['retry_at'] as const) : []),
    ],
    history: historyEntry({ status: 'queued', at, worker_id: workerId, note }),
  };
}

/** A release after a cancel request: the job is handed back for good. */
export function cancelOnRelease(workerId: string, now: Date, note: string): Transition {
  return cancellation(
    'cancelOnRelease',
    { and: [ownedBy(workerId), { equals: ['cancel_requested', true] }] },
    now,
    workerId,
    `cancelled on release: ${note}`,
  );
}

/** A client's cancel of a `queued` job, which no worker holds: `cancelled` at once. */
export function cancelQueued(now: Date): Transition {
  return cancellation('cancelQueued', { status: 'queued' }, now, undefined, 'cancel requested');
}

/** A client's cancel of a `processing` job: flagged, for its worker to acknowledge. */
export function requestCancel(now: Date): Transition {
  return {
    name: 'requestCancel',
    condition: { status: 'processing' },
    set: { cancel_requested: true, updated_at: now.toISOString() },
    clear: [],
  };
}

/**
 * The owning worker's acknowledgement of a cancel: `processing` -> `cancelled`,
 * with the log of what ran until then when the worker kept one.
 */
export function markCancelled(workerId: string, now: Date, logPath?: string): Transition {
  const transition = cancellation(
    'markCancelled',
    ownedBy(workerId),
    now,
    workerId,
    'cancel acknowledged by the worker',
  );
  return logPath === undefined ? transition : { ...transition, set: { ...transition.set, log_path: logPath } };
}

/**
 * `failed` or `cancelled` -> `queued` as if new. `current` (read first)
 * supplies the owner, which the job becomes active for again. A failed
 * multi-step job keeps its checkpoints and their outputs (a failure leaves
 * the finished steps' files in place), so the new run resumes at the step
 * that failed; the condition then names `failed`, so a job cancelled since
 * the read (whose files are gone) is not resumed. Otherwise every step runs
 * again.
 */
export function requeue(
  current: Pick<Job, 'owner'> & Partial<Pick<Job, 'status' | 'completed_steps'>>,
  now: Date,
  note: string,
): Transition {
  const at = now.toISOString();
  const resume = current.status === 'failed' && (current.completed_steps?.length ?? 0) > 0;
  return {
    name: 'requeue',
    condition: resume ? { status: 'failed' } : { statusIn: ['failed', 'cancelled'] },
    set: defined({
      status: 'queued',
      attempts: 0,
      progress: 0,
      outputs: resume ? undefined : [],
      updated_at: at,
      active_owner: current.owner,
    }),
    clear: [
      'error',
      'output_path',
      'log_path',
      'completed_at',
      'started_at',
      'dead_lettered_at',
      'cancel_requested',
      'retry_at',
      'needs_publish',
      'worker_id',
      'lease_expires_at',
      'speed',
      'eta_seconds',
      'expired_at',
      ...(resume ? [] : (['completed_steps'] as const)),
      // A purge time set when an earlier run expired must not delete the record of this new run.
      'record_expires_at',
    ],
    history: historyEntry({ status: 'queued', at, note }),
  };
}

/** The tombstone of DELETE /jobs/{id}; the status stays. */
export function markDeleted(now: Date, recordExpiresAt?: Date): Transition {
  const at = now.toISOString();
  return {
    name: 'markDeleted',
    condition: { absent: 'deleted_at' },
    set: defined({ deleted_at: at, updated_at: at, record_expires_at: recordExpiresAt }),
    clear: [],
  };
}

/** Retention: a finished job's objects are gone. */
export function markExpired(now: Date, recordExpiresAt?: Date): Transition {
  const at = now.toISOString();
  return {
    name: 'markExpired',
    condition: { and: [{ statusIn: TERMINAL_STATUSES }, { absent: 'expired_at' }, { absent: 'deleted_at' }] },
    set: defined({ expired_at: at, updated_at: at, record_expires_at: recordExpiresAt }),
    clear: [],
  };
}

/**
 * Flags (or unflags) a `queued` job as maybe never published. Conditional on
 * the `retry_at` read (`current`), which it names again, so the transition
 * states the job's whole queue position (DynamoDB's recovery order needs it).
 */
export function setNeedsPublish(current: Pick<Job, 'retry_at'>, needsPublish: boolean, now: Date): Transition {
  const retry = current.retry_at;
  return {
    name: 'setNeedsPublish',
    condition: {
      and: [{ status: 'queued' }, retry === undefined ? { absent: 'retry_at' } : { equals: ['retry_at', retry] }],
    },
    set: defined({ needs_publish: needsPublish ? true : undefined, retry_at: retry, updated_at: now.toISOString() }),
    clear: [
      ...(needsPublish ? [] : (['needs_publish'] as const)),
      ...(retry === undefined ? (['retry_at'] as const) : []),
    ],
  };
}

/** The reaper's right to publish a queued job again, if it is unchanged since `seenUpdatedAt`. */
export function takeForRepublish(seenUpdatedAt: string, now: Date): Transition {
  return {
    name: 'takeForRepublish',
    condition: { and: [{ status: 'queued' }, { equals: ['updated_at', seenUpdatedAt] }] },
    set: { updated_at: now.toISOString() },
    clear: ['needs_publish', 'retry_at'],
  };
}

/** Any transition to `cancelled`, which clears what only a live job has. */
function cancellation(
  name: TransitionName,
  condition: Condition,
  now: Date,
  workerId: string | undefined,
  note: string,
): Transition {
  const at = now.toISOString();
  return {
    name,
    condition,
    // A cancel removes every file the job wrote, a multi-step job's finished steps' too: none stays listed.
    set: { status: 'cancelled', completed_at: at, updated_at: at, outputs: [] },
    clear: [
      'worker_id',
      'lease_expires_at',
      'speed',
      'eta_seconds',
      'cancel_requested',
      'retry_at',
      'needs_publish',
      'active_owner',
      'completed_steps',
    ],
    history: historyEntry({ status: 'cancelled', at, worker_id: workerId, note }),
  };
}

/** The Job a record shows: without the fields kept beside it. */
export function jobOf(record: JobRecord): Job {
  const job: Partial<JobRecord> = { ...record };
  delete job.active_owner;
  delete job.record_expires_at;
  return job as Job;
}

/** Whether `record` (null: no record) satisfies `condition`; the in-memory meaning every translation must keep. */
export function applies(condition: Condition, record: JobRecord | null): boolean {
  const value = (field: RecordField): unknown => record?.[field];
  if ('status' in condition) return record?.status === condition.status;
  if ('statusIn' in condition) return record !== null && condition.statusIn.includes(record.status);
  if ('equals' in condition) return record !== null && sameValue(value(condition.equals[0]), condition.equals[1]);
  if ('absent' in condition) return value(condition.absent) === undefined;
  if ('present' in condition) return value(condition.present) !== undefined;
  if ('before' in condition) {
    const field = value(condition.before[0]);
    return typeof field === 'string' && field < condition.before[1];
  }
  if ('notAfter' in condition) {
    const field = value(condition.notAfter[0]);
    return typeof field === 'string' && field <= condition.notAfter[1];
  }
  if ('and' in condition) return condition.and.every((part) => applies(part, record));
  return condition.or.some((part) => applies(part, record));
}

/** The record after `transition`, or null when its condition does not hold (nothing is written). */
export function apply(transition: Transition, record: JobRecord | null): JobRecord | null {
  if (!applies(transition.condition, record)) return null;
  const next: Partial<JobRecord> = { ...(record ?? {}) };
  for (const field of transition.clear) delete next[field];
  Object.assign(next, transition.set);
  if (transition.history) next.history = [...(next.history ?? []), transition.history];
  return next as JobRecord;
}

function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Drops undefined members, which no database should store and `set` never holds. */
function defined(fields: Partial<JobRecord>): Partial<JobRecord> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
