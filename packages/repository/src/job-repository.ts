import type {
  CompletedStep,
  Job,
  JobError,
  JobOutput,
  JobStatus,
  JobWarning,
  OperationSpec,
  TraceCarrier,
} from '@mediaflow/domain';

export interface NewJob {
  job_id: string;
  source: string;
  /** Every input in order, when the job was submitted with `sources` (then `source` is the first). */
  sources?: string[];
  operation: OperationSpec;
  /** A multi-step job's chain (normalised); `operation` is then its first step. */
  steps?: OperationSpec[];
  /** The preset that chose `steps`, when the body named one. */
  preset?: string;
  created_at: string;
  /** Id of the API key that submits the job; never empty. */
  owner?: string;
  /** The client's Idempotency-Key, kept on the job for reference. */
  idempotency_key?: string;
  /** SHA-256 (hex) of the source's content, when the upload recorded it. */
  source_sha256?: string;
  /** Result-reuse key (see JobRepository.findReusable); absent: the job's result is never reused. */
  reuse_key?: string;
  /** The submitting request's W3C trace context, kept so a republished or retried job still links to it. */
  trace?: TraceCarrier;
  /** The job's own webhook (http/https, already checked against the SSRF policy). */
  webhook_url?: string;
  /**
   * Result reuse: the job is stored `completed` at once with these outputs
   * of an earlier job (the root of its reuse chain), which it points at as
   * `reused_from`; it never reaches a worker.
   */
  reuse?: ReusedResult;
  /** When the database may delete the record by itself (its TTL); only for a reused (completed) job. */
  recordExpiresAt?: Date;
}

/** What a reusing job copies from the job whose objects it points at. */
export interface ReusedResult {
  /** The job that wrote the objects (a reused job's own `reused_from`, else its id). */
  from: string;
  outputs: JobOutput[];
  output_path?: string;
  log_path?: string;
}

export interface ListJobsQuery {
  limit: number;
  /** Offset paging for shallow pages. Ignored when `cursor` is given. */
  skip: number;
  /**
   * Opaque keyset cursor from a previous page's `next_cursor`. Only a page of
   * the same listing (same `owner`, or none) issues cursors it accepts.
   */
  cursor?: string;
  /** Only this API key's jobs. Absent: everybody's jobs. */
  owner?: string;
  /** Only jobs in this status. */
  status?: JobStatus;
  /** Only jobs of this (canonical) operation. */
  method_name?: string;
  /** Only jobs created at or after this instant: an ISO 8601 UTC string as Date.toISOString() writes it. */
  created_after?: string;
  /** Only jobs created before this instant (exclusive), in the same form. */
  created_before?: string;
}

export interface JobPage {
  jobs: Job[];
  /** Total number of jobs the listing covers: those matching its owner and filters, on every page. */
  count: number;
  /** Present when more jobs follow; pass it back as `cursor`. */
  next_cursor?: string;
}

export interface ClaimRequest {
  jobId: string;
  workerId: string;
  now: Date;
  leaseMs: number;
}

export interface ProgressUpdate {
  progress: number;
  speed?: number;
  eta_seconds?: number;
  leaseExpiresAt: Date;
}

/** A multi-step job's checkpoint: one more step finished and its outputs are stored. */
export interface StepCompletionUpdate {
  now: Date;
  /** Every finished step so far, in order, this one last (the whole list is written). */
  completed_steps: CompletedStep[];
  /** The job's outputs so far: every finished step's, so cancel and delete remove them like any other output. */
  outputs: JobOutput[];
}

export interface CompletionUpdate {
  now: Date;
  outputs: JobOutput[];
  output_path: string;
  log_path?: string;
  /** When the database may delete the record by itself (its TTL); absent: never. */
  recordExpiresAt?: Date;
  /** Stored on the job when non-empty; absent or empty removes warnings an earlier completion left. */
  warnings?: JobWarning[];
}

export interface FailureUpdate {
  now: Date;
  error: JobError;
  log_path?: string;
  /** The failure is final and the job joins the dead letters (`dead_lettered_at = now`). */
  deadLetter?: boolean;
}

