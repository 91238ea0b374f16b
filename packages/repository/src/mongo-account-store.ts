import { MongoServerError } from 'mongodb';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { guarded } from './database-error';
import { AccountStore } from './account-store';
import type {
  PersonalApiKey,
  RefreshTokenRecord,
  RotationOutcome,
  SessionFamily,
  SignInFailures,
  UserAccount,
} from './account-store';
import { isDuplicateKey } from './mongo-claim-ledger';
import { mongoClientFor } from './mongo-client';
import type { MongoConnection } from './mongo-client';
import { requireMongoIndexes } from './schema';
import type { DatabaseCompat } from './schema';

export type MongoAccountStoreOptions = {
  dbName: string;
  /** The jobs collection; the account collections are named after it (`<jobs>_account_…`). */
  jobsCollection: string;
  /** `ferretdb-v1`: no TTL indexes there, so expired records are purged by the store itself. */
  compat?: DatabaseCompat;
} & MongoConnection;

interface UserDocument extends Omit<UserAccount, 'user_id'> {
  _id: string;
}
interface EmailDocument {
  /** The normalised email, or FIRST_ACCOUNT for the first-account claim. */
  _id: string;
  user_id: string;
}
interface FamilyDocument extends Omit<SessionFamily, 'family_id' | 'expires_at'> {
  _id: string;
  expires_at: Date;
}
interface TokenDocument extends Omit<RefreshTokenRecord, 'token_id' | 'expires_at'> {
  _id: string;
  expires_at: Date;
}
/** Insert-only: the one insert that succeeds for a token id is its rotation. */
interface RotationDocument {
  _id: string;
  at: string;
  expires_at: Date;
}
interface KeyDocument extends Omit<PersonalApiKey, 'key_id'> {
  _id: string;
}
interface FailureDocument extends SignInFailures {
  _id: string;
  expires_at: Date;
}

// Not an email (no @), so it never collides with an account's.
const FIRST_ACCOUNT = '#first-account';
// 238 NotImplemented (FerretDB v1 and TTL indexes); 48 NamespaceExists.
const NOT_IMPLEMENTED = 238;
const NAMESPACE_EXISTS = 48;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Accounts in collections beside the jobs: `<jobs>_account_users`,
 * `_emails` (one document per email, `_id` = the email: a duplicate-key
 * insert, atomic on every MongoDB-compatible server, makes emails unique),
 * `_families`, `_tokens`, `_rotations`, `_keys` and `_signin_failures`.
 *
 * Rotation inserts `{_id: <old token id>}` into `_rotations`: of concurrent
 * rotations exactly one insert succeeds, on MongoDB and on FerretDB v1 alike
 * (whose conditional updates are not atomic). Tokens, rotations, families and
 * failures carry `expires_at` with a TTL index; readers check it themselves,
 * since the TTL monitor lags (and FerretDB v1 has none: the store purges).
 */
