import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import { ACCOUNT_TABLE, DynamoAccountStore, MongoAccountStore } from '@mediaflow/repository';
import type {
  AccountStore,
  PersonalApiKey,
  RefreshTokenRecord,
  SessionFamily,
  UserAccount,
} from '@mediaflow/repository';
import { contractBackends, dropCollections, dropTables, uniqueName } from '../support/contract-backends';
import type { ContractDatabase } from '../support/contract-backends';

/**
 * The AccountStore port on the three stores: FerretDB with
 * DATABASE_COMPAT=ferretdb-v1, DynamoDB Local, and dynalite as the embedded
 * mode runs it. The same assertions on each: unique emails, one first
 * account, atomic refresh-token rotation, revocation, personal API keys and
 * the sign-in failure counter.
 */

const MONGO_SUFFIXES = ['users', 'emails', 'families', 'tokens', 'rotations', 'keys', 'signin_failures'];

/** A fresh namespace: `open()` gives store instances on it (as separate processes would have). */
interface Namespace {
  open(): AccountStore;
  drop(): Promise<void>;
}

function namespaceOn(database: ContractDatabase): Namespace {
  if (database.kind === 'mongodb') {
    const jobsCollection = uniqueName('jobs');
    return {
      open: () =>
        new MongoAccountStore({ url: database.url, dbName: database.dbName, jobsCollection, compat: 'ferretdb-v1' }),
      drop: async () =>
        dropCollections(
          database,
          MONGO_SUFFIXES.map((suffix) => `${jobsCollection}_account_${suffix}`),
        ),
    };
  }
  const tableName = uniqueName('mediaflow-jobs');
  return {
    open: () => new DynamoAccountStore({ client: database.client(), tableName, destroyClientOnClose: true }),
    drop: async () => dropTables(database, [`${tableName}${ACCOUNT_TABLE.suffix}`]),
  };
}

// The real clock: a TTL monitor (MongoDB, FerretDB) deletes records that expired by it.
const NOW = new Date();
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);
const HOUR = 3_600_000;

function user(overrides: Partial<UserAccount> = {}): UserAccount {
  return {
    user_id: randomUUID(),
    email: `${randomBytes(6).toString('hex')}@example.com`,
    password_hash: '$scrypt$ln=15,r=8,p=3$c2FsdA$aGFzaA',
    admin: false,
    created_at: NOW.toISOString(),
    ...overrides,
  };
}

function session(userId: string): { family: SessionFamily; token: RefreshTokenRecord } {
  const family: SessionFamily = {
    family_id: randomUUID(),
    user_id: userId,
    created_at: NOW.toISOString(),
    expires_at: at(HOUR).toISOString(),
  };
  return { family, token: token(family, NOW) };
}

function token(family: SessionFamily, issued: Date, lifetimeMs = HOUR): RefreshTokenRecord {
  return {
    token_id: randomBytes(32).toString('hex'),
    family_id: family.family_id,
    user_id: family.user_id,
    issued_at: issued.toISOString(),
    expires_at: new Date(issued.getTime() + lifetimeMs).toISOString(),
  };
}

function apiKey(userId: string, created: string): PersonalApiKey {
  return {
    key_id: `key_${randomBytes(16).toString('hex')}`,
    user_id: userId,
    name: 'ci',
    sha256: randomBytes(32).toString('hex'),
    created_at: created,
  };
}

jest.setTimeout(30_000);

