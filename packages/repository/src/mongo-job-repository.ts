import { MongoServerError } from 'mongodb';
import type { Collection, Filter, MongoClient, Sort, UpdateFilter } from 'mongodb';
import { AppError, isTerminal, TERMINAL_STATUSES } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { deadLetterPage, decodeDeadLetterCursor, decodeListCursor, encodeListCursor } from './cursor';
import { guarded, toDatabaseError } from './database-error';
import { ClaimLedger, isDuplicateKey } from './mongo-claim-ledger';
import { createMongoClient } from './mongo-client';
import { IdempotencyStore } from './mongo-idempotency-store';
import { hasWarnings, historyEntry, isClaimable, leaseUntil, newJobRecord } from './job-records';
import { ACTIVE_STATUSES, JobRepository } from './job-repository';
import type {
  ClaimRequest,
  CompletionUpdate,
  DeadLetterPage,
  DeadLetterQuery,
  FailureUpdate,
  IdempotencyRecord,
  IdempotencyReservation,
  JobPage,
  ListJobsQuery,
  NewJob,
  ProgressUpdate,
} from './job-repository';

/**
 * Stored shape: the job itself, keyed by its id so lookups need no extra
 * index, plus how often it was requeued (see ClaimLedger), absent until then.
 */
type JobDocument = Job & { _id: string; claim_generation?: number; purge_at?: Date };

/** The fields a job may lack, which are the only ones an update may $unset. */
type OptionalField = { [K in keyof Job]-?: undefined extends Job[K] ? K : never }[keyof Job];

const NOT_IMPLEMENTED = 238;
// Read-then-write transitions start over when the job changed in between; more rounds than this means a storm.
const MAX_ROUNDS = 5;

export type MongoJobRepositoryOptions = { dbName: string; collection: string } & (
  { url: string; client?: never } | { client: MongoClient; url?: never }
);

/**
 * MongoDB adapter. Every transition is one conditional findOneAndUpdate or
 * updateOne whose filter carries the ownership condition, so the database
 * decides who wins a race. Claims are additionally arbitrated by a claim
 * ledger (see ClaimLedger) because FerretDB v1 does not apply update filters
 * atomically; on that server the other transitions stay last-writer-wins
 * when they race a takeover, which MongoDB itself rules out.
 *
 * FerretDB v1 also writes an update back as the whole document it read, so
 * there a cancel (requestCancel) racing another write to the same job can be
 * lost or can lose: a progress update read just before the cancel request
 * was stored puts the job back without `cancel_requested`, and a claim read
 * just before a queued job was cancelled puts it back to `processing`. The
 * windows are a few milliseconds; the client can simply cancel again. On
 * MongoDB each of these updates is atomic and no such race exists.
 */
export class MongoJobRepository extends JobRepository {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly jobs: Collection<JobDocument>;
  private readonly claims: ClaimLedger;
  private readonly idempotency: IdempotencyStore;

