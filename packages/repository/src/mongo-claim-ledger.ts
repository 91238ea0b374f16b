import { MongoServerError } from 'mongodb';
import type { Collection, Db } from 'mongodb';

interface ClaimEntry {
  /** entryId(): the unique key is what arbitrates a race. */
  _id: string;
  job_id: string;
  generation?: number;
  attempt: number;
  worker_id: string;
  lease_expires_at: string;
  claimed_at: string;
}

/** A cancel request kept apart from the job record, which FerretDB v1 may overwrite; see recordCancel(). */
interface CancelEntry {
  /** cancelId(): one per job; requeue() removes it. */
  _id: string;
  job_id: string;
  requested_at: string;
}

export interface Reservation {
  jobId: string;
  /** The attempt count the job record showed when the claimer read it. */
  attemptsSeen: number;
  /** How often the job was requeued, which starts its attempts at 0 again; see entryId(). */
  generation: number;
  workerId: string;
  now: Date;
  leaseExpiresAt: string;
}

// Each stale entry skipped costs a round trip; more than a few means something else is wrong.
const MAX_STALE_ENTRIES = 5;
const DUPLICATE_KEY = 11000;

/**
 * Decides which claimer gets an attempt by inserting a uniquely keyed entry.
 *
 * A conditional findOneAndUpdate alone is enough on MongoDB, but FerretDB v1
 * (SQLite backend) applies updates as read, modify, then write by _id without
 * re-checking the filter, so several concurrent claimers can all "match". An
 * insert with a duplicate _id fails atomically on every MongoDB-compatible
 * server, so exactly one claimer per attempt gets past here; the job update
 * that follows keeps its own filter for servers where that is atomic.
 */
export class ClaimLedger {
  private readonly entries: Collection<ClaimEntry>;
  private readonly cancels: Collection<CancelEntry>;

  constructor(
    private readonly db: Db,
    private readonly name: string,
  ) {
    this.entries = db.collection<ClaimEntry>(name);
    // Same collection: cancel entries have keys of their own (cancelId) that no claim entry can take.
    this.cancels = db.collection<CancelEntry>(name);
  }

  get collectionName(): string {
    return this.name;
  }

  /** Whether init() has created the ledger's collection. */
  async exists(): Promise<boolean> {
    const found = await this.db.listCollections({ name: this.name }, { nameOnly: true }).toArray();
    return found.length > 0;
  }

  async init(): Promise<void> {
    try {
      await this.db.createCollection(this.name);
    } catch (error) {
      // 48 NamespaceExists: another process (or an earlier start) created it.
      if (!(error instanceof MongoServerError && error.code === 48)) throw error;
    }
    // forget() deletes a job's entries by job_id; without it each would scan the ledger.
    await this.entries.createIndex({ job_id: 1 }, { name: 'by_job' });
  }

  /**
   * Deletes every entry of a job that has ended: its claims (a requeue
   * starts a new generation whose keys differ) and its cancel request (the
   * job is no longer running). Without this the ledger grows by an entry per
   * attempt for ever.
   */
  async forget(jobId: string): Promise<void> {
    await this.entries.deleteMany({ job_id: jobId });
  }

  /**
   * Returns the attempt number this claimer won, or null when another claimer
   * holds the next attempt. An entry whose lease has run out without its claim
   * reaching the job (the claimer lost the job update or died in between) is
   * skipped, so it cannot block the job forever.
   */
  async reserve(request: Reservation): Promise<number | null> {
    const now = request.now.toISOString();
    for (let attempt = request.attemptsSeen + 1; attempt <= request.attemptsSeen + MAX_STALE_ENTRIES; attempt += 1) {
      const _id = entryId(request.jobId, request.generation, attempt);
      try {
        await this.entries.insertOne({
          _id,
          job_id: request.jobId,
          ...(request.generation === 0 ? {} : { generation: request.generation }),
          attempt,
          worker_id: request.workerId,
          lease_expires_at: request.leaseExpiresAt,
          claimed_at: now,
        });
        return attempt;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const holder = await this.entries.findOne({ _id });
      if (holder && holder.lease_expires_at >= now) return null;
    }
    return null;
  }

  /** Gives back an attempt whose claim did not reach the job, so the next claimer need not wait out its lease. */
  async forfeit(jobId: string, generation: number, attempt: number): Promise<void> {
    await this.entries.deleteOne({ _id: entryId(jobId, generation, attempt) });
  }

  /**
   * Records that a client asked to cancel the job. FerretDB v1 writes an
   * update back as the whole document it read, so a worker's progress write
   * that read the job just before `cancel_requested` was stored puts it back
   * without the flag, and the job would run to completion although the cancel
   * was accepted. An insert cannot be overwritten that way; the repository
   * checks this entry before every worker write that a cancel must stop.
   * Recording twice keeps the first request.
   */
  async recordCancel(jobId: string, now: Date): Promise<void> {
    try {
      await this.cancels.insertOne({ _id: cancelId(jobId), job_id: jobId, requested_at: now.toISOString() });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** When a cancel of the job was recorded (ISO 8601), or undefined. */
  async cancelRequestedAt(jobId: string): Promise<string | undefined> {
    return (await this.cancels.findOne({ _id: cancelId(jobId) }))?.requested_at;
  }

  /** Forgets a cancel request: the job starts a new life (requeue) that it must not stop. */
  async clearCancel(jobId: string): Promise<void> {
    await this.cancels.deleteOne({ _id: cancelId(jobId) });
  }
}

/** `#` never occurs in a job id (a UUID), and claim keys always end in an attempt number. */
function cancelId(jobId: string): string {
  return `${jobId}#cancel`;
}

/**
 * A requeued job counts its attempts from 0 again, so the entries of its
 * earlier life would block the new attempts; each life (generation) gets
 * keys of its own instead. Generation 0 keeps the original `${job_id}#${attempt}`.
 */
function entryId(jobId: string, generation: number, attempt: number): string {
  return generation === 0 ? `${jobId}#${attempt}` : `${jobId}#g${generation}#${attempt}`;
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}
