import { MongoClient } from 'mongodb';
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { AppError } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { decodeListCursor, encodeListCursor } from './cursor';
import { guarded, toDatabaseError } from './database-error';
import { ClaimLedger, isDuplicateKey } from './mongo-claim-ledger';
import { historyEntry, isClaimable, leaseUntil, newJobRecord } from './job-records';
import { JobRepository } from './job-repository';
import type {
  ClaimRequest,
  CompletionUpdate,
  FailureUpdate,
  JobPage,
  ListJobsQuery,
  NewJob,
  ProgressUpdate,
} from './job-repository';

/** Stored shape: the job itself, keyed by its id so lookups need no extra index. */
type JobDocument = Job & { _id: string };

type OptionalField = 'speed' | 'eta_seconds' | 'worker_id' | 'lease_expires_at' | 'log_path' | 'error';

export type MongoJobRepositoryOptions = { dbName: string; collection: string } & (
  { url: string; client?: never } | { client: MongoClient; url?: never }
);

// Fail fast when the server is gone instead of queueing operations for the driver's 30 s default.
const CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  ignoreUndefined: true,
} as const;

/**
 * MongoDB adapter. Every transition is one conditional findOneAndUpdate or
 * updateOne whose filter carries the ownership condition, so the database
 * decides who wins a race. Claims are additionally arbitrated by a claim
 * ledger (see ClaimLedger) because FerretDB v1 does not apply update filters
 * atomically; on that server the other transitions stay last-writer-wins
 * when they race a takeover, which MongoDB itself rules out.
 */
export class MongoJobRepository extends JobRepository {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly jobs: Collection<JobDocument>;
  private readonly claims: ClaimLedger;

  constructor(options: MongoJobRepositoryOptions) {
    super();
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new MongoClient(options.url, CLIENT_OPTIONS);
      this.ownsClient = true;
    }
    const db = this.client.db(options.dbName);
    this.jobs = db.collection<JobDocument>(options.collection);
    this.claims = new ClaimLedger(db, `${options.collection}_claims`);
  }

  async init(): Promise<void> {
    await guarded('index creation', async () => {
      // One index per command: FerretDB v1 drops the connection when a single
      // createIndexes names two or more indexes that already exist.
      await this.jobs.createIndex({ created_at: -1, _id: -1 }, { name: 'by_created' });
      await this.jobs.createIndex({ status: 1, lease_expires_at: 1 }, { name: 'by_status_lease' });
      await this.claims.init();
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
      await this.jobs.insertOne({ _id: record.job_id, ...record });
    } catch (error) {
      if (isDuplicateKey(error)) throw new AppError('INTERNAL', `job ${job.job_id} already exists`);
      throw toDatabaseError(error, 'insert');
    }
    return record;
  }

  async get(jobId: string): Promise<Job | null> {
    const document = await guarded('read', async () => this.jobs.findOne({ _id: jobId }));
    return document ? toJob(document) : null;
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor);
    const filter: Filter<JobDocument> = after
      ? {
          $or: [
            { created_at: { $lt: after.created_at } },
            { created_at: after.created_at, _id: { $lt: after.job_id } },
          ],
        }
      : {};
    const [documents, count] = await guarded('list', async () =>
      Promise.all([
        this.jobs
          .find(filter)
          .sort({ created_at: -1, _id: -1 })
          .skip(after ? 0 : query.skip)
          // One extra document tells whether another page follows.
          .limit(query.limit + 1)
          .toArray(),
        this.jobs.countDocuments({}),
      ]),
    );
    const jobs = documents.slice(0, query.limit).map(toJob);
    const last = jobs.at(-1);
    const more = documents.length > query.limit && last !== undefined;
    return {
      jobs,
      count,
      ...(more ? { next_cursor: encodeListCursor(last) } : {}),
    };
  }

  async claim(request: ClaimRequest): Promise<Job | null> {
    const current = await this.get(request.jobId);
    if (!current || !isClaimable(current, request.now)) return null;
    const now = request.now.toISOString();
    const lease = leaseUntil(request.now, request.leaseMs);
    const attempt = await guarded('claim', async () =>
      this.claims.reserve({
        jobId: request.jobId,
        attemptsSeen: current.attempts,
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
      $unset: { speed: '', eta_seconds: '' },
      $push: { history: historyEntry({ status: 'processing', at: now, worker_id: request.workerId, attempt }) },
    };
    const claimed = await guarded('claim', async () =>
      this.jobs.findOneAndUpdate(
        {
          _id: request.jobId,
          // Unchanged since it was read: the attempt number reserved above is then the true next one.
          attempts: current.attempts,
          $or: [{ status: 'queued' }, { status: 'processing', lease_expires_at: { $lt: now } }],
        },
        update,
        { returnDocument: 'after' },
      ),
    );
    if (!claimed) {
      await guarded('claim', async () => this.claims.forfeit(request.jobId, attempt));
      return null;
    }
    return toJob(claimed);
  }

  async updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean> {
    return this.updateOwned(jobId, workerId, 'progress update', {
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
    return this.updateOwned(jobId, workerId, 'completion', {
      ...setAndUnset(
        {
          status: 'completed',
          progress: 100,
          outputs: update.outputs,
          output_path: update.output_path,
          log_path: update.log_path,
          completed_at: now,
          updated_at: now,
        },
        ['speed', 'eta_seconds', 'lease_expires_at', 'error'],
      ),
      $push: { history: historyEntry({ status: 'completed', at: now, worker_id: workerId }) },
    });
  }

  async fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean> {
    const now = update.now.toISOString();
    return this.updateOwned(jobId, workerId, 'failure', {
      ...setAndUnset(
        {
          status: 'failed',
          error: { code: update.error.code, message: update.error.message },
          log_path: update.log_path,
          completed_at: now,
          updated_at: now,
        },
        ['speed', 'eta_seconds', 'lease_expires_at'],
      ),
      $push: {
        history: historyEntry({ status: 'failed', at: now, worker_id: workerId, note: update.error.code }),
      },
    });
  }

  async release(jobId: string, workerId: string, now: Date, note: string): Promise<boolean> {
    const at = now.toISOString();
    return this.updateOwned(jobId, workerId, 'release', {
      ...setAndUnset({ status: 'queued', progress: 0, updated_at: at }, [
        'worker_id',
        'lease_expires_at',
        'speed',
        'eta_seconds',
      ]),
      $push: { history: historyEntry({ status: 'queued', at, worker_id: workerId, note }) },
    });
  }

  async findRecoverable(now: Date, limit: number): Promise<Job[]> {
    const documents = await guarded('recovery scan', async () =>
      this.jobs
        .find({
          $or: [{ status: 'queued' }, { status: 'processing', lease_expires_at: { $lt: now.toISOString() } }],
        })
        .limit(limit)
        .toArray(),
    );
    return documents.map(toJob);
  }

  private async updateOwned(
    jobId: string,
    workerId: string,
    action: string,
    update: UpdateFilter<JobDocument>,
  ): Promise<boolean> {
    const result = await guarded(action, async () =>
      this.jobs.updateOne({ _id: jobId, status: 'processing', worker_id: workerId }, update),
    );
    return result.matchedCount === 1;
  }
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
  return job as Job;
}