  constructor(options: MongoJobRepositoryOptions) {
    super();
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = createMongoClient(options.url);
      this.ownsClient = true;
    }
    const db = this.client.db(options.dbName);
    this.jobs = db.collection<JobDocument>(options.collection);
    this.claims = new ClaimLedger(db, `${options.collection}_claims`);
    this.idempotency = new IdempotencyStore(db, `${options.collection}_idempotency`);
  }

  async init(): Promise<void> {
    await guarded('index creation', async () => {
      // One index per command: FerretDB v1 drops the connection when a single
      // createIndexes names two or more indexes that already exist.
      await this.jobs.createIndex({ created_at: -1, _id: -1 }, { name: 'by_created' });
      await this.jobs.createIndex({ status: 1, lease_expires_at: 1 }, { name: 'by_status_lease' });
      // An owner's listing, newest first; jobs without an owner are indexed under null, harmlessly.
      await this.jobs.createIndex({ owner: 1, created_at: -1, _id: -1 }, { name: 'by_owner' });
      await this.jobs.createIndex({ owner: 1, status: 1 }, { name: 'by_owner_status' });
      await this.createListFilterIndexes();
      // Result reuse: one reuse key's jobs, newest first (findReusable, findByReuseKey).
      await this.jobs.createIndex({ reuse_key: 1, created_at: -1, _id: -1 }, { name: 'by_reuse_key' });
      // Retention (findExpirable): finished jobs neither expired nor deleted (both null in the index), oldest first.
      await this.jobs.createIndex({ expired_at: 1, deleted_at: 1, completed_at: 1, _id: 1 }, { name: 'by_retention' });
      await this.createPurgeIndex();
      await this.createDeadLetterIndex();
      await this.claims.init();
      await this.idempotency.init();
    });
  }

  async ping(): Promise<void> {
    await guarded('ping', async () => {
      await this.client.db('admin').command({ ping: 1 });
    });
  }

  async close(): Promise<void> {
    if (this.ownsClient) await guarded('close', async () => this.client.close());
  }

  async create(job: NewJob): Promise<Job> {
    const record = newJobRecord(job);
    try {
      await this.jobs.insertOne({
        _id: record.job_id,
        ...record,
        ...(job.recordExpiresAt === undefined ? {} : { purge_at: job.recordExpiresAt }),
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('INTERNAL', `job ${job.job_id} already exists`);
      throw toDatabaseError(error, 'insert');
    }
    return record;
  }

  async get(jobId: string): Promise<Job | null> {
    const document = await this.read(jobId);
    return document ? toJob(document) : null;
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, query.owner);
    // No job has an empty owner (create refuses one).
    if (query.owner === '') return { jobs: [], count: 0 };
    const scope = listFilter(query);
    const filter: Filter<JobDocument> = after
      ? {
          ...scope,
          $or: [
            { created_at: { $lt: after.created_at } },
            { created_at: after.created_at, _id: { $lt: after.job_id } },
          ],
        }
      : scope;
    const [documents, count] = await guarded('list', async () =>
      Promise.all([
        this.jobs
          .find(filter)
          .sort({ created_at: -1, _id: -1 })
          .skip(after ? 0 : query.skip)
          // One extra document tells whether another page follows.
          .limit(query.limit + 1)
          .toArray(),
        this.jobs.countDocuments(scope),
      ]),
    );
    const jobs = documents.slice(0, query.limit).map(toJob);
    const last = jobs.at(-1);
    const more = documents.length > query.limit && last !== undefined;
    return {
      jobs,
      count,
      ...(more ? { next_cursor: encodeListCursor(last, query.owner) } : {}),
    };
  }

  async countActive(owner: string): Promise<number> {
    if (owner === '') return 0;
    return guarded('active count', async () =>
      this.jobs.countDocuments({ owner, status: { $in: [...ACTIVE_STATUSES] } }),
    );
  }

  async claim(request: ClaimRequest): Promise<Job | null> {
    const current = await this.read(request.jobId);
    if (!current || !isClaimable(toJob(current), request.now)) return null;
    const now = request.now.toISOString();
    const lease = leaseUntil(request.now, request.leaseMs);
    const generation = current.claim_generation ?? 0;
    const attempt = await guarded('claim', async () =>
      this.claims.reserve({
        jobId: request.jobId,
        attemptsSeen: current.attempts,
        generation,
        workerId: request.workerId,
        now: request.now,
        leaseExpiresAt: lease,
      }),
    );
    if (attempt === null) return null;
    const update: UpdateFilter<JobDocument> = {
      $set: {
        status: 'processing',
        worker_id: request.workerId,
        lease_expires_at: lease,
        started_at: now,
        updated_at: now,
        progress: 0,
        attempts: attempt,
      },
      $unset: { speed: '', eta_seconds: '', retry_at: '', needs_publish: '' },
      $push: { history: historyEntry({ status: 'processing', at: now, worker_id: request.workerId, attempt }) },
    };
    const claimed = await guarded('claim', async () =>
      this.jobs.findOneAndUpdate(
        {
          _id: request.jobId,
          // Unchanged since it was read: the attempt number reserved above is then the true next one.
          attempts: current.attempts,
          claim_generation: generation === 0 ? { $exists: false } : generation,
          $or: [
            { status: 'queued', $or: [{ retry_at: { $exists: false } }, { retry_at: { $lte: now } }] },
            { status: 'processing', lease_expires_at: { $lt: now } },
          ],
        },
        update,
        { returnDocument: 'after' },
      ),
    );
    if (!claimed) {
      await guarded('claim', async () => this.claims.forfeit(request.jobId, generation, attempt));
      return null;
    }
    return toJob(claimed);
  }

  async updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean> {
    return this.updateWhere(notCancelled(owned(jobId, workerId)), 'progress update', {
      // A speed or ETA the caller no longer knows is dropped rather than left stale.
      ...setAndUnset(
        {
          progress: update.progress,
          speed: update.speed,
          eta_seconds: update.eta_seconds,
          lease_expires_at: update.leaseExpiresAt.toISOString(),
          updated_at: new Date().toISOString(),
        },
        [
          ...(update.speed === undefined ? ['speed' as const] : []),
          ...(update.eta_seconds === undefined ? ['eta_seconds' as const] : []),
        ],
      ),
    });
  }

  async complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean> {
    const now = update.now.toISOString();
    return this.updateWhere(notCancelled(owned(jobId, workerId)), 'completion', {
      ...setAndUnset(
        {
          status: 'completed',
          progress: 100,
          outputs: update.outputs,
          output_path: update.output_path,
          log_path: update.log_path,
          completed_at: now,
          updated_at: now,
          ...(update.recordExpiresAt === undefined ? {} : { purge_at: update.recordExpiresAt }),
          ...(hasWarnings(update) ? { warnings: update.warnings } : {}),
        },
        ['speed', 'eta_seconds', 'lease_expires_at', 'error', ...(hasWarnings(update) ? [] : ['warnings' as const])],
      ),
      $push: { history: historyEntry({ status: 'completed', at: now, worker_id: workerId }) },
    });
  }

  async fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean> {
    const now = update.now.toISOString();
    return this.updateWhere(owned(jobId, workerId), 'failure', {
      ...setAndUnset(
        {
          status: 'failed',
          error: { code: update.error.code, message: update.error.message },
          log_path: update.log_path,
          completed_at: now,
          updated_at: now,
          dead_lettered_at: update.deadLetter ? now : undefined,
        },
        ['speed', 'eta_seconds', 'lease_expires_at', 'cancel_requested', ...deadLetterUnset(update.deadLetter)],
      ),
      $push: {
        history: historyEntry({ status: 'failed', at: now, worker_id: workerId, note: update.error.code }),
      },
    });
  }

  async release(jobId: string, workerId: string, now: Date, note: string, retryAt?: Date): Promise<boolean> {
    const at = now.toISOString();
    const retry = retryAt?.toISOString();
    const released = await this.updateWhere(notCancelled(owned(jobId, workerId)), 'release', {
      ...setAndUnset({ status: 'queued', progress: 0, updated_at: at, retry_at: retry }, [
        'worker_id',
        'lease_expires_at',
        'speed',
        'eta_seconds',
        ...(retry === undefined ? (['retry_at'] as const) : []),
      ]),
      $push: { history: historyEntry({ status: 'queued', at, worker_id: workerId, note }) },
    });
    if (released) return true;
    // A cancel was requested: the job is handed back for good.
    return this.updateWhere(
      { ...owned(jobId, workerId), cancel_requested: true },
      'release',
      cancellation(at, workerId, `cancelled on release: ${note}`),
    );
  }

  async findRecoverable(now: Date, limit: number): Promise<Job[]> {
    const at = now.toISOString();
    // Most urgent first, so a long backlog of ordinary queued jobs cannot starve the rest (see the port).
    const tiers: { filter: Filter<JobDocument>; sort: Sort }[] = [
      { filter: { status: 'processing', lease_expires_at: { $lt: at } }, sort: { lease_expires_at: 1, _id: 1 } },
      {
        filter: { status: 'queued', $or: [{ needs_publish: true }, { retry_at: { $lte: at } }] },
        sort: { needs_publish: -1, retry_at: 1, updated_at: 1, _id: 1 },
      },
      {
        filter: { status: 'queued', needs_publish: { $ne: true }, retry_at: { $exists: false } },
        sort: { updated_at: 1, _id: 1 },
      },
      {
        filter: { status: 'queued', needs_publish: { $ne: true }, retry_at: { $gt: at } },
        sort: { retry_at: 1, _id: 1 },
      },
    ];
    const found: JobDocument[] = [];
    for (const tier of tiers) {
      const wanted = limit - found.length;
      // limit(0) would mean no limit at all.
      if (wanted <= 0) break;
      found.push(
        ...(await guarded('recovery scan', async () =>
          this.jobs.find(tier.filter).sort(tier.sort).limit(wanted).toArray(),
        )),
      );
    }
    return found.map(toJob);
  }

  async requestCancel(jobId: string, now: Date): Promise<Job | null> {
    const at = now.toISOString();
    // Read, then write conditionally on what was read; when the job moved on in between, look again.
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const job = await this.get(jobId);
      if (!job || isTerminal(job.status) || job.cancel_requested === true) return job;
      const changed = await guarded('cancellation', async () =>
        job.status === 'queued'
          ? this.jobs.findOneAndUpdate(
              { _id: jobId, status: 'queued' },
              cancellation(at, undefined, 'cancel requested'),
              { returnDocument: 'after' },
            )
          : this.jobs.findOneAndUpdate(
              { _id: jobId, status: 'processing' },
              { $set: { cancel_requested: true, updated_at: at } },
              { returnDocument: 'after' },
            ),
      );
      if (changed) return toJob(changed);
    }
    throw new AppError('DATABASE_ERROR', `job ${jobId} kept changing while it was being cancelled`);
  }

  async markCancelled(jobId: string, workerId: string, now: Date): Promise<boolean> {
    return this.updateWhere(
      owned(jobId, workerId),
      'cancellation',
      cancellation(now.toISOString(), workerId, 'cancel acknowledged by the worker'),
    );
  }

  async requeue(jobId: string, now: Date, note: string): Promise<Job | null> {
    const at = now.toISOString();
    const reset = setAndUnset({ status: 'queued', attempts: 0, progress: 0, outputs: [], updated_at: at }, [
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
    ]);
    const requeued = await guarded('requeue', async () =>
      this.jobs.findOneAndUpdate(
        { _id: jobId, status: { $in: ['failed', 'cancelled'] } },
        {
          $set: reset.$set,
          // A purge time set when an earlier run expired must not delete the record of this new run.
          $unset: { ...reset.$unset, purge_at: '' },
          // Attempts start at 0 again; the claim ledger keys this new life apart from the last.
          $inc: { claim_generation: 1 },
          $push: { history: historyEntry({ status: 'queued', at, note }) },
        },
        { returnDocument: 'after' },
      ),
    );
    return requeued ? toJob(requeued) : null;
  }

  async markDeleted(jobId: string, now: Date, recordExpiresAt?: Date): Promise<Job | null> {
    const at = now.toISOString();
    const marked = await guarded('deletion', async () =>
      this.jobs.findOneAndUpdate(
        { _id: jobId, deleted_at: { $exists: false } },
        {
          $set: {
            deleted_at: at,
            updated_at: at,
            ...(recordExpiresAt === undefined ? {} : { purge_at: recordExpiresAt }),
          },
        },
        { returnDocument: 'after' },
      ),
    );
    // Already deleted (or unknown): deleting again changes nothing.
    return marked ? toJob(marked) : this.get(jobId);
  }

  async markExpired(jobId: string, now: Date, recordExpiresAt?: Date): Promise<boolean> {
    const at = now.toISOString();
    return this.updateWhere(
      {
        _id: jobId,
        status: { $in: [...TERMINAL_STATUSES] },
        expired_at: { $exists: false },
        deleted_at: { $exists: false },
      },
      'expiry',
      {
        $set: {
          expired_at: at,
          updated_at: at,
          ...(recordExpiresAt === undefined ? {} : { purge_at: recordExpiresAt }),
        },
      },
    );
  }

  async findExpirable(finishedBefore: Date, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const documents = await guarded('retention scan', async () =>
      this.jobs
        // Missing fields are indexed as null, so by_retention bounds this to the unexpired, undeleted jobs.
        .find({
          expired_at: { $exists: false },
          deleted_at: { $exists: false },
          completed_at: { $lt: finishedBefore.toISOString() },
          status: { $in: [...TERMINAL_STATUSES] },
        })
        .sort({ completed_at: 1, _id: 1 })
        .limit(limit)
        .toArray(),
    );
    return documents.map(toJob);
  }

  async findReusable(reuseKey: string): Promise<Job | null> {
    const document = await guarded('reuse lookup', async () =>
      this.jobs.findOne(
        { reuse_key: reuseKey, status: 'completed', expired_at: { $exists: false }, deleted_at: { $exists: false } },
        { sort: { created_at: -1, _id: -1 } },
      ),
    );
    return document ? toJob(document) : null;
  }

  async findByReuseKey(reuseKey: string, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const documents = await guarded('reuse lookup', async () =>
      this.jobs
        .find({ reuse_key: reuseKey, deleted_at: { $exists: false } })
        .sort({ created_at: -1, _id: -1 })
        .limit(limit)
        .toArray(),
    );
    return documents.map(toJob);
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const after = query.cursor === undefined ? undefined : decodeDeadLetterCursor(query.cursor);
    const filter: Filter<JobDocument> = after
      ? {
          dead_lettered_at: { $exists: true },
          $or: [
            { dead_lettered_at: { $lt: after.dead_lettered_at } },
            { dead_lettered_at: after.dead_lettered_at, _id: { $lt: after.job_id } },
          ],
        }
      : { dead_lettered_at: { $exists: true } };
    const documents = await guarded('dead-letter listing', async () =>
      this.jobs
        .find(filter)
        .sort({ dead_lettered_at: -1, _id: -1 })
        .limit(query.limit + 1)
        .toArray(),
    );
    return deadLetterPage(documents.map(toJob), query.limit);
  }

  async setNeedsPublish(jobId: string, needsPublish: boolean, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return this.updateWhere(
      { _id: jobId, status: 'queued' },
      'publish flag',
      needsPublish
        ? { $set: { needs_publish: true, updated_at: at } }
        : { $set: { updated_at: at }, $unset: { needs_publish: '' } },
    );
  }

  async takeForRepublish(jobId: string, seenUpdatedAt: string, now: Date): Promise<boolean> {
    return this.updateWhere({ _id: jobId, status: 'queued', updated_at: seenUpdatedAt }, 'republish', {
      $set: { updated_at: now.toISOString() },
      $unset: { needs_publish: '', retry_at: '' },
    });
  }

  async reserveIdempotencyKey(input: IdempotencyReservation): Promise<IdempotencyRecord | null> {
    return guarded('idempotency reservation', async () => this.idempotency.reserve(input));
  }

  /**
   * Only dead-lettered jobs belong in this index. FerretDB v1 has no partial
   * indexes, so there it indexes every job, which still serves the listing.
   */
  private async createDeadLetterIndex(): Promise<void> {
    const keys = { dead_lettered_at: -1, _id: -1 } as const;
    try {
      await this.jobs.createIndex(keys, {
        name: 'by_dead_letter',
        partialFilterExpression: { dead_lettered_at: { $exists: true } },
      });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      await this.jobs.createIndex(keys, { name: 'by_dead_letter' });
    }
  }

  /**
   * One index per combination of list filters, each ending in the listing's
   * sort (created_at, _id descending), so a filtered page is an index range:
   * - status: by_status_created; method_name: by_method_created; both:
   *   by_status_method_created;
   * - the same with an owner (every non-admin listing): by_owner_status_created,
   *   by_owner_method_created, by_owner_status_method_created;
   * - no filter but dates: by_created, or by_owner with an owner.
   * created_after/created_before bound the created_at part of whichever is used.
   */
  private async createListFilterIndexes(): Promise<void> {
    const newestFirst = { created_at: -1, _id: -1 } as const;
    await this.jobs.createIndex({ status: 1, ...newestFirst }, { name: 'by_status_created' });
    await this.jobs.createIndex({ method_name: 1, ...newestFirst }, { name: 'by_method_created' });
    await this.jobs.createIndex({ status: 1, method_name: 1, ...newestFirst }, { name: 'by_status_method_created' });
    await this.jobs.createIndex({ owner: 1, status: 1, ...newestFirst }, { name: 'by_owner_status_created' });
    await this.jobs.createIndex({ owner: 1, method_name: 1, ...newestFirst }, { name: 'by_owner_method_created' });
    await this.jobs.createIndex(
      { owner: 1, status: 1, method_name: 1, ...newestFirst },
      { name: 'by_owner_status_method_created' },
    );
  }

  /**
   * MongoDB deletes a record once its `purge_at` (a BSON date) has passed: a
   * tombstone some time after deletion or expiry, a completed job some time
   * after its retention (see the retention sweep, which normally acts first).
   * FerretDB may refuse or ignore TTL indexes; the sweep is the guarantee,
   * so a refusal is not fatal.
   */
  private async createPurgeIndex(): Promise<void> {
    try {
      await this.jobs.createIndex({ purge_at: 1 }, { name: 'by_purge', expireAfterSeconds: 0 });
    } catch (error) {
      if (!(error instanceof MongoServerError)) throw error;
    }
  }

  private async read(jobId: string): Promise<JobDocument | null> {
    return guarded('read', async () => this.jobs.findOne({ _id: jobId }));
  }

  private async updateWhere(
    filter: Filter<JobDocument>,
    action: string,
    update: UpdateFilter<JobDocument>,
  ): Promise<boolean> {
    const result = await guarded(action, async () => this.jobs.updateOne(filter, update));
    return result.matchedCount === 1;
  }
}

