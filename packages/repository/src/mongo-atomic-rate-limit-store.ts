import { MongoServerError } from 'mongodb';
import type { Collection, MongoClient } from 'mongodb';
import { guarded } from './database-error';
import { isDuplicateKey } from './mongo-claim-ledger';
import { mongoClientFor } from './mongo-client';
import type { MongoConnection } from './mongo-client';
import { RATE_LIMIT_DEADLINE_MS, TatCache, takeAtomically } from './rate-limit-atomic';
import type { AtomicTatOperations, TatUpdate } from './rate-limit-atomic';
import { gcraKeepUntilMs } from './rate-limit-gcra';
import { RateLimitStore } from './rate-limit-store';
import { requireMongoIndexes } from './schema';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';
import { bucketHash } from './token-bucket';

export type AtomicMongoRateLimitStoreOptions = {
  dbName: string;
  /** The buckets' collection; the factory names it `<jobs collection>_rate_buckets`. */
  collection: string;
  /** How long a take may keep losing conditions before it fails with DATABASE_ERROR. */
  deadlineMs?: number;
} & MongoConnection;

const NOT_IMPLEMENTED = 238;

/** One bucket: its GCRA theoretical arrival time (see rate-limit-gcra.ts). */
interface BucketDocument {
  /** sha256 of the key. */
  _id: string;
  tat: number;
  /** When the bucket, if left idle, is full again (plus grace); a TTL index forgets it then. */
  expires_at: Date;
}

/**
 * Token buckets as one document each, taken from with a single atomic
 * findOneAndUpdate per attempt, on real MongoDB (DATABASE_COMPAT=none):
 *
 * - new or idle bucket: filter `{_id, tat: {$lt: now}}`, `$set` tat, with
 *   upsert; a duplicate key on the upsert means the bucket exists and is
 *   busy;
 * - busy bucket: filter `{_id, tat: {$gte: now, $lte: high}}`, `$inc` tat by
 *   the tokens granted times T (see gcraGrantRange).
 *
 * A failed filter is followed by a read, which refuses the take or picks the
 * other branch (takeAtomically). Nothing serialises a key's takes.
 *
 * FerretDB v1 applies an update's filter and its write non-atomically, so
 * concurrent takes there could both pass; DATABASE_COMPAT=ferretdb-v1
 * selects the chain store (MongoRateLimitStore) instead.
 */
export class AtomicMongoRateLimitStore extends RateLimitStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly buckets: Collection<BucketDocument>;
  private readonly deadlineMs: number;
  private readonly cache = new TatCache();

  constructor(options: AtomicMongoRateLimitStoreOptions) {
    super();
    const connection = mongoClientFor(options);
    this.client = connection.client;
    this.ownsClient = connection.owned;
    this.buckets = this.client.db(options.dbName).collection<BucketDocument>(options.collection);
    this.deadlineMs = options.deadlineMs ?? RATE_LIMIT_DEADLINE_MS;
  }

  async init(): Promise<void> {
    await guarded('index creation', async () => {
      try {
        await this.buckets.createIndex({ expires_at: 1 }, { name: 'expiry', expireAfterSeconds: 0 });
      } catch (error) {
        // A server without TTL indexes (FerretDB v1) keeps idle buckets: one small document per key, harmless.
        if (!(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      }
    });
  }

  /** Real MongoDB (this store's server): the TTL index init() creates. */
  async checkSchema(): Promise<void> {
    await guarded('schema check', async () => requireMongoIndexes(this.buckets, ['expiry']));
  }

  async takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant> {
    const id = bucketHash(request.key);
    const expiresAt = new Date(gcraKeepUntilMs(request, Date.now()));
    const settled = (document: BucketDocument | null): TatUpdate =>
      document ? { ok: true, tat: document.tat } : { ok: false };
    const operations: AtomicTatOperations = {
      read: async () => {
        const document = await this.buckets.findOne({ _id: id });
        return typeof document?.tat === 'number' ? document.tat : undefined;
      },
      startIdle: async (tat, nowMs) => {
        try {
          return settled(
            await this.buckets.findOneAndUpdate(
              { _id: id, tat: { $lt: nowMs } },
              { $set: { tat, expires_at: expiresAt } },
              { upsert: true, returnDocument: 'after' },
            ),
          );
        } catch (error) {
          if (isDuplicateKey(error)) return { ok: false };
          throw error;
        }
      },
      advance: async (deltaMs, range) =>
        settled(
          await this.buckets.findOneAndUpdate(
            {
              _id: id,
              tat: { $gte: range.from, $lte: range.high, ...(range.low === undefined ? {} : { $gt: range.low }) },
            },
            { $inc: { tat: deltaMs }, $set: { expires_at: expiresAt } },
            { returnDocument: 'after' },
          ),
        ),
    };
    return guarded('rate limit', async () => takeAtomically(request, id, operations, this.cache, this.deadlineMs));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await guarded('close', async () => this.client.close());
  }
}
