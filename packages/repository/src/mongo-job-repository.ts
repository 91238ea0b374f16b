import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type { Collection, Filter, IndexDescription, MongoClient, Sort, UpdateFilter, WriteError } from 'mongodb';
import { AppError, isTerminal, TERMINAL_STATUSES } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { deadLetterPage, decodeDeadLetterCursor, decodeListCursor, encodeListCursor } from './cursor';
import { guarded, toDatabaseError } from './database-error';
import { backfillActiveOwners } from './mongo-active-owner-backfill';
import { ClaimLedger, isDuplicateKey } from './mongo-claim-ledger';
import { mongoClientFor } from './mongo-client';
import type { MongoConnection } from './mongo-client';
import { IdempotencyStore } from './mongo-idempotency-store';
import { toJob, toMongoDocument, toMongoFilter, toMongoUpdate } from './mongo-translate';
import type { JobDocument } from './mongo-translate';
import { isClaimable, leaseUntil } from './job-records';
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
  StepCompletionUpdate,
} from './job-repository';
import * as transitions from './job-transitions';
import type { JobRecord, Transition } from './job-transitions';
import { requireMongoIndexes, schemaMissing } from './schema';
import type { DatabaseCompat } from './schema';

const NOT_IMPLEMENTED = 238;
// Read-then-write transitions start over when the job changed in between; more rounds than this means a storm.
const MAX_ROUNDS = 5;

export type MongoJobRepositoryOptions = {
  dbName: string;
  collection: string;
  /**
   * DATABASE_COMPAT. `ferretdb-v1`: claims go through the claim ledger, init()
   * creates one index per command without partial or TTL options, and expired
   * idempotency keys are purged by the adapter. Anything else (default
   * `none`): real MongoDB, none of that.
   */
  compat?: DatabaseCompat;
} & MongoConnection;

const NEWEST_FIRST = { created_at: -1, _id: -1 } as const;

/**
 * Every index of the jobs collection. `partial` and `ttl` are what real
 * MongoDB gets; FerretDB v1 has neither, so there the partial indexes cover
 * every job and the TTL index is not created (see init()).
 */
const JOB_INDEXES: readonly IndexDescription[] = [
  { key: NEWEST_FIRST, name: 'by_created' },
  { key: { status: 1, lease_expires_at: 1 }, name: 'by_status_lease' },
  // An owner's listing, newest first; jobs without an owner are indexed under null, harmlessly.
  { key: { owner: 1, ...NEWEST_FIRST }, name: 'by_owner' },
  { key: { owner: 1, status: 1 }, name: 'by_owner_status' },
  // One index per combination of list filters, each ending in the listing's sort (see listFilter()):
  // status, method_name, both; the same with an owner (every non-admin listing). created_after and
  // created_before bound the created_at part of whichever is used.
  { key: { status: 1, ...NEWEST_FIRST }, name: 'by_status_created' },
  { key: { method_name: 1, ...NEWEST_FIRST }, name: 'by_method_created' },
  { key: { status: 1, method_name: 1, ...NEWEST_FIRST }, name: 'by_status_method_created' },
  { key: { owner: 1, status: 1, ...NEWEST_FIRST }, name: 'by_owner_status_created' },
  { key: { owner: 1, method_name: 1, ...NEWEST_FIRST }, name: 'by_owner_method_created' },
  { key: { owner: 1, status: 1, method_name: 1, ...NEWEST_FIRST }, name: 'by_owner_status_method_created' },
  // Result reuse: one reuse key's jobs, newest first (findReusable, findByReuseKey).
  { key: { reuse_key: 1, ...NEWEST_FIRST }, name: 'by_reuse_key' },
  // Retention (findExpirable): finished jobs neither expired nor deleted (both null in the index), oldest first.
  { key: { expired_at: 1, deleted_at: 1, completed_at: 1, _id: 1 }, name: 'by_retention' },
  // MongoDB deletes a record once its `purge_at` (a BSON date) has passed: a tombstone some time after
  // deletion or expiry, a completed job some time after its retention (the retention sweep normally acts first).
  { key: { purge_at: 1 }, name: 'by_purge', expireAfterSeconds: 0 },
  // Only dead-lettered jobs.
  {
    key: { dead_lettered_at: -1, _id: -1 },
    name: 'by_dead_letter',
    partialFilterExpression: { dead_lettered_at: { $exists: true } },
  },
  // countActive(): only records with `active_owner`, i.e. queued and processing jobs.
  {
    key: { active_owner: 1, status: 1 },
    name: 'by_active_owner',
    partialFilterExpression: { active_owner: { $exists: true } },
  },
];
// FerretDB v1 may refuse the TTL index; there the retention sweep is the guarantee.
const OPTIONAL_ON_FERRETDB = new Set(['by_purge']);