export interface DeadLetterQuery {
  limit: number;
  /** Opaque keyset cursor from a previous page's `next_cursor`. */
  cursor?: string;
}

export interface DeadLetterPage {
  jobs: Job[];
  /** Present when more dead letters follow; pass it back as `cursor`. */
  next_cursor?: string;
}

export interface IdempotencyReservation {
  /** Who the key belongs to: the API key id, or '' without one. Keys of different scopes never collide. */
  scope: string;
  key: string;
  /** Identifies the request body, so a reused key with a different request can be told apart. */
  fingerprint: string;
  /** The job the request will create when this reservation is new. */
  jobId: string;
  now: Date;
}

export interface IdempotencyRecord {
  job_id: string;
  fingerprint: string;
}

/** The statuses countActive() counts: the jobs that still take up a place in the system. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'processing'];

/** How long an idempotency key stays reserved. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/*
 * The job store's ports. The store is split into role interfaces so each
 * consumer can depend on the part it uses (the API on JobSubmissions and
 * IdempotencyKeys, a worker's job runner on JobLeases, the reaper on
 * JobRecovery, the retention sweep on JobLifecycle); JobRepository is all of
 * them, which each adapter implements. Every state change is one transition
 * of job-transitions.ts, which states its condition and effect once for
 * every database. This file imports no database driver.
 */

/**
 * Storing and reading jobs on a client's behalf (the API): submission, lookup
 * and listing.
 */
export interface JobSubmissions {
  /** Stores a new job in `queued`, or `completed` when it reuses an earlier result (`job.reuse`). */
  create(job: NewJob): Promise<Job>;

  /**
   * Stores several new jobs at once, exactly as create() would store each,
   * and returns them in the order given. Fewer round trips than create() in
   * a loop, but not atomic: on failure some jobs may be stored. Job ids must
   * be fresh (random UUIDs): on DynamoDB a batch write cannot be conditional,
   * so unlike create() it does not refuse an id that already exists (MongoDB
   * does, failing the call and naming the id). An empty list stores nothing.
   */
  createMany(jobs: NewJob[]): Promise<Job[]>;

  get(jobId: string): Promise<Job | null>;

  /**
   * Newest first; with `owner`, only that owner's jobs (none for ''), and
   * only those matching every filter given. Deleted jobs are left out. Each
   * combination of filters reads an index of its own (see the adapters),
   * never the whole table. A cursor issued for another owner, or for the
   * unfiltered listing, is INVALID_CURSOR; a cursor holds only a position,
   * so it pages on with the same filters.
   */
  list(query: ListJobsQuery): Promise<JobPage>;
}

/**
 * A worker's hold on a job: claiming it and every state change it makes while
 * it holds the lease. Every write but claim is conditional on the worker
 * still owning the job (status `processing`, same `worker_id`), so a worker
 * that lost its lease can never overwrite the work of the one that took over.
 * Methods that return boolean report whether the condition held.
 */
export interface JobLeases {
  /** The job as stored, or null when unknown (a worker checks what it holds). */
  get(jobId: string): Promise<Job | null>;

  /**
   * Atomically moves a job to `processing` for this worker, incrementing
   * `attempts` and setting a lease, when the job is `queued` (and its
   * `retry_at`, if any, is not after `request.now`), or `processing` with a
   * lease that has expired. Clears `retry_at` and `needs_publish`. Returns
   * the claimed job, or null when the job is unknown, finished, not yet due
   * for its retry, or held by a live lease.
   *
   * A job taken over from a dead worker keeps `cancel_requested`; its new
   * worker should acknowledge that with markCancelled instead of running it.
   */
  claim(request: ClaimRequest): Promise<Job | null>;

  /**
   * Records progress and renews the lease. False also when a cancel was
   * requested: that is the worker's cue to stop and call markCancelled.
   */
  updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean>;

  /**
   * Records a multi-step job's checkpoint (a finished step and its stored
   * outputs) while the job stays `processing`; a retry resumes after it.
   * Written also while a cancel is requested, so the outputs it lists are
   * removed with the job. False when this worker no longer holds the job.
   */
  completeStep(jobId: string, workerId: string, update: StepCompletionUpdate): Promise<boolean>;

