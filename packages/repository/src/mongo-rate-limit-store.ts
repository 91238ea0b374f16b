import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Collection, MongoClient } from 'mongodb';
import { guarded } from './database-error';
import { isDuplicateKey } from './mongo-claim-ledger';
import { createMongoClient } from './mongo-client';
import { takeOptimistically } from './optimistic-take';
import { RateLimitStore } from './rate-limit-store';
import type { RateLimitDecision, RateLimitRequest } from './rate-limit-store';
import { bucketHash, keepUntilMs, takeFrom } from './token-bucket';
import type { BucketState } from './token-bucket';

export type MongoRateLimitStoreOptions = {
  dbName: string;
  /** The buckets' own collection; the factory names it `<jobs collection>_rate_limits`. */
  collection: string;
} & ({ url: string; client?: never } | { client: MongoClient; url?: never });

/**
 * One state of a bucket. States are never updated, only added: the unique
 * `_id` of version n+1 is what decides which of the takes that read version
 * n may write, since an insert with a taken _id fails atomically on every
 * MongoDB-compatible server (FerretDB v1 included, whose conditional updates
 * are not atomic; see ClaimLedger).
 */
interface BucketEntry {
  /** `${bucket}#${version}`. */
  _id: string;
  bucket: string;
  version: number;
  tokens: number;
  updated_ms: number;
  /** Random, names this entry for the one after it. */
  token: string;
  /** The `token` of the entry this one was computed from; null for a bucket's first. */
  prev: string | null;
  /** The writer's real clock, which pruning goes by. */
  written_at: Date;
  /** When the bucket, if left idle from this entry on, is full again and may be forgotten. */
  expires_at: Date;
}

// A round whose read is older than this starts over rather than write from it.
const STALE_READ_MS = 10_000;
// Every so many versions a writer prunes the bucket's older entries, keeping the last few.
const PRUNE_EVERY = 16;
const KEEP_VERSIONS = 16;
// Entries are pruned only when older than this, far beyond any live round (see verify()).
const MIN_PRUNE_AGE_MS = 5 * 60_000;
// Idle buckets are forgotten this often, by whichever take comes along, at most this many at a time.
const PURGE_INTERVAL_MS = 10 * 60_000;
const PURGE_BATCH = 100;

/**
 * Token buckets as a chain of immutable entries, one per successful take
 * (see BucketEntry). A take reads the newest entry, decides, and inserts the
 * next version; the insert losing on a duplicate _id is the conflict.
 *
 * Old entries are pruned, which could let a take that read version n long
 * ago insert n+1 again after the first n+1 was pruned. verify() catches that
 * such an entry is not the newest successor of the one it was computed from,
 * and takes it back; and entries are only pruned once minutes old, while a
 * round gives up on a read older than seconds.
 *
 * Idle buckets are forgotten by an explicit purge rather than a TTL index
 * (which FerretDB v1 lacks anyway): a TTL monitor deletes in no particular
 * order, and a chain that lost its newest entry but kept an older one would
 * have takes computing from the older state. The purge deletes a bucket's
 * older entries before its newest, so the newest entry left is always the
 * newest there was.
 */
