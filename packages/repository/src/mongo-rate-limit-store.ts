import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Collection, MongoClient } from 'mongodb';
import { guarded } from './database-error';
import { isDuplicateKey } from './mongo-claim-ledger';
import { mongoClientFor } from './mongo-client';
import type { MongoConnection } from './mongo-client';
import { takeOptimistically } from './optimistic-take';
import { emissionIntervalMs, gcraKeepUntilMs, gcraTake } from './rate-limit-gcra';
import type { GcraLimits } from './rate-limit-gcra';
import { RateLimitStore } from './rate-limit-store';
import { requireMongoIndexes } from './schema';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';
import { bucketHash } from './token-bucket';

export type MongoRateLimitStoreOptions = {
  dbName: string;
  /** The buckets' own collection; the factory names it `<jobs collection>_rate_limits`. */
  collection: string;
  /** How long one take may keep losing races before DATABASE_ERROR, ms (default RATE_LIMIT_DEADLINE_MS, 2 s). */
  deadlineMs?: number;
} & MongoConnection;

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
  /** The GCRA theoretical arrival time (see rate-limit-gcra.ts); absent in entries of earlier versions. */
  tat?: number;
  /** The same state as a token bucket, as earlier versions wrote and read it. */
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
// Every so many versions a writer prunes the bucket's older entries, keeping the last few,
// at most PRUNE_BATCH of them at a time (four times what accrues meanwhile, so it catches up).
const PRUNE_EVERY = 16;
const KEEP_VERSIONS = 16;
const PRUNE_BATCH = 64;
// Every so many versions a writer updates the bucket's hint (see BucketHint).
const HINT_EVERY = 8;
// A read walking forward from a guess consults the hint after this many steps, and gives up
// for the sorted query (a scan on FerretDB v1) after MAX_PROBES.
const PROBES_BEFORE_HINT = 8;
const MAX_PROBES = 64;
// Buckets this process remembers the newest version of (least recently used forgotten first).
const REMEMBERED_BUCKETS = 10_000;
/**
 * A recent version of a bucket, under `_id: bucket` in the same collection
 * (with none of the fields the entries' queries and indexes use). Written
 * best effort every HINT_EVERY versions and never trusted: only a starting
 * point for the forward probe of a process that has not seen the bucket yet,
 * or lost track of it, and the lowest version pruning has left.
 */
interface BucketHint {
  _id: string;
  hint_version: number;
  /** No entry of the bucket below this version is left (as far as the last pruner knew). */
  floor?: number;
  /** When the purge may forget the hint: its entry's expires_at (an hour or more out). */
  hint_expires_at: Date;
}

interface Remembered {
  /** The newest version this process saw. */
  version: number;
  /** No entry below this is left, as far as this process knows. */
  floor?: number;
}

// Entries are pruned only when older than this, far beyond any live round (see verify()).
const MIN_PRUNE_AGE_MS = 5 * 60_000;
// Idle buckets are forgotten this often, by whichever take comes along, at most this many at a time.
const PURGE_INTERVAL_MS = 10 * 60_000;
const PURGE_BATCH = 100;