/**
 * MongoDB adapter. Every transition (job-transitions.ts) is translated
 * (mongo-translate.ts) into one conditional findOneAndUpdate or updateOne
 * whose filter carries the ownership condition, so the database decides who
 * wins a race; on real MongoDB (compat `none`) that includes claims. With
 * compat `ferretdb-v1`, claims are additionally arbitrated by a claim
 * ledger (see ClaimLedger) because FerretDB v1 does not apply update filters
 * atomically; on that server the other transitions stay last-writer-wins
 * when they race a takeover, which MongoDB itself rules out.
 *
 * FerretDB v1 also writes an update back as the whole document it read, so
 * there a cancel (requestCancel) racing another write to the same job can be
 * overwritten: a progress update read just before the cancel request was
 * stored puts the job back without `cancel_requested`, and a claim read just
 * before a queued job was cancelled puts it back to `processing`. So in that
 * mode a cancel is also recorded in the ledger, which every progress write,
 * completion and release checks first (see cancelRecorded). What remains is
 * the few milliseconds between a completion's check and its write. On
 * MongoDB each of these updates is atomic and no such race exists.
 */
export class MongoJobRepository extends JobRepository {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly jobs: Collection<JobDocument>;
  /** FerretDB v1 only (see ClaimLedger); real MongoDB claims with one conditional update. */
  private readonly claims: ClaimLedger | undefined;
  private readonly idempotency: IdempotencyStore;
  private readonly compat: 'none' | 'ferretdb-v1';

  constructor(options: MongoJobRepositoryOptions) {
    super();
    const connection = mongoClientFor(options);
    this.client = connection.client;
    this.ownsClient = connection.owned;
    const db = this.client.db(options.dbName);
    this.compat = options.compat === 'ferretdb-v1' ? 'ferretdb-v1' : 'none';
    this.jobs = db.collection<JobDocument>(options.collection);
    this.claims = this.compat === 'ferretdb-v1' ? new ClaimLedger(db, `${options.collection}_claims`) : undefined;
    this.idempotency = new IdempotencyStore(db, `${options.collection}_idempotency`, {
      ttlIndexes: this.compat !== 'ferretdb-v1',
    });
  }

  /** The migration: creates the collections' indexes, then backfills `active_owner` (see backfillActiveOwners). */
  async init(): Promise<void> {
    await guarded('index creation', async () => {
      if (this.compat === 'ferretdb-v1') {
        await this.createIndexesOneByOne();
        await this.claims?.init();
      } else {
        // Real MongoDB: one command, partial and TTL indexes as declared.
        await this.jobs.createIndexes([...JOB_INDEXES]);
      }
      await this.idempotency.init();
    });
    await guarded('active-owner backfill', async () => backfillActiveOwners(this.jobs));
  }

