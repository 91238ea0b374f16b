/*
 * Accounts for people: their sign-in credentials, their sessions (refresh
 * token families) and the API keys they make for their programs. Stored
 * beside the jobs (same database, own collections or table) so every API
 * replica sees the same sessions. This port imports no driver.
 */

/** A person's account. `user_id` is a UUID; the API records jobs under `user:<user_id>`. */
export interface UserAccount {
  user_id: string;
  /** Normalised (trimmed, lower-case); unique among accounts. */
  email: string;
  /** PHC-style string, `$scrypt$ln=…,r=…,p=…$<salt>$<hash>` (see services/api/src/accounts/passwords.ts). */
  password_hash: string;
  admin: boolean;
  /** ISO 8601. */
  created_at: string;
  password_changed_at?: string;
}

/**
 * One refresh token. The token itself is never stored: `token_id` is the
 * SHA-256 (hex) of what the client holds, so a read of the database yields
 * no usable token.
 */
export interface RefreshTokenRecord {
  token_id: string;
  /** The session: every token rotated from one sign-in shares it. */
  family_id: string;
  user_id: string;
  /** ISO 8601. */
  issued_at: string;
  /** ISO 8601; the record is deleted some time after (TTL), and counts as absent from then on. */
  expires_at: string;
  /** Set once the token was exchanged for a new one; presenting it again is reuse. */
  rotated_at?: string;
}

/** A session; revoking it makes every token of the family useless. */
export interface SessionFamily {
  family_id: string;
  user_id: string;
  created_at: string;
  /** Moves forward with each rotation (the newest token's expiry); the record is deleted after it. */
  expires_at: string;
  revoked_at?: string;
}

/** An API key a person made for a program. Only its SHA-256 is stored. */
export interface PersonalApiKey {
  /** `key_` + 32 hex digits. */
  key_id: string;
  user_id: string;
  name: string;
  /** SHA-256 (hex, lower case) of the key. */
  sha256: string;
  created_at: string;
}

/** What rotateRefreshToken found. */
export type RotationOutcome =
  /** The presented token was live and is now rotated; `next` is stored. */
  | { kind: 'rotated'; family: SessionFamily }
  /** The token was rotated before (or concurrently, by a caller that won): reuse. */
  | { kind: 'reused'; record: RefreshTokenRecord }
  /** No such token, it expired, or its family is revoked or gone. */
  | { kind: 'invalid' };

/** Failed sign-ins of one (account, address) pair, for the lockout. */
export interface SignInFailures {
  count: number;
  /** ISO 8601: the latest failure. */
  last_failure_at: string;
}

/**
 * The accounts port. Each database adapter implements it over its own
 * collections or table; a contract test (test/integration/account-store.contract.test.ts)
 * runs the same assertions on each.
 */
export abstract class AccountStore {
  /** Creates collections, indexes or the table; part of the migration. Safe to call from every process at once. */
  abstract init(): Promise<void>;
  /** Creates nothing; throws schemaMissing() unless init() has run. */
  abstract checkSchema(): Promise<void>;

  /**
   * Stores a new account. Of concurrent creations with one email, exactly one succeeds.
   * @returns false when an account with this email exists already (nothing stored).
   */
  abstract createUser(user: UserAccount): Promise<boolean>;

  /**
   * Claims "the first account" for `userId` (it becomes admin). Of all
   * callers ever, exactly one gets true.
   */
  abstract claimFirstAccount(userId: string, now: Date): Promise<boolean>;

  abstract findUserByEmail(email: string): Promise<UserAccount | undefined>;
  abstract getUser(userId: string): Promise<UserAccount | undefined>;
  /** Replaces the password hash; false when there is no such account. */
  abstract setPasswordHash(userId: string, passwordHash: string, now: Date): Promise<boolean>;

  /** Starts a session with its first refresh token (`token.family_id` = `family.family_id`). */
  abstract startSession(family: SessionFamily, token: RefreshTokenRecord): Promise<void>;

  /**
   * Exchanges the live token `tokenId` for `next` (same family), atomically:
   * of concurrent calls with one token, exactly one gets `rotated`, the
   * others `reused`. A token that expired (by `now`), or whose family is
   * revoked or gone, is `invalid`. Rotation moves the family's expiry to
   * `next.expires_at`.
   */
  abstract rotateRefreshToken(tokenId: string, next: RefreshTokenRecord, now: Date): Promise<RotationOutcome>;

  /** The token's record, expired or not; undefined once deleted. */
  abstract getRefreshToken(tokenId: string): Promise<RefreshTokenRecord | undefined>;
  abstract getFamily(userId: string, familyId: string): Promise<SessionFamily | undefined>;
  /** Revokes the user's session: none of its tokens refreshes any more. Idempotent. */
  abstract revokeFamily(userId: string, familyId: string, now: Date): Promise<void>;
  /** Revokes every session of the user but `exceptFamilyId`. @returns how many were revoked. */
  abstract revokeUserSessions(userId: string, now: Date, exceptFamilyId?: string): Promise<number>;

  /**
   * Stores a personal API key.
   * @returns false when the user has `maxPerUser` keys already (concurrent creations may overshoot by a few).
   */
  abstract createApiKey(key: PersonalApiKey, maxPerUser: number): Promise<boolean>;
  /** The user's keys, oldest first. */
  abstract listApiKeys(userId: string): Promise<PersonalApiKey[]>;
  /** False when the user has no key with this id (another user's key counts as none). */
  abstract deleteApiKey(userId: string, keyId: string): Promise<boolean>;
  /** The key whose SHA-256 (hex) this is. */
  abstract findApiKey(sha256: string): Promise<PersonalApiKey | undefined>;

  /**
   * Counts a failed sign-in of `pairId` (an opaque digest of account and
   * address). Failures older than `forgetAfterMs` before `now` are forgotten
   * (the count starts again). Under concurrency on servers without atomic
   * updates a failure may go uncounted.
   */
  abstract recordSignInFailure(pairId: string, now: Date, forgetAfterMs: number): Promise<SignInFailures>;
  /** The pair's failures not yet forgotten at `now`; undefined when none. */
  abstract getSignInFailures(pairId: string, now: Date): Promise<SignInFailures | undefined>;
  /** Forgets the pair's failures (after a successful sign-in). */
  abstract clearSignInFailures(pairId: string): Promise<void>;

  /** Releases what the store opened itself; a shared client stays open. */
  abstract close(): Promise<void>;
}