  /** `processing` -> `completed`. False also when a cancel was requested, so a cancelled job never turns up done. */
  complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean>;

  /**
   * `processing` -> `failed`, also while a cancel is requested (the failure
   * stands). With `deadLetter` the job joins the dead letters.
   */
  fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean>;

  /**
   * Hands a job back (`processing` -> `queued`) so another worker may claim
   * it: at once, or from `retryAt` on when given (a retry with back-off); a
   * release without `retryAt` clears an earlier one. When a cancel was
   * requested the job becomes `cancelled` instead, since nobody should run it
   * again; the result is true in both cases.
   */
  release(jobId: string, workerId: string, now: Date, note: string, retryAt?: Date): Promise<boolean>;

  /**
   * The owning worker's acknowledgement of a cancel: `processing` -> `cancelled`,
   * dropping worker, lease and running estimates, and the outputs (the
   * worker has removed the files). `logPath` (s3:// URI): the log of what ran
   * until the cancel. False when this worker no longer owns the job.
   */
  markCancelled(jobId: string, workerId: string, now: Date, logPath?: string): Promise<boolean>;
}

/**
 * The reaper's view: jobs that may lack a queue message, and the flags that
 * decide who publishes them again; also the dead letters an operator replays.
 */
export interface JobRecovery {
  /**
   * Jobs that need a worker but may have no queue message: `queued` jobs and
   * `processing` jobs whose lease expired before `now`, at most `limit`, in
   * this order so a long backlog cannot starve the jobs that certainly lack a
   * message: expired leases; queued jobs flagged `needs_publish`; queued jobs
   * whose `retry_at` is due (earliest first); other queued jobs, longest
   * waiting first; queued jobs whose retry is not yet due. `retry_at` and
   * `needs_publish` are returned so the caller can decide what to publish.
   */
  findRecoverable(now: Date, limit: number): Promise<Job[]>;

  /**
   * Flags (or unflags) a `queued` job as stored but maybe never published.
   * False when the job is unknown or no longer queued, in which case a
   * worker already has it and no publish is needed.
   */
  setNeedsPublish(jobId: string, needsPublish: boolean, now: Date): Promise<boolean>;

  /**
   * The reaper's right to publish a queued job again: clears `needs_publish`
   * and `retry_at` and touches `updated_at`, only if the job is still queued
   * and unchanged since it was read (`seenUpdatedAt`). True when this caller
   * won and should publish; of several reapers, one wins.
   *
   * The write comes before the publish on purpose. A worker can only claim
   * the job from a message, so nothing this publish sends can race the
   * write. (FerretDB v1 applies an update's filter and its write in two
   * steps; a write after the publish could land on top of the claim the
   * message led to and undo it.)
   */
  takeForRepublish(jobId: string, seenUpdatedAt: string, now: Date): Promise<boolean>;

  /** Dead-lettered jobs, most recently dead-lettered first, by keyset cursor (INVALID_CURSOR when malformed). */
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage>;
}

/** Idempotency-Key reservations for job submission. */
export interface IdempotencyKeys {
  /**
   * Atomically reserves an idempotency key within its scope for
   * IDEMPOTENCY_TTL_MS. Null when this call created the reservation (go ahead
   * and create `jobId`); otherwise the existing reservation, unchanged, so
   * the caller can compare fingerprints. Of concurrent calls for one key,
   * exactly one gets null. An expired reservation counts as absent.
   */
  reserveIdempotencyKey(input: IdempotencyReservation): Promise<IdempotencyRecord | null>;
}

/**
 * What clients, operators and the retention sweep do to a job outside a
 * worker's lease: cancellation, requeue, deletion, expiry, result reuse and
 * the per-owner quota.
 */
export interface JobLifecycle {
  /**
   * Cancels a job on a client's behalf and returns it as it now is, or null
   * when the job is unknown. A `queued` job becomes `cancelled` at once. A
   * `processing` job gets `cancel_requested` and stays `processing` until its
   * worker acknowledges (markCancelled) or finishes otherwise. A finished job
   * is returned unchanged.
   */
  requestCancel(jobId: string, now: Date): Promise<Job | null>;

