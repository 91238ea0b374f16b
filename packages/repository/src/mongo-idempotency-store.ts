import { MongoServerError } from 'mongodb';
import type { Collection, Db } from 'mongodb';
import { AppError } from '@mediaflow/domain';
import { idempotencyHash } from './idempotency-records';
import { isDuplicateKey } from './mongo-claim-ledger';
import { IDEMPOTENCY_TTL_MS } from './job-repository';
import type { IdempotencyRecord, IdempotencyReservation } from './job-repository';
import { requireMongoIndexes } from './schema';

interface IdempotencyDocument {
  /** idempotencyHash(scope, key): the unique _id is what makes a reservation atomic. */
  _id: string;
  job_id: string;
  fingerprint: string;
  scope: string;
  key: string;
  created_at: Date;
  /** A BSON date, as TTL indexes require. */
  expires_at: Date;
}

const NOT_IMPLEMENTED = 238;
// Where the server has no TTL indexes, expired reservations are purged this often by whoever reserves.
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
// Rounds of "the reservation vanished or expired while we looked"; more means something else is wrong.
const MAX_ROUNDS = 5;

/**
 * Idempotency reservations in a collection of their own, one document per
 * (scope, key). Creation is an insert, whose duplicate-key failure is atomic
 * on every MongoDB-compatible server, so of concurrent reservations exactly
 * one wins. Expired reservations count as absent whether or not the TTL
 * monitor (which runs about once a minute) has deleted them yet.
 */
export class IdempotencyStore {
  private readonly records: Collection<IdempotencyDocument>;
  /**
   * Whether a TTL index deletes expired reservations. Real MongoDB: always
   * (init() creates it, or fails). FerretDB v1 (options.ttlIndexes false) has
   * none, so this store purges them itself unless init() found one after all.
   */
  private expiresByItself: boolean;
  private readonly ttlIndexes: boolean;
  private lastPurge = 0;

  constructor(db: Db, name: string, options: { ttlIndexes: boolean }) {
    this.records = db.collection<IdempotencyDocument>(name);
    this.ttlIndexes = options.ttlIndexes;
    this.expiresByItself = options.ttlIndexes;
  }

  async init(): Promise<void> {
    if (this.ttlIndexes) {
      await this.records.createIndex({ expires_at: 1 }, { name: 'expiry', expireAfterSeconds: 0 });
      return;
    }
    try {
      await this.records.createIndex({ expires_at: 1 }, { name: 'expiry', expireAfterSeconds: 0 });
      this.expiresByItself = true;
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      await this.records.createIndex({ expires_at: 1 }, { name: 'expiry' });
    }
  }

  /** Throws unless init() has created the expiry index. */
  async checkSchema(): Promise<void> {
    await requireMongoIndexes(this.records, ['expiry']);
  }

  async reserve(input: IdempotencyReservation): Promise<IdempotencyRecord | null> {
    const _id = idempotencyHash(input.scope, input.key);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      try {
        await this.records.insertOne({
          _id,
          job_id: input.jobId,
          fingerprint: input.fingerprint,
          scope: input.scope,
          key: input.key,
          created_at: input.now,
          expires_at: new Date(input.now.getTime() + IDEMPOTENCY_TTL_MS),
        });
        await this.purgeExpired(input.now);
        return null;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const existing = await this.records.findOne({ _id });
      if (existing && existing.expires_at.getTime() > input.now.getTime()) {
        return { job_id: existing.job_id, fingerprint: existing.fingerprint };
      }
      // Expired but not yet deleted: remove exactly that one, and let the insert decide who takes the key.
      // On FerretDB v1, whose filters are not atomic, a racer's fresh reservation can be removed here too
      // in a narrow window, so two requests may both get null for a key that had expired.
      if (existing) await this.records.deleteOne({ _id, expires_at: existing.expires_at });
    }
    throw new AppError('DATABASE_ERROR', 'idempotency key could not be reserved or read');
  }

  private async purgeExpired(now: Date): Promise<void> {
    if (this.expiresByItself || now.getTime() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now.getTime();
    try {
      await this.records.deleteMany({ expires_at: { $lte: now } });
    } catch {
      // Housekeeping only: the reservation itself succeeded, and the next purge catches up.
    }
  }
}