  /** Throws (naming what is missing) unless init() has created every index this compat mode expects. */
  async checkSchema(): Promise<void> {
    await guarded('schema check', async () => {
      const expected = JOB_INDEXES.flatMap((index) =>
        index.name === undefined || (this.compat === 'ferretdb-v1' && OPTIONAL_ON_FERRETDB.has(index.name))
          ? []
          : [index.name],
      );
      await requireMongoIndexes(this.jobs, expected);
      await this.idempotency.checkSchema();
      if (this.claims && !(await this.claims.exists())) {
        throw schemaMissing(`database ${this.jobs.dbName}`, [`collection ${this.claims.collectionName}`]);
      }
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
    const transition = transitions.createJob(job);
    try {
      await this.jobs.insertOne(toMongoDocument(job.job_id, transition));
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('INTERNAL', `job ${job.job_id} already exists`);
      throw toDatabaseError(error, 'insert');
    }
    return transitions.jobOf(transition.set as JobRecord);
  }

  /**
   * One unordered insertMany. Ids are fresh UUIDs, so a duplicate is a bug:
   * the call then fails naming the jobs that already existed (the others are stored).
   */
  async createMany(jobs: NewJob[]): Promise<Job[]> {
    if (jobs.length === 0) return [];
    assertDistinctIds(jobs);
    const created = jobs.map(transitions.createJob);
    try {
      await this.jobs.insertMany(
        created.map((transition, index) => toMongoDocument(jobs[index]?.job_id ?? '', transition)),
        { ordered: false },
      );
    } catch (error) {
      const duplicates = duplicateIds(error, jobs);
      if (duplicates.length > 0) throw new AppError('INTERNAL', `jobs ${duplicates.join(', ')} already exist`);
      throw toDatabaseError(error, 'insert');
    }
    return created.map((transition) => transitions.jobOf(transition.set as JobRecord));
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

  /** Reads `by_active_owner`, which holds only queued and processing jobs (see JobRecord.active_owner). */
  async countActive(owner: string): Promise<number> {
    if (owner === '') return 0;
    return guarded('active count', async () =>
      // The status is belt and braces, as on DynamoDB.
      this.jobs.countDocuments({ active_owner: owner, status: { $in: [...ACTIVE_STATUSES] } }),
    );
  }

  async claim(request: ClaimRequest): Promise<Job | null> {
    const current = await this.read(request.jobId);
    if (!current) return null;
    const job = toJob(current);
    if (!isClaimable(job, request.now)) return null;
    // Real MongoDB applies the claim's condition (status, lease, attempts) atomically: one update decides.
    const claims = this.claims;
    if (!claims) return this.findAndUpdate(request.jobId, transitions.claim(job, request), 'claim');
    const generation = current.claim_generation ?? 0;
    // FerretDB v1 workaround (see ClaimLedger): the ledger decides which claimer gets the next attempt.
    const attempt = await guarded('claim', async () =>
      claims.reserve({
        jobId: request.jobId,
        attemptsSeen: current.attempts,
        generation,
        workerId: request.workerId,
        now: request.now,
        leaseExpiresAt: leaseUntil(request.now, request.leaseMs),
      }),
    );
    if (attempt === null) return null;
    const claimed = await this.findAndUpdate(request.jobId, transitions.claim(job, request, attempt), 'claim', {
      // The ledger's generation must still hold, so the attempt reserved above is the true next one.
      claim_generation: generation === 0 ? { $exists: false } : generation,
    });
    if (!claimed) await guarded('claim', async () => claims.forfeit(request.jobId, generation, attempt));
    return claimed;
  }

  async updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean> {
    if (await this.cancelRecorded(jobId)) return false;
    return this.updateWhere(jobId, transitions.updateProgress(workerId, update), 'progress update');
  }

  async completeStep(jobId: string, workerId: string, update: StepCompletionUpdate): Promise<boolean> {
    return this.updateWhere(jobId, transitions.completeStep(workerId, update), 'step checkpoint');
  }

  async complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean> {
    if (await this.cancelRecorded(jobId)) return false;
    return this.ended(jobId, await this.updateWhere(jobId, transitions.complete(workerId, update), 'completion'));
  }

  async fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean> {
    return this.ended(jobId, await this.updateWhere(jobId, transitions.fail(workerId, update), 'failure'));
  }

  async release(jobId: string, workerId: string, now: Date, note: string, retryAt?: Date): Promise<boolean> {
    if (
      !(await this.cancelRecorded(jobId)) &&
      (await this.updateWhere(jobId, transitions.release(workerId, now, note, retryAt), 'release'))
    ) {
      return true;
    }
    // A cancel was requested: the job is handed back for good.
    return this.ended(
      jobId,
      await this.updateWhere(jobId, transitions.cancelOnRelease(workerId, now, note), 'release'),
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
    const claims = this.claims;
    if (claims) {
      // FerretDB v1: recorded where no concurrent update can overwrite it (see ClaimLedger.recordCancel).
      const job = await this.get(jobId);
      if (!job || isTerminal(job.status)) return job;
      await guarded('cancellation', async () => claims.recordCancel(jobId, now));
    }
    // Read, then write conditionally on what was read; when the job moved on in between, look again.
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const job = await this.get(jobId);
      if (!job || isTerminal(job.status) || job.cancel_requested === true) return job;
      const transition = job.status === 'queued' ? transitions.cancelQueued(now) : transitions.requestCancel(now);
      const changed = await this.findAndUpdate(jobId, transition, 'cancellation');
      if (changed) return changed;
    }
    throw new AppError('DATABASE_ERROR', `job ${jobId} kept changing while it was being cancelled`);
  }

  async markCancelled(jobId: string, workerId: string, now: Date, logPath?: string): Promise<boolean> {
    return this.ended(
      jobId,
      await this.updateWhere(jobId, transitions.markCancelled(workerId, now, logPath), 'cancellation'),
    );
  }

  async requeue(jobId: string, now: Date, note: string): Promise<Job | null> {
    // Read first for the owner, which the job becomes active for again; an owner never changes.
    const current = await this.get(jobId);
    if (!current || (current.status !== 'failed' && current.status !== 'cancelled')) return null;
    // The cancel that ended the last life must not stop the next one.
    const claims = this.claims;
    if (claims) await guarded('requeue', async () => claims.clearCancel(jobId));
    // Attempts start at 0 again; the claim ledger keys this new life apart from the last.
    return this.findAndUpdate(jobId, transitions.requeue(current, now, note), 'requeue', undefined, {
      $inc: { claim_generation: 1 },
    });
  }

  async markDeleted(jobId: string, now: Date, recordExpiresAt?: Date): Promise<Job | null> {
    const marked = await this.findAndUpdate(jobId, transitions.markDeleted(now, recordExpiresAt), 'deletion');
    // Already deleted (or unknown): deleting again changes nothing.
    return marked ?? this.get(jobId);
  }

  async markExpired(jobId: string, now: Date, recordExpiresAt?: Date): Promise<boolean> {
    return this.updateWhere(jobId, transitions.markExpired(now, recordExpiresAt), 'expiry');
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

  async findFinishedBetween(from: Date, to: Date, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const documents = await guarded('finished jobs scan', async () =>
      this.jobs
        // The retention query with a lower bound: by_retention serves both.
        .find({
          expired_at: { $exists: false },
          deleted_at: { $exists: false },
          completed_at: { $gte: from.toISOString(), $lt: to.toISOString() },
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
    // Conditional on the retry_at read, like DynamoDB's (see transitions.setNeedsPublish).
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const job = await this.get(jobId);
      if (!job || job.status !== 'queued') return false;
      if (await this.updateWhere(jobId, transitions.setNeedsPublish(job, needsPublish, now), 'publish flag')) {
        return true;
      }
    }
    throw new AppError('DATABASE_ERROR', `job ${jobId} kept changing while its publish flag was being set`);
  }

  async takeForRepublish(jobId: string, seenUpdatedAt: string, now: Date): Promise<boolean> {
    return this.updateWhere(jobId, transitions.takeForRepublish(seenUpdatedAt, now), 'republish');
  }

  async reserveIdempotencyKey(input: IdempotencyReservation): Promise<IdempotencyRecord | null> {
    return guarded('idempotency reservation', async () => this.idempotency.reserve(input));
  }

  /**
   * FerretDB v1: one index per command, because it drops the connection when
   * a single createIndexes names two or more indexes that already exist. It
   * has no partial indexes, so `by_active_owner` and `by_dead_letter` index
   * every job there (the finished ones under null, so a count still reads
   * only the owner's active jobs, and the listing is still served); it may
   * refuse or ignore the TTL index, which is then left out (the retention
   * sweep is the guarantee).
   */
  private async createIndexesOneByOne(): Promise<void> {
    for (const { key, ...options } of JOB_INDEXES) {
      try {
        await this.jobs.createIndex(key, options);
      } catch (error) {
        if (!(error instanceof MongoServerError)) throw error;
        if (options.expireAfterSeconds !== undefined) continue;
        if (error.code !== NOT_IMPLEMENTED || options.partialFilterExpression === undefined) throw error;
        const whole = { ...options };
        delete whole.partialFilterExpression;
        await this.jobs.createIndex(key, whole);
      }
    }
  }

  private async read(jobId: string): Promise<JobDocument | null> {
    return guarded('read', async () => this.jobs.findOne({ _id: jobId }));
  }

  /**
   * FerretDB v1 only: after a worker ended a job it held (`ok`), its ledger
   * entries are of no further use and go. Best effort: the transition has
   * happened and must not be reported as failed; a leftover entry is only
   * space. (A queued job's cancel keeps its entry: a claim may yet have
   * overwritten it, see recordCancel.)
   */
  private async ended(jobId: string, ok: boolean): Promise<boolean> {
    if (ok && this.claims) await this.claims.forget(jobId).catch(() => undefined);
    return ok;
  }

  /**
   * FerretDB v1 only: whether a cancel of the job was recorded in the ledger.
   * When the job record has lost `cancel_requested` to a concurrent write,
   * it is put back (with the time of the request), so the worker that is
   * refused here learns from get() that the job was cancelled rather than
   * taken over, and can acknowledge it (markCancelled needs the flag).
   * Always false on real MongoDB, where the record's own flag is reliable.
   */
  private async cancelRecorded(jobId: string): Promise<boolean> {
    const claims = this.claims;
    if (!claims) return false;
    const requestedAt = await guarded('cancel check', async () => claims.cancelRequestedAt(jobId));
    if (requestedAt === undefined) return false;
    const repair = transitions.requestCancel(new Date(requestedAt));
    await this.updateWhere(
      jobId,
      { ...repair, condition: { and: [repair.condition, transitions.NO_CANCEL_REQUESTED] } },
      'cancel repair',
    );
    return true;
  }

  /** Runs a transition; whether its condition held. */
  private async updateWhere(jobId: string, transition: Transition, action: string): Promise<boolean> {
    const result = await guarded(action, async () =>
      this.jobs.updateOne(toMongoFilter(jobId, transition.condition), toMongoUpdate(transition)),
    );
    return result.matchedCount === 1;
  }

  /**
   * Runs a transition and returns the job as it now is, or null when its
   * condition did not hold. `filter` and `update` add Mongo-only parts (the
   * claim ledger's generation).
   */
  private async findAndUpdate(
    jobId: string,
    transition: Transition,
    action: string,
    filter: Filter<JobDocument> = {},
    update: UpdateFilter<JobDocument> = {},
  ): Promise<Job | null> {
    const changed = await guarded(action, async () =>
      this.jobs.findOneAndUpdate(
        { ...toMongoFilter(jobId, transition.condition), ...filter },
        { ...toMongoUpdate(transition), ...update },
        { returnDocument: 'after' },
      ),
    );
    return changed ? toJob(changed) : null;
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

function assertDistinctIds(jobs: readonly NewJob[]): void {
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.job_id)) throw new AppError('INTERNAL', `job ${job.job_id} appears twice in one batch`);
    seen.add(job.job_id);
  }
}

/** The ids an insertMany refused as duplicate keys. */
function duplicateIds(error: unknown, jobs: readonly NewJob[]): string[] {
  if (error instanceof MongoBulkWriteError) {
    const errors: WriteError[] = [error.writeErrors].flat();
    return errors.filter((write) => write.code === 11000).map((write) => jobs[write.index]?.job_id ?? '?');
  }
  return isDuplicateKey(error) ? jobs.map((job) => job.job_id) : [];
}