  /**
   * Puts a `failed` or `cancelled` job back in the queue as if new (attempts
   * 0; no error, outputs, paths, timestamps of the last run, dead letter,
   * cancel request or retry time) for an operator's retry or a dead-letter
   * replay. Returns the requeued job, or null when the job is unknown or in
   * another status; get() tells those apart.
   */
  requeue(jobId: string, now: Date, note: string): Promise<Job | null>;

  /**
   * Tombstones a job for DELETE /jobs/{id}: sets `deleted_at` (kept when
   * already set) and takes it out of every listing and lookup by index, but
   * not out of get(), so ownership can still be checked and a worker still
   * running it sees it. Does not change its status; cancel it first.
   * Returns the job as it now is, or null when unknown.
   *
   * @param recordExpiresAt When the database may delete the tombstone by itself (its TTL).
   */
  markDeleted(jobId: string, now: Date, recordExpiresAt?: Date): Promise<Job | null>;

  /**
   * Retention: records that a finished job's objects are gone (`expired_at`).
   * False when the job is unknown, not finished, already expired or deleted.
   */
  markExpired(jobId: string, now: Date, recordExpiresAt?: Date): Promise<boolean>;

  /**
   * Finished jobs (completed, failed or cancelled) whose `completed_at` is
   * before `finishedBefore`, neither expired nor deleted, oldest first, at
   * most `limit`: what the retention sweep expires next.
   */
  findExpirable(finishedBefore: Date, limit: number): Promise<Job[]>;

  /**
   * Finished jobs (completed, failed or cancelled), neither expired nor
   * deleted, whose `completed_at` is at or after `from` and before `to`,
   * oldest first, at most `limit`: what the webhook repair sweep records
   * again, in case the process that finished them died before it recorded
   * their events. Reads the retention index (by_retention, by_finished).
   */
  findFinishedBetween(from: Date, to: Date, limit: number): Promise<Job[]>;

  /**
   * The newest `completed` job with this reuse key that is neither expired
   * nor deleted, or null.
   */
  findReusable(reuseKey: string): Promise<Job | null>;

  /**
   * Every job with this reuse key that is not deleted (expired ones
   * included), newest first, at most `limit`: the jobs that may point at one
   * job's objects, for counting references before deleting them.
   */
  findByReuseKey(reuseKey: string, limit: number): Promise<Job[]>;

  /**
   * How many of the owner's jobs are `queued` or `processing`, for a cap on
   * each API key's work in flight. Both adapters read an index of the active
   * jobs only (`active_owner`, see job-transitions.ts), never all of an
   * owner's jobs. On DynamoDB that index is eventually consistent, so a job
   * created or finished a moment ago may not be counted yet; with the check
   * and the create being separate calls, concurrent submissions of one key
   * can overshoot a cap by a few jobs either way.
   */
  countActive(owner: string): Promise<number>;
}

/** Set-up and health of the store itself. */
export interface RepositoryAdmin {
  /**
   * The migration (`npm run db:migrate`, or every start with
   * DATABASE_MIGRATE=on-start): creates tables or indexes if missing and runs
   * backfills. Safe to call from every process at once.
   */
  init(): Promise<void>;