export class MongoRateLimitStore extends RateLimitStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly entries: Collection<BucketEntry>;
  private lastPurge = 0;

  constructor(options: MongoRateLimitStoreOptions) {
    super();
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = createMongoClient(options.url);
      this.ownsClient = true;
    }
    this.entries = this.client.db(options.dbName).collection<BucketEntry>(options.collection);
  }

  async init(): Promise<void> {
    await guarded('index creation', async () => {
      // One index per command, for FerretDB v1 (see MongoJobRepository.init).
      await this.entries.createIndex({ bucket: 1, version: -1 }, { name: 'by_bucket_version' });
      await this.entries.createIndex({ expires_at: 1 }, { name: 'expiry' });
    });
  }

  async take(request: RateLimitRequest): Promise<RateLimitDecision> {
    const bucket = bucketHash(request.key);
    return guarded('rate limit', async () =>
      takeOptimistically(request, async (cost) => {
        const readAt = performance.now();
        const latest = await this.entries.findOne({ bucket }, { sort: { version: -1 } });
        const state: BucketState | undefined = latest
          ? { tokens: latest.tokens, updatedMs: latest.updated_ms }
          : undefined;
        const outcome = takeFrom(state, request, cost);
        if (!outcome.next) return outcome.decision;
        if (performance.now() - readAt > STALE_READ_MS) return 'conflict';
        const entry = this.entry(bucket, (latest?.version ?? 0) + 1, latest?.token ?? null, outcome.next, request);
        try {
          await this.entries.insertOne(entry);
        } catch (error) {
          if (isDuplicateKey(error)) return 'conflict';
          throw error;
        }
        if (!(await this.verify(entry))) {
          await this.entries.deleteOne({ _id: entry._id, token: entry.token });
          return 'conflict';
        }
        await this.housekeeping(entry);
        return outcome.decision;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.ownsClient) await guarded('close', async () => this.client.close());
  }

  private entry(
    bucket: string,
    version: number,
    prev: string | null,
    state: BucketState,
    request: RateLimitRequest,
  ): BucketEntry {
    const realNow = Date.now();
    return {
      _id: `${bucket}#${version}`,
      bucket,
      version,
      tokens: state.tokens,
      updated_ms: state.updatedMs,
      token: randomUUID(),
      prev,
      written_at: new Date(realNow),
      expires_at: new Date(keepUntilMs(state, request, realNow)),
    };
  }

  /**
   * Whether a freshly inserted entry is the bucket's true next state. It is
   * when nothing newer exists, or when the next version was computed from
   * it. Otherwise the slot was free only because an earlier holder had been
   * pruned (or forgotten) while this take's read was in flight: the newer
   * entries already follow a history without this take. Should pruning ever
   * have removed this entry's true successor, the answer is a false "no",
   * which costs the client a token but never grants one too many.
   */
  private async verify(entry: BucketEntry): Promise<boolean> {
    const newer = await this.entries.findOne(
      { bucket: entry.bucket, version: { $gt: entry.version } },
      { sort: { version: 1 } },
    );
    return newer === null || (newer.version === entry.version + 1 && newer.prev === entry.token);
  }

  /** Keeps the chain short and forgets idle buckets. Best effort: the take has counted already. */
  private async housekeeping(entry: BucketEntry): Promise<void> {
    try {
      if (entry.version % PRUNE_EVERY === 0) await this.prune(entry.bucket, entry.version, entry.written_at);
      const realNow = Date.now();
      if (realNow - this.lastPurge >= PURGE_INTERVAL_MS) {
        this.lastPurge = realNow;
        await this.purgeIdle(new Date(realNow));
      }
    } catch {
      // The next writer prunes and purges again.
    }
  }

  /** Deletes entries well below `newest`, and only ones old enough that no live round can still build on them. */
  private async prune(bucket: string, newest: number, realNow: Date): Promise<void> {
    await this.entries.deleteMany({
      bucket,
      version: { $lt: newest - KEEP_VERSIONS },
      written_at: { $lt: new Date(realNow.getTime() - MIN_PRUNE_AGE_MS) },
    });
  }

  /**
   * Forgets buckets whose newest entry expired, oldest entries first and the
   * newest last (see the class comment). A take that writes meanwhile adds a
   * newer entry, which this leaves alone.
   */
  private async purgeIdle(realNow: Date): Promise<void> {
    const expired = await this.entries
      .find({ expires_at: { $lte: realNow } })
      .limit(PURGE_BATCH)
      .toArray();
    for (const bucket of new Set(expired.map((entry) => entry.bucket))) {
      const newest = await this.entries.findOne({ bucket }, { sort: { version: -1 } });
      if (!newest) continue;
      if (newest.expires_at > realNow) {
        // Only old entries of a bucket in use expired; written over an hour ago, nothing builds on them.
        await this.entries.deleteMany({ bucket, version: { $lt: newest.version }, expires_at: { $lte: realNow } });
        continue;
      }
      await this.entries.deleteMany({ bucket, version: { $lt: newest.version } });
      await this.entries.deleteOne({ _id: newest._id, token: newest.token });
    }
  }
}