/**
 * Token buckets as a chain of immutable entries, one per successful take
 * (see BucketEntry), for servers whose conditional updates are not atomic
 * (FerretDB v1: DATABASE_COMPAT=ferretdb-v1). A take reads the newest entry,
 * decides by GCRA (see rate-limit-gcra.ts), and inserts the next version;
 * the insert losing on a duplicate _id is the conflict, and the take tries
 * again until a deadline (takeOptimistically). Concurrent takes of a key do
 * serialise here, so the factory puts CoalescingRateLimitStore in front: one
 * take per key and replica at a time, carrying everything that queued
 * behind it. Real MongoDB uses AtomicMongoRateLimitStore instead.
 *
 * FerretDB v1 on SQLite filters and sorts in memory: any query but an `_id`
 * equality reads the whole collection, which holds minutes of entries of
 * every bucket. So a take finds the newest entry by `_id` alone: from a
 * guess (the version this process saw last, else the bucket's BucketHint)
 * it reads `bucket#guess` and walks forward to the first version absent.
 * That is the newest because a bucket's entries are always a contiguous run
 * of versions: takes add only at the top, and pruning and the purge delete
 * only from the bottom, in ascending order. Only without a usable guess
 * (a bucket new to this process and without a hint, or a guess below what
 * is left) does a take fall back to the sorted query. Pruning is by `_id`
 * too; the purge of idle buckets, every ten minutes, may scan.
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
  private readonly hints: Collection<BucketHint>;
  private readonly remembered = new Map<string, Remembered>();
  private lastPurge = 0;
  private readonly deadlineMs: number | undefined;

  constructor(options: MongoRateLimitStoreOptions) {
    super();
    this.deadlineMs = options.deadlineMs;
    const connection = mongoClientFor(options);
    this.client = connection.client;
    this.ownsClient = connection.owned;
    const db = this.client.db(options.dbName);
    this.entries = db.collection<BucketEntry>(options.collection);
    this.hints = db.collection<BucketHint>(options.collection);
  }

  async init(): Promise<void> {
    await guarded('index creation', async () => {
      // One index per command, for FerretDB v1 (see MongoJobRepository.init).
      await this.entries.createIndex({ bucket: 1, version: -1 }, { name: 'by_bucket_version' });
      await this.entries.createIndex({ expires_at: 1 }, { name: 'expiry' });
    });
  }

  async checkSchema(): Promise<void> {
    await guarded('schema check', async () => requireMongoIndexes(this.entries, ['by_bucket_version', 'expiry']));
  }

  async takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant> {
    const bucket = bucketHash(request.key);
    return guarded('rate limit', async () =>
      takeOptimistically(
        request,
        async (cost, unit) => {
          const readAt = performance.now();
          const latest = await this.newest(bucket);
          const nowMs = request.now.getTime();
          const outcome = gcraTake(latest ? tatOfEntry(latest, request) : undefined, nowMs, request, cost, unit);
          const { tat, ...grant } = outcome;
          if (grant.granted === 0 || tat === undefined) return grant;
          if (performance.now() - readAt > STALE_READ_MS) return 'conflict';
          const entry = this.entry(bucket, (latest?.version ?? 0) + 1, latest?.token ?? null, tat, nowMs, request);
          try {
            await this.entries.insertOne(entry);
          } catch (error) {
            // Someone else wrote this version: the next round starts from it.
            if (isDuplicateKey(error)) return this.conflict(bucket, entry.version);
            throw error;
          }
          if (!(await this.verify(entry))) {
            await this.entries.deleteOne({ _id: entry._id, token: entry.token });
            return 'conflict';
          }
          this.remember(bucket, entry.version, entry.version === 1 ? 1 : undefined);
          await this.housekeeping(entry);
          return grant;
        },
        this.deadlineMs,
      ),
    );
  }

  async close(): Promise<void> {
    if (this.ownsClient) await guarded('close', async () => this.client.close());
  }

  private entry(
    bucket: string,
    version: number,
    prev: string | null,
    tat: number,
    nowMs: number,
    limits: GcraLimits,
  ): BucketEntry {
    const realNow = Date.now();
    const interval = emissionIntervalMs(limits);
    const tokens = Math.min(limits.capacity, Math.max(0, limits.capacity - Math.max(0, tat - nowMs) / interval));
    return {
      _id: entryId(bucket, version),
      bucket,
      version,
      tat,
      tokens,
      updated_ms: nowMs,
      token: randomUUID(),
      prev,
      written_at: new Date(realNow),
      expires_at: new Date(gcraKeepUntilMs(limits, realNow)),
    };
  }

  /** A version of the bucket, by `_id` (the one query FerretDB v1 answers without a scan). */
  private async at(bucket: string, version: number): Promise<BucketEntry | null> {
    return this.entries.findOne({ _id: entryId(bucket, version) });
  }

  /**
   * The bucket's newest entry: the last of the contiguous run of versions
   * (see the class comment) found walking forward from a guess, else, with
   * no guess left that exists, the sorted query.
   */
  private async newest(bucket: string): Promise<BucketEntry | null> {
    let hint: BucketHint | null | undefined;
    const readHint = async (): Promise<BucketHint | null> => {
      hint ??= await this.hints.findOne({ _id: bucket });
      return hint;
    };
    const known = this.remembered.get(bucket)?.version;
    let entry = known === undefined ? null : await this.at(bucket, known);
    if (!entry) {
      const hinted = (await readHint())?.hint_version;
      if (hinted !== undefined && hinted !== known) entry = await this.at(bucket, hinted);
    }
    if (!entry) return this.newestByQuery(bucket);
    for (let probes = 0; ; probes += 1) {
      if (probes === PROBES_BEFORE_HINT && hint === undefined) {
        // Far behind (other replicas took meanwhile): jump ahead if the hint is further on.
        const hinted = (await readHint())?.hint_version;
        const jumped = hinted !== undefined && hinted > entry.version + 1 ? await this.at(bucket, hinted) : null;
        if (jumped) entry = jumped;
      }
      if (probes >= MAX_PROBES) return this.newestByQuery(bucket);
      const next = await this.at(bucket, entry.version + 1);
      if (!next) break;
      entry = next;
    }
    this.remember(bucket, entry.version, hint?.floor);
    return entry;
  }

  private async newestByQuery(bucket: string): Promise<BucketEntry | null> {
    const newest = await this.entries.findOne({ bucket }, { sort: { version: -1 } });
    if (newest) this.remember(bucket, newest.version);
    return newest;
  }

  private remember(bucket: string, version: number, floor?: number): void {
    const before = this.remembered.get(bucket);
    this.remembered.delete(bucket);
    this.remembered.set(bucket, { version, floor: before?.floor ?? floor });
    if (this.remembered.size > REMEMBERED_BUCKETS) {
      const eldest = this.remembered.keys().next();
      if (!eldest.done) this.remembered.delete(eldest.value);
    }
  }

  private conflict(bucket: string, taken: number): 'conflict' {
    const known = this.remembered.get(bucket)?.version ?? 0;
    if (taken > known) this.remember(bucket, taken);
    return 'conflict';
  }

  /**
   * Whether a freshly inserted entry is the bucket's true next state. It is
   * when nothing newer exists, or when the next version was computed from
   * it. Otherwise the slot was free only because an earlier holder had been
   * pruned (or forgotten) while this take's read was in flight: the newer
   * entries already follow a history without this take. Should pruning ever
   * have removed this entry's true successor, the answer is a false "no",
   * which costs the client a token but never grants one too many. The next
   * version is looked up by `_id`: versions are contiguous (see the class
   * comment), so had anything newer than this entry existed, that one would.
   */
  private async verify(entry: BucketEntry): Promise<boolean> {
    const newer = await this.at(entry.bucket, entry.version + 1);
    if (newer) this.conflict(entry.bucket, newer.version);
    return newer === null || newer.prev === entry.token;
  }

  /** Keeps the chain short, the hint recent and forgets idle buckets. Best effort: the take has counted already. */
  private async housekeeping(entry: BucketEntry): Promise<void> {
    try {
      if (entry.version % PRUNE_EVERY === 0) await this.prune(entry.bucket, entry.version, entry.written_at);
      if (entry.version % HINT_EVERY === 0 || entry.version === 1) await this.writeHint(entry);
      const realNow = Date.now();
      if (realNow - this.lastPurge >= PURGE_INTERVAL_MS) {
        this.lastPurge = realNow;
        await this.purgeIdle(new Date(realNow));
      }
    } catch {
      // The next writer prunes, hints and purges again.
    }
  }

  private async writeHint(entry: BucketEntry): Promise<void> {
    const floor = this.remembered.get(entry.bucket)?.floor;
    await this.hints.updateOne(
      { _id: entry.bucket },
      {
        $set: {
          hint_version: entry.version,
          hint_expires_at: entry.expires_at,
          ...(floor === undefined ? {} : { floor }),
        },
      },
      { upsert: true },
    );
  }

  /**
   * Deletes the bucket's oldest entries, lowest version first, up to below
   * one at least KEEP_VERSIONS under `newest` and old enough that nothing
   * (it included) written before it can be built on by a live round: all
   * the versions below it were written before it.
   */
  private async prune(bucket: string, newest: number, realNow: Date): Promise<void> {
    const floor = await this.floor(bucket, newest);
    const upTo = Math.min(floor + PRUNE_BATCH, newest - KEEP_VERSIONS);
    if (upTo <= floor) return;
    const mark = await this.at(bucket, upTo);
    if (!mark) {
      // Everything below upTo is gone already (versions are contiguous).
      this.setFloor(bucket, upTo + 1);
      return;
    }
    if (mark.written_at.getTime() >= realNow.getTime() - MIN_PRUNE_AGE_MS) return;
    await this.deleteAscending(bucket, range(floor, upTo));
    this.setFloor(bucket, upTo);
  }

  /** The lowest version left: as remembered or hinted, else found by bisection (versions are contiguous). */
  private async floor(bucket: string, newest: number): Promise<number> {
    const remembered = this.remembered.get(bucket)?.floor ?? (await this.hints.findOne({ _id: bucket }))?.floor;
    if (remembered !== undefined && remembered <= newest) return remembered;
    let [absent, present] = [0, newest];
    while (present - absent > 1) {
      const middle = Math.floor((absent + present) / 2);
      if (await this.at(bucket, middle)) present = middle;
      else absent = middle;
    }
    this.setFloor(bucket, present);
    return present;
  }

  private setFloor(bucket: string, floor: number): void {
    const remembered = this.remembered.get(bucket);
    if (remembered) remembered.floor = floor;
  }

  /** Deletes the versions in order, one `_id` each, in one command; ordered, so no gap opens above an entry left. */
  private async deleteAscending(bucket: string, versions: number[]): Promise<void> {
    if (versions.length === 0) return;
    await this.entries.bulkWrite(
      versions.map((version) => ({ deleteOne: { filter: { _id: entryId(bucket, version) } } })),
      { ordered: true },
    );
  }

  /**
   * Forgets buckets whose newest entry expired, oldest entries first and the
   * newest last (see the class comment), and then their hints. A take that
   * writes meanwhile adds a newer entry, which this leaves alone. Of buckets
   * still in use it deletes the expired entries at the bottom.
   */
  private async purgeIdle(realNow: Date): Promise<void> {
    const expired = await this.entries
      .find({ expires_at: { $lte: realNow } })
      .limit(PURGE_BATCH)
      .toArray();
    for (const bucket of new Set(expired.map((entry) => entry.bucket))) {
      const chain = await this.entries.find({ bucket }).sort({ version: 1 }).toArray();
      const newest = chain.pop();
      if (!newest) continue;
      const idle = newest.expires_at <= realNow;
      const stale = chain.findIndex((entry) => !idle && entry.expires_at > realNow);
      await this.deleteAscending(
        bucket,
        (stale === -1 ? chain : chain.slice(0, stale)).map((entry) => entry.version),
      );
      if (!idle) continue;
      await this.entries.deleteOne({ _id: newest._id, token: newest.token });
      await this.hints.deleteOne({ _id: bucket });
      this.remembered.delete(bucket);
    }
    // Hints outliving their buckets (written after the purge, say).
    await this.hints.deleteMany({ hint_expires_at: { $lte: realNow } });
  }
}

function entryId(bucket: string, version: number): string {
  return `${bucket}#${version}`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, index) => from + index);
}

/** The tat an entry stands for; entries of earlier versions hold a token bucket, converted exactly. */
function tatOfEntry(entry: BucketEntry, limits: GcraLimits): number {
  if (typeof entry.tat === 'number') return entry.tat;
  return entry.updated_ms + (limits.capacity - entry.tokens) * emissionIntervalMs(limits);
}