  /**
   * Creates nothing: throws DATABASE_ERROR (details.reason
   * SCHEMA_NOT_MIGRATED, see schemaMissing()) naming the first missing
   * table, index or collection when init() has not run on this database.
   */
  checkSchema(): Promise<void>;

  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** The whole job store: every role. */
export type JobStore = RepositoryAdmin & JobSubmissions & JobLeases & JobRecovery & IdempotencyKeys & JobLifecycle;

/**
 * The whole job store as the adapters implement it; the type existing
 * consumers depend on. Each role's contract is documented on its interface.
 */
export abstract class JobRepository implements JobStore {
  abstract create(job: NewJob): Promise<Job>;
  abstract createMany(jobs: NewJob[]): Promise<Job[]>;
  abstract get(jobId: string): Promise<Job | null>;
  abstract list(query: ListJobsQuery): Promise<JobPage>;
  abstract claim(request: ClaimRequest): Promise<Job | null>;
  abstract updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean>;
  abstract completeStep(jobId: string, workerId: string, update: StepCompletionUpdate): Promise<boolean>;
  abstract complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean>;
  abstract fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean>;
  abstract release(jobId: string, workerId: string, now: Date, note: string, retryAt?: Date): Promise<boolean>;
  abstract markCancelled(jobId: string, workerId: string, now: Date, logPath?: string): Promise<boolean>;
  abstract findRecoverable(now: Date, limit: number): Promise<Job[]>;
  abstract setNeedsPublish(jobId: string, needsPublish: boolean, now: Date): Promise<boolean>;
  abstract takeForRepublish(jobId: string, seenUpdatedAt: string, now: Date): Promise<boolean>;
  abstract listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage>;
  abstract reserveIdempotencyKey(input: IdempotencyReservation): Promise<IdempotencyRecord | null>;
  abstract requestCancel(jobId: string, now: Date): Promise<Job | null>;
  abstract requeue(jobId: string, now: Date, note: string): Promise<Job | null>;
  abstract markDeleted(jobId: string, now: Date, recordExpiresAt?: Date): Promise<Job | null>;
  abstract markExpired(jobId: string, now: Date, recordExpiresAt?: Date): Promise<boolean>;
  abstract findExpirable(finishedBefore: Date, limit: number): Promise<Job[]>;
  abstract findFinishedBetween(from: Date, to: Date, limit: number): Promise<Job[]>;
  abstract findReusable(reuseKey: string): Promise<Job | null>;
  abstract findByReuseKey(reuseKey: string, limit: number): Promise<Job[]>;
  abstract countActive(owner: string): Promise<number>;
  abstract init(): Promise<void>;
  abstract checkSchema(): Promise<void>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}

/*
 * Webhooks: the endpoints each API key configures, and the outbox of
 * deliveries. Stored beside the jobs (same database, own collections or
 * table), never in memory, so a delivery survives restarts of every process.
 */

/** The events a webhook can carry. `job.progress` is rate-bounded per endpoint and job. */
export const WEBHOOK_EVENT_TYPES = ['job.completed', 'job.failed', 'job.cancelled', 'job.progress'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An endpoint an API key registered (POST /webhooks). */
export interface WebhookEndpoint {
  /** `ep_` + 32 hex digits. */
  endpoint_id: string;
  /** The API key id that owns it; only this key lists, uses or deletes it. */
  owner: string;
  url: string;
  /** The events it receives; never empty. */
  events: WebhookEventType[];
  /** Standard Webhooks signing secret, `whsec_` + base64 of 32 random bytes. */
  secret: string;
  created_at: string;
  description?: string;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttempt {
  /** When the request started (ISO 8601). */
  at: string;
  /** From the request's start to the response's status line (or the failure). */
  duration_ms: number;
  /** The receiver's HTTP status; absent when no response came (refused, timeout, connection error). */
  status_code?: number;
  /** Why the attempt failed without a status, or a refused address. */
  error?: string;
}

/** pending: due at `next_attempt_at`; delivered: a 2xx came back; failed: given up (retry window over, or 410). */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** What the process that made a job's transition records, for the dispatcher to send. */
export interface NewWebhookDelivery {
  /** The `webhook-id` header, the same on every attempt: `msg_` + 32 hex digits, derived from the event and target. */
  delivery_id: string;
  job_id: string;
  owner?: string;
  /** The endpoint it goes to; absent for the job's own `webhook_url`. */
  endpoint_id?: string;
  url: string;
  event_type: WebhookEventType;
  /** The exact JSON body, signed as is on every attempt. */
  payload: string;
  /** The signing secret (`whsec_…`), copied so a deleted endpoint's pending deliveries still sign. */
  secret: string;
  created_at: string;
}

export interface WebhookDelivery extends NewWebhookDelivery {
  status: WebhookDeliveryStatus;
  attempts: WebhookAttempt[];
  /** Pending only: when it is due (or when its lease runs out). */
  next_attempt_at?: string;
  delivered_at?: string;
}

/** A delivery the caller holds: other dispatchers skip it until `next_attempt_at`, the lease's end. */
export interface LeasedWebhookDelivery extends WebhookDelivery {
  /** Proof of the lease for recordDeliveryAttempt. */
  lease: string;
}

/** What identifies a leased delivery to recordDeliveryAttempt. */
export type LeasedDeliveryRef = Pick<LeasedWebhookDelivery, 'delivery_id' | 'job_id' | 'lease'>;

/** The result of one attempt and what follows it. */
export interface WebhookAttemptRecord {
  attempt: WebhookAttempt;
  /** retry: pending again, due at `nextAttemptAt`; delivered / failed: finished. */
  outcome: { kind: 'retry'; nextAttemptAt: Date } | { kind: 'delivered' } | { kind: 'failed' };
}

/** The webhook endpoints of each API key, and each key's secret for jobs' own `webhook_url`. */
export interface WebhookEndpoints {
  /**
   * Stores a new endpoint.
   * @throws AppError WEBHOOK_ENDPOINT_LIMIT when the owner has `maxPerOwner` endpoints already
   * (concurrent creations by one key may overshoot by a few).
   */
  createEndpoint(endpoint: WebhookEndpoint, maxPerOwner: number): Promise<void>;

  /** The owner's endpoints, oldest first, secrets included (the API leaves them out of its answers). */
  listEndpoints(owner: string): Promise<WebhookEndpoint[]>;

  /** False when the owner has no endpoint with this id. */
  deleteEndpoint(owner: string, endpointId: string): Promise<boolean>;

  /**
   * The owner's secret for deliveries to jobs' own `webhook_url`: the stored
   * one, or `proposed`, stored now when the owner has none. Of concurrent
   * first calls, all get the one stored.
   */
  ownerSecret(owner: string, proposed: string): Promise<string>;
}

/** The outbox: deliveries recorded by whoever made a transition, sent and retried by dispatchers. */
export interface WebhookDeliveries {
  /**
   * Stores deliveries as pending, due at once. A delivery whose id is stored
   * already is left as it is, so recording an event twice (a retried write, a
   * duplicate transition) sends it once.
   */
  enqueueDeliveries(deliveries: NewWebhookDelivery[]): Promise<void>;

  /**
   * Leases up to `limit` pending deliveries due at `now` (earliest first): each
   * gets a fresh lease and `next_attempt_at = now + leaseMs`, so another
   * dispatcher leaves it alone until then, and takes it over when this one
   * dies. Of concurrent callers, one leases each delivery.
   */
  leaseDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<LeasedWebhookDelivery[]>;

  /** Appends the attempt and applies its outcome; false when the lease was lost (nothing written). */
  recordDeliveryAttempt(leased: LeasedDeliveryRef, record: WebhookAttemptRecord): Promise<boolean>;

  /** The job's deliveries, oldest first, at most `limit`. */
  listDeliveries(jobId: string, limit: number): Promise<WebhookDelivery[]>;
}

/** Both webhook roles with their schema; each database adapter implements it. */
export abstract class WebhookStore implements WebhookEndpoints, WebhookDeliveries {
  /** Creates collections, indexes or the table; part of the migration. Safe to call from every process at once. */
  abstract init(): Promise<void>;
  /** Creates nothing; throws as RepositoryAdmin.checkSchema() does unless init() has run. */
  abstract checkSchema(): Promise<void>;
  abstract createEndpoint(endpoint: WebhookEndpoint, maxPerOwner: number): Promise<void>;
  abstract listEndpoints(owner: string): Promise<WebhookEndpoint[]>;
  abstract deleteEndpoint(owner: string, endpointId: string): Promise<boolean>;
  abstract ownerSecret(owner: string, proposed: string): Promise<string>;
  abstract enqueueDeliveries(deliveries: NewWebhookDelivery[]): Promise<void>;
  abstract leaseDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<LeasedWebhookDelivery[]>;
  abstract recordDeliveryAttempt(leased: LeasedDeliveryRef, record: WebhookAttemptRecord): Promise<boolean>;
  abstract listDeliveries(jobId: string, limit: number): Promise<WebhookDelivery[]>;
  /** Releases what the store opened itself; a shared client stays open. */
  abstract close(): Promise<void>;
}