/** What a listing matches: owner, filters and date range; never a deleted job. */
function listFilter(query: ListJobsQuery): Filter<JobDocument> {
  const created = {
    ...(query.created_after === undefined ? {} : { $gte: query.created_after }),
    ...(query.created_before === undefined ? {} : { $lt: query.created_before }),
  };
  return {
    ...(query.owner === undefined ? {} : { owner: query.owner }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.method_name === undefined ? {} : { method_name: query.method_name }),
    ...(Object.keys(created).length === 0 ? {} : { created_at: created }),
    deleted_at: { $exists: false },
  };
}

function owned(jobId: string, workerId: string): Filter<JobDocument> {
  return { _id: jobId, status: 'processing', worker_id: workerId };
}

function notCancelled(filter: Filter<JobDocument>): Filter<JobDocument> {
  return { ...filter, cancel_requested: { $ne: true } };
}

function deadLetterUnset(deadLetter: boolean | undefined): OptionalField[] {
  return deadLetter ? [] : ['dead_lettered_at'];
}

/** A transition to `cancelled`, which clears what only a live job has. */
function cancellation(at: string, workerId: string | undefined, note: string): UpdateFilter<JobDocument> {
  return {
    ...setAndUnset({ status: 'cancelled', completed_at: at, updated_at: at }, [
      'worker_id',
      'lease_expires_at',
      'speed',
      'eta_seconds',
      'cancel_requested',
      'retry_at',
      'needs_publish',
    ]),
    $push: { history: historyEntry({ status: 'cancelled', at, worker_id: workerId, note }) },
  };
}

/**
 * $set for the given fields and $unset for the named ones. Undefined fields
 * are left out of $set, so an optional value not given is simply not written.
 */
function setAndUnset(
  fields: Partial<Job>,
  unset: readonly OptionalField[] = [],
): Pick<UpdateFilter<JobDocument>, '$set' | '$unset'> {
  const $set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<Job>;
  if (unset.length === 0) return { $set };
  return { $set, $unset: Object.fromEntries(unset.map((field) => [field, ''])) };
}

function toJob(document: JobDocument): Job {
  const job: Partial<JobDocument> = { ...document };
  delete job._id;
  delete job.claim_generation;
  delete job.purge_at;
  return job as Job;
}