export class MongoAccountStore extends AccountStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  private readonly users: Collection<UserDocument>;
  private readonly emails: Collection<EmailDocument>;
  private readonly families: Collection<FamilyDocument>;
  private readonly tokens: Collection<TokenDocument>;
  private readonly rotations: Collection<RotationDocument>;
  private readonly keys: Collection<KeyDocument>;
  private readonly failures: Collection<FailureDocument>;
  private readonly ttlIndexes: boolean;
  private expiresByItself: boolean;
  private lastPurge = 0;

  constructor(options: MongoAccountStoreOptions) {
    super();
    const connection = mongoClientFor(options);
    this.client = connection.client;
    this.ownsClient = connection.owned;
    this.db = this.client.db(options.dbName);
    const base = `${options.jobsCollection}_account`;
    this.users = this.db.collection(`${base}_users`);
    this.emails = this.db.collection(`${base}_emails`);
    this.families = this.db.collection(`${base}_families`);
    this.tokens = this.db.collection(`${base}_tokens`);
    this.rotations = this.db.collection(`${base}_rotations`);
    this.keys = this.db.collection(`${base}_keys`);
    this.failures = this.db.collection(`${base}_signin_failures`);
    this.ttlIndexes = options.compat !== 'ferretdb-v1';
    this.expiresByItself = this.ttlIndexes;
  }

  private expiring(): Collection<{ _id: string; expires_at: Date }>[] {
    return [this.families, this.tokens, this.rotations, this.failures] as unknown as Collection<{
      _id: string;
      expires_at: Date;
    }>[];
  }

  async init(): Promise<void> {
    await guarded('account index creation', async () => {
      // One index per command: FerretDB v1 takes no more.
      await this.families.createIndex({ user_id: 1 }, { name: 'by_user' });
      await this.keys.createIndex({ user_id: 1, created_at: 1 }, { name: 'by_user' });
      await this.keys.createIndex({ sha256: 1 }, { name: 'by_sha256' });
      let ttl = true;
      for (const collection of this.expiring()) {
        ttl = (await this.expiryIndex(collection)) && ttl;
      }
      this.expiresByItself = ttl;
      for (const collection of [this.users, this.emails]) {
        try {
          await this.db.createCollection(collection.collectionName);
        } catch (error) {
          if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
        }
      }
    });
  }

  /** A TTL index named `expiry`, or a plain one where the server has no TTL indexes; true for TTL. */
  private async expiryIndex(collection: Collection<{ _id: string; expires_at: Date }>): Promise<boolean> {
    try {
      await collection.createIndex({ expires_at: 1 }, { name: 'expiry', expireAfterSeconds: 0 });
      return this.ttlIndexes;
    } catch (error) {
      if (this.ttlIndexes || !(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      await collection.createIndex({ expires_at: 1 }, { name: 'expiry' });
      return false;
    }
  }

  async checkSchema(): Promise<void> {
    await guarded('account schema check', async () => {
      await requireMongoIndexes(this.families, ['by_user', 'expiry']);
      await requireMongoIndexes(this.keys, ['by_user', 'by_sha256']);
      for (const collection of [this.tokens, this.rotations, this.failures]) {
        await requireMongoIndexes(collection as unknown as Collection<Document>, ['expiry']);
      }
    });
  }

  async createUser(user: UserAccount): Promise<boolean> {
    return guarded('account creation', async () => {
      const { user_id: _id, ...rest } = user;
      // The user first: a crash before the email leaves an unreachable record, never an email without its account.
      await this.users.insertOne({ _id, ...rest });
      try {
        await this.emails.insertOne({ _id: user.email, user_id: user.user_id });
        return true;
      } catch (error) {
        await this.users.deleteOne({ _id });
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  async claimFirstAccount(userId: string): Promise<boolean> {
    return guarded('first-account claim', async () => {
      try {
        await this.emails.insertOne({ _id: FIRST_ACCOUNT, user_id: userId });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  async findUserByEmail(email: string): Promise<UserAccount | undefined> {
    return guarded('account read', async () => {
      if (email === FIRST_ACCOUNT) return undefined;
      const entry = await this.emails.findOne({ _id: email });
      return entry ? this.getUser(entry.user_id) : undefined;
    });
  }

  async getUser(userId: string): Promise<UserAccount | undefined> {
    return guarded('account read', async () => {
      const document = await this.users.findOne({ _id: userId });
      if (!document) return undefined;
      const { _id, ...rest } = document;
      return { user_id: _id, ...rest };
    });
  }

  async setPasswordHash(userId: string, passwordHash: string, now: Date): Promise<boolean> {
    return guarded('password update', async () => {
      const result = await this.users.updateOne(
        { _id: userId },
        { $set: { password_hash: passwordHash, password_changed_at: now.toISOString() } },
      );
      return result.matchedCount === 1;
    });
  }

  async startSession(family: SessionFamily, token: RefreshTokenRecord): Promise<void> {
    await guarded('session start', async () => {
      const { family_id, expires_at, ...familyRest } = family;
      await this.families.insertOne({ _id: family_id, ...familyRest, expires_at: new Date(expires_at) });
      await this.tokens.insertOne(tokenDocument(token));
      await this.purgeExpired(new Date());
    });
  }

  async rotateRefreshToken(tokenId: string, next: RefreshTokenRecord, now: Date): Promise<RotationOutcome> {
    return guarded('refresh token rotation', async () => {
      const token = await this.tokens.findOne({ _id: tokenId });
      if (!token || token.expires_at.getTime() <= now.getTime()) return { kind: 'invalid' };
      const record = tokenRecord(token);
      if (token.rotated_at !== undefined) return { kind: 'reused', record };
      const family = await this.getFamily(token.user_id, token.family_id);
      if (!family || family.revoked_at !== undefined || Date.parse(family.expires_at) <= now.getTime()) {
        return { kind: 'invalid' };
      }
      try {
        await this.rotations.insertOne({ _id: tokenId, at: now.toISOString(), expires_at: token.expires_at });
      } catch (error) {
        if (isDuplicateKey(error)) return { kind: 'reused', record: { ...record, rotated_at: now.toISOString() } };
        throw error;
      }
      await this.tokens.updateOne({ _id: tokenId }, { $set: { rotated_at: now.toISOString() } });
      await this.tokens.insertOne(tokenDocument(next));
      const expiresAt = new Date(next.expires_at);
      await this.families.updateOne({ _id: family.family_id }, { $set: { expires_at: expiresAt } });
      return { kind: 'rotated', family: { ...family, expires_at: next.expires_at } };
    });
  }

  async getRefreshToken(tokenId: string): Promise<RefreshTokenRecord | undefined> {
    return guarded('refresh token read', async () => {
      const token = await this.tokens.findOne({ _id: tokenId });
      return token ? tokenRecord(token) : undefined;
    });
  }

  async getFamily(userId: string, familyId: string): Promise<SessionFamily | undefined> {
    return guarded('session read', async () => {
      const family = await this.families.findOne({ _id: familyId, user_id: userId });
      if (!family) return undefined;
      const { _id, expires_at, ...rest } = family;
      return { family_id: _id, ...rest, expires_at: expires_at.toISOString() };
    });
  }

  async revokeFamily(userId: string, familyId: string, now: Date): Promise<void> {
    await guarded('session revocation', async () => {
      await this.families.updateOne(
        { _id: familyId, user_id: userId, revoked_at: { $exists: false } },
        { $set: { revoked_at: now.toISOString() } },
      );
    });
  }

  async revokeUserSessions(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    return guarded('session revocation', async () => {
      const result = await this.families.updateMany(
        {
          user_id: userId,
          revoked_at: { $exists: false },
          ...(exceptFamilyId === undefined ? {} : { _id: { $ne: exceptFamilyId } }),
        },
        { $set: { revoked_at: now.toISOString() } },
      );
      return result.modifiedCount;
    });
  }

  async createApiKey(key: PersonalApiKey, maxPerUser: number): Promise<boolean> {
    return guarded('API key creation', async () => {
      if ((await this.keys.countDocuments({ user_id: key.user_id })) >= maxPerUser) return false;
      const { key_id: _id, ...rest } = key;
      await this.keys.insertOne({ _id, ...rest });
      return true;
    });
  }

  async listApiKeys(userId: string): Promise<PersonalApiKey[]> {
    return guarded('API key listing', async () => {
      const documents = await this.keys.find({ user_id: userId }).sort({ created_at: 1, _id: 1 }).toArray();
      return documents.map(({ _id, ...rest }) => ({ key_id: _id, ...rest }));
    });
  }

  async deleteApiKey(userId: string, keyId: string): Promise<boolean> {
    return guarded('API key deletion', async () => {
      const result = await this.keys.deleteOne({ _id: keyId, user_id: userId });
      return result.deletedCount === 1;
    });
  }

  async findApiKey(sha256: string): Promise<PersonalApiKey | undefined> {
    return guarded('API key read', async () => {
      const document = await this.keys.findOne({ sha256 });
      if (!document) return undefined;
      const { _id, ...rest } = document;
      return { key_id: _id, ...rest };
    });
  }

  async recordSignInFailure(pairId: string, now: Date, forgetAfterMs: number): Promise<SignInFailures> {
    return guarded('sign-in failure record', async () => {
      const existing = await this.failures.findOne({ _id: pairId });
      if (existing && existing.expires_at.getTime() <= now.getTime()) {
        await this.failures.deleteOne({ _id: pairId, expires_at: existing.expires_at });
      }
      const update = {
        $inc: { count: 1 },
        $set: { last_failure_at: now.toISOString(), expires_at: new Date(now.getTime() + forgetAfterMs) },
      };
      for (let attempt = 0; ; attempt += 1) {
        try {
          const after = await this.failures.findOneAndUpdate({ _id: pairId }, update, {
            upsert: true,
            returnDocument: 'after',
          });
          return { count: after?.count ?? 1, last_failure_at: now.toISOString() };
        } catch (error) {
          // Two first failures upserting at once: the loser's insert is a duplicate; its update then applies.
          if (!isDuplicateKey(error) || attempt > 0) throw error;
        }
      }
    });
  }

  async getSignInFailures(pairId: string, now: Date): Promise<SignInFailures | undefined> {
    return guarded('sign-in failure read', async () => {
      const document = await this.failures.findOne({ _id: pairId });
      if (!document || document.expires_at.getTime() <= now.getTime()) return undefined;
      return { count: document.count, last_failure_at: document.last_failure_at };
    });
  }

  async clearSignInFailures(pairId: string): Promise<void> {
    await guarded('sign-in failure reset', async () => {
      await this.failures.deleteOne({ _id: pairId });
    });
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Where no TTL index deletes expired records (FerretDB v1): at most once an hour, by whoever signs in. */
  private async purgeExpired(now: Date): Promise<void> {
    if (this.expiresByItself || now.getTime() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now.getTime();
    try {
      for (const collection of this.expiring()) await collection.deleteMany({ expires_at: { $lte: now } });
    } catch {
      // Housekeeping only: readers ignore expired records anyway, and the next purge catches up.
    }
  }
}

function tokenDocument(token: RefreshTokenRecord): TokenDocument {
  const { token_id, expires_at, ...rest } = token;
  return { _id: token_id, ...rest, expires_at: new Date(expires_at) };
}

function tokenRecord(document: TokenDocument): RefreshTokenRecord {
  const { _id, expires_at, ...rest } = document;
  return { token_id: _id, ...rest, expires_at: expires_at.toISOString() };
}
