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

  constructor(
    private readonly db: Db,
    private readonly name: string,
  ) {
    this.entries = db.collection<ClaimEntry>(name);
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