describe.each(contractBackends())('AccountStore contract: $name', (backend) => {
  let namespace: Namespace;
  let store: AccountStore;
  let other: AccountStore;

  beforeAll(async () => {
    await backend.start();
    namespace = namespaceOn(backend.database());
    store = namespace.open();
    other = namespace.open();
    await store.init();
  });
  afterAll(async () => {
    await Promise.all([store.close(), other.close()]);
    await namespace.drop();
    await backend.stop();
  });

  it('checkSchema names what is missing before init, and passes after; init is idempotent', async () => {
    const fresh = namespaceOn(backend.database());
    const instance = fresh.open();
    try {
      const error = await instance.checkSchema().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).message).toMatch(/db:migrate/);
      await Promise.all([instance.init(), instance.init()]);
      await expect(instance.checkSchema()).resolves.toBeUndefined();
    } finally {
      await instance.close();
      await fresh.drop();
    }
  });

  it('keeps emails unique: of concurrent creations with one email exactly one succeeds', async () => {
    const email = `${randomBytes(6).toString('hex')}@example.com`;
    const contenders = Array.from({ length: 4 }, () => user({ email }));
    const results = await Promise.all(
      contenders.map(async (candidate, index) => (index % 2 ? other : store).createUser(candidate)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = contenders[results.indexOf(true)];
    expect(await store.findUserByEmail(email)).toEqual(winner);
    expect(await other.getUser(winner.user_id)).toEqual(winner);
    // The losers left nothing behind.
    for (const loser of contenders.filter((candidate) => candidate !== winner)) {
      expect(await store.getUser(loser.user_id)).toBeUndefined();
    }
    expect(await store.findUserByEmail('nobody@example.com')).toBeUndefined();
    expect(await store.getUser(randomUUID())).toBeUndefined();
  });

  it('gives the first account to exactly one claimant, for ever', async () => {
    const ids = Array.from({ length: 4 }, () => randomUUID());
    const results = await Promise.all(
      ids.map(async (id, index) => (index % 2 ? other : store).claimFirstAccount(id, NOW)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claimFirstAccount(randomUUID(), NOW)).toBe(false);
  });

  it('replaces a password hash', async () => {
    const account = user();
    expect(await store.createUser(account)).toBe(true);
    expect(await store.setPasswordHash(account.user_id, '$scrypt$new', at(1000))).toBe(true);
    expect(await other.getUser(account.user_id)).toEqual({
      ...account,
      password_hash: '$scrypt$new',
      password_changed_at: at(1000).toISOString(),
    });
    expect(await store.setPasswordHash(randomUUID(), '$scrypt$new', NOW)).toBe(false);
  });

  it('rotates a refresh token once; presenting it again is reuse', async () => {
    const { family, token: first } = session(randomUUID());
    await store.startSession(family, first);
    expect(await other.getRefreshToken(first.token_id)).toEqual(first);
    const second = token(family, at(1000));
    const rotated = await store.rotateRefreshToken(first.token_id, second, at(1000));
    expect(rotated).toEqual({ kind: 'rotated', family: { ...family, expires_at: second.expires_at } });
    expect(await other.getFamily(family.user_id, family.family_id)).toEqual({
      ...family,
      expires_at: second.expires_at,
    });
    // The old token again: reuse, and the new one is not spent by it.
    const reuse = await other.rotateRefreshToken(first.token_id, token(family, at(2000)), at(2000));
    expect(reuse.kind).toBe('reused');
    if (reuse.kind === 'reused')
      expect(reuse.record).toMatchObject({ token_id: first.token_id, family_id: family.family_id });
    const third = token(family, at(3000));
    expect((await store.rotateRefreshToken(second.token_id, third, at(3000))).kind).toBe('rotated');
    expect(await store.rotateRefreshToken('f'.repeat(64), token(family, NOW), NOW)).toEqual({ kind: 'invalid' });
  });

  it('lets exactly one of concurrent rotations of one token win', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { family, token: first } = session(randomUUID());
      await store.startSession(family, first);
      const contenders = Array.from({ length: 4 }, () => token(family, at(1000)));
      const outcomes = await Promise.all(
        contenders.map(async (next, index) =>
          (index % 2 ? other : store).rotateRefreshToken(first.token_id, next, at(1000)),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.kind === 'rotated')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.kind === 'reused')).toHaveLength(3);
      // Only the winner's token is live.
      const winner = contenders[outcomes.findIndex((outcome) => outcome.kind === 'rotated')];
      expect((await store.rotateRefreshToken(winner.token_id, token(family, at(2000)), at(2000))).kind).toBe('rotated');
    }
  });

  it('refuses expired tokens and tokens of revoked sessions', async () => {
    const { family, token: first } = session(randomUUID());
    await store.startSession(family, first);
    expect(await store.rotateRefreshToken(first.token_id, token(family, at(HOUR)), at(HOUR))).toEqual({
      kind: 'invalid',
    });

    const live = session(family.user_id);
    await store.startSession(live.family, live.token);
    await other.revokeFamily(live.family.user_id, live.family.family_id, at(1000));
    await other.revokeFamily(live.family.user_id, live.family.family_id, at(2000));
    expect((await store.getFamily(live.family.user_id, live.family.family_id))?.revoked_at).toBe(
      at(1000).toISOString(),
    );
    expect(await store.rotateRefreshToken(live.token.token_id, token(live.family, at(3000)), at(3000))).toEqual({
      kind: 'invalid',
    });
    // Another user's id does not reach the session.
    expect(await store.getFamily(randomUUID(), live.family.family_id)).toBeUndefined();
  });

  it('revokes every session of a user but the one named', async () => {
    const userId = randomUUID();
    const sessions = [session(userId), session(userId), session(userId)];
    for (const { family, token: first } of sessions) await store.startSession(family, first);
    const bystander = session(randomUUID());
    await store.startSession(bystander.family, bystander.token);

    expect(await other.revokeUserSessions(userId, at(1000), sessions[0].family.family_id)).toBe(2);
    const outcomes = await Promise.all(
      sessions.map(async ({ family, token: first }) =>
        store.rotateRefreshToken(first.token_id, token(family, at(2000)), at(2000)),
      ),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['rotated', 'invalid', 'invalid']);
    expect(
      (await store.rotateRefreshToken(bystander.token.token_id, token(bystander.family, at(2000)), at(2000))).kind,
    ).toBe('rotated');
    expect(await other.revokeUserSessions(userId, at(3000))).toBe(1);
  });

  it('keeps a user’s API keys: listed oldest first, found by hash, limited, deleted only by their owner', async () => {
    const userId = randomUUID();
    const older = apiKey(userId, '2026-01-01T00:00:00.000Z');
    const newer = apiKey(userId, '2026-01-02T00:00:00.000Z');
    expect(await store.createApiKey(newer, 2)).toBe(true);
    expect(await store.createApiKey(older, 2)).toBe(true);
    expect(await other.createApiKey(apiKey(userId, NOW.toISOString()), 2)).toBe(false);
    expect(await other.listApiKeys(userId)).toEqual([older, newer]);
    expect(await other.findApiKey(older.sha256)).toEqual(older);
    expect(await other.findApiKey('0'.repeat(64))).toBeUndefined();

    expect(await store.deleteApiKey(randomUUID(), older.key_id)).toBe(false);
    expect(await store.deleteApiKey(userId, older.key_id)).toBe(true);
    expect(await store.deleteApiKey(userId, older.key_id)).toBe(false);
    expect(await other.findApiKey(older.sha256)).toBeUndefined();
    expect(await other.listApiKeys(userId)).toEqual([newer]);
    expect(await other.listApiKeys(randomUUID())).toEqual([]);
  });

  it('counts sign-in failures, forgets them after the window, and clears them', async () => {
    const pair = randomBytes(16).toString('hex');
    expect(await store.getSignInFailures(pair, NOW)).toBeUndefined();
    expect((await store.recordSignInFailure(pair, NOW, 60_000)).count).toBe(1);
    expect((await other.recordSignInFailure(pair, at(1000), 60_000)).count).toBe(2);
    expect(await store.getSignInFailures(pair, at(2000))).toEqual({
      count: 2,
      last_failure_at: at(1000).toISOString(),
    });
    // Forgotten a window after the last failure: the count starts again.
    expect(await store.getSignInFailures(pair, at(61_000))).toBeUndefined();
    expect((await store.recordSignInFailure(pair, at(61_000), 60_000)).count).toBe(1);
    await other.clearSignInFailures(pair);
    expect(await store.getSignInFailures(pair, at(62_000))).toBeUndefined();
  });
});
