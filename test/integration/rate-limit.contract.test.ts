import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { MongoClient } from 'mongodb';
import {
  AtomicMongoRateLimitStore,
  CoalescingRateLimitStore,
  createDynamoClient,
  DynamoRateLimitStore,
  MongoRateLimitStore,
  startEmbeddedDynamo,
} from '@mediaflow/repository';
import type { EmbeddedDynamo, RateLimitRequest, RateLimitStore } from '@mediaflow/repository';

/**
 * The rate-limit stores on the servers the tests run: DynamoDB Local and
 * dynalite (the atomic DynamoDB store), FerretDB v1 (the chain store, and the
 * atomic MongoDB store for sequential semantics only: FerretDB v1 does not
 * apply conditional updates atomically). Concurrency: exactly capacity of
 * many concurrent takes pass, and none under the limit is refused.
 */

const MONGO_URL = process.env.MONGO_URL ?? '';
const DYNAMODB_ENDPOINT = process.env.DYNAMODB_ENDPOINT ?? '';
const MONGO_DB = 'mediaflow_test';
const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

interface Backend {
  name: string;
  /** Whether concurrent takes of one key are atomic on this server (else: sequential tests only). */
  concurrent: boolean;
  /** Whether a bare store (no coalescing) may be raced by hundreds of takes: only the conditional-update stores. */
  raceBare: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Another store on the same buckets, as another API replica would have. */
  open(deadlineMs?: number): RateLimitStore;
  /** Forgets the buckets of this test. */
  reset(): Promise<void>;
}

function mongoBackend(kind: 'chain' | 'atomic'): Backend {
  let admin: MongoClient | undefined;
  let collection = uniqueName('rate');
  return {
    name: kind === 'chain' ? 'FerretDB, chain store (ferretdb-v1)' : 'FerretDB, atomic store (sequential only)',
    concurrent: kind === 'chain',
    raceBare: false,
    start: async () => {
      admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
      await admin.connect();
    },
    stop: async () => admin?.close(),
    open: () =>
      kind === 'chain'
        ? new MongoRateLimitStore({ url: MONGO_URL, dbName: MONGO_DB, collection })
        : new AtomicMongoRateLimitStore({ url: MONGO_URL, dbName: MONGO_DB, collection }),
    reset: async () => {
      await admin
        ?.db(MONGO_DB)
        .collection(collection)
        .drop()
        .catch(() => undefined);
      collection = uniqueName('rate');
    },
  };
}

function dynamoBackend(kind: 'local' | 'dynalite'): Backend {
  let table = uniqueName('rate-limits');
  let embedded: EmbeddedDynamo | undefined;
  let dataDir = '';
  const endpoint = (): string => (kind === 'local' ? DYNAMODB_ENDPOINT : (embedded?.endpoint ?? ''));
  return {
    name: kind === 'local' ? 'DynamoDB Local' : 'dynalite',
    concurrent: true,
    raceBare: true,
    start: async () => {
      if (kind === 'local') return;
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-rate-dynalite-'));
      embedded = await startEmbeddedDynamo({ dataDir });
    },
    stop: async () => {
      await embedded?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    open: (deadlineMs) =>
      new DynamoRateLimitStore({
        deadlineMs,
        client: createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint() }),
        tableName: table,
        destroyClientOnClose: true,
        compat: kind === 'dynalite' ? 'dynalite' : 'none',
      }),
    reset: async () => {
      const client = createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint() });
      await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      client.destroy();
      table = uniqueName('rate-limits');
    },
  };
}

const start = new Date('2025-05-01T12:00:00.000Z');
const at = (base: Date, offsetMs: number): Date => new Date(base.getTime() + offsetMs);

describe.each([dynamoBackend('local'), dynamoBackend('dynalite'), mongoBackend('chain'), mongoBackend('atomic')])(
  'RateLimitStore contract: $name',
  (backend) => {
    const opened: RateLimitStore[] = [];
    let limits: RateLimitStore;
    const open = async (coalescing = false, deadlineMs?: number): Promise<RateLimitStore> => {
      const bare = backend.open(deadlineMs);
      const store = coalescing ? new CoalescingRateLimitStore(bare) : bare;
      opened.push(store);
      await store.init();
      return store;
    };
    const concurrentIt = backend.concurrent ? it : it.skip;

    beforeAll(async () => backend.start());
    afterAll(async () => backend.stop());
    beforeEach(async () => {
      limits = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map(async (store) => store.close()));
      await backend.reset();
    });

    const bucket = { key: 'submit:key-a', capacity: 5, refillPerSecond: 1 };

    it('has burst capacity, refills at its rate, and tells when to retry', async () => {
      for (let index = 4; index >= 0; index -= 1) {
        await expect(limits.take({ ...bucket, now: start })).resolves.toEqual({
          allowed: true,
          remaining: index,
          retryAfterMs: 0,
          // Full again once the tokens taken have refilled: 1 s each.
          resetMs: (5 - index) * 1000,
        });
      }
      await expect(limits.take({ ...bucket, now: at(start, 400) })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 600,
        resetMs: 4600,
      });
      // Another replica, with its own cache of the bucket, sees the same bucket.
      const other = await open();
      await expect(other.take({ ...bucket, now: at(start, 2500) })).resolves.toEqual({
        allowed: true,
        remaining: 1,
        retryAfterMs: 0,
        resetMs: 3500,
      });
      await expect(limits.take({ ...bucket, now: at(start, 2500) })).resolves.toMatchObject({ allowed: true });
      await expect(limits.take({ ...bucket, now: at(start, 2500) })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 500,
        resetMs: 4500,
      });
      // A day idle: full again, and no fuller.
      const results = [];
      for (let index = 0; index < 7; index += 1)
        results.push(await other.take({ ...bucket, now: at(start, 86_400_000) }));
      expect(results.filter((result) => result.allowed)).toHaveLength(5);
    });

    it('takes several tokens at once, and grants part of a partial take', async () => {
      const costly = { ...bucket, capacity: 10, refillPerSecond: 2, now: start };
      await expect(limits.take({ ...costly, cost: 7 })).resolves.toEqual({
        allowed: true,
        remaining: 3,
        retryAfterMs: 0,
        resetMs: 3500,
      });
      await expect(limits.take({ ...costly, cost: 4 })).resolves.toEqual({
        allowed: false,
        remaining: 3,
        retryAfterMs: 500,
        resetMs: 3500,
      });
      await expect(limits.takeUpTo({ ...costly, cost: 6, unit: 2 })).resolves.toEqual({
        granted: 2,
        remaining: 1,
        retryAfterMs: 500,
        resetMs: 4500,
      });
      await expect(limits.takeUpTo({ ...costly, cost: 6, unit: 2 })).resolves.toEqual({
        granted: 0,
        remaining: 1,
        retryAfterMs: 500,
        resetMs: 4500,
      });
    });

    it('sees a lagging clock as an emptier bucket, never a fuller one', async () => {
      await limits.take({ ...bucket, cost: 5, now: at(start, 10_000) });
      await expect(limits.take({ ...bucket, now: start })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 11_000,
        resetMs: 15_000,
      });
    });

    it('rejects limits that cannot work as INTERNAL', async () => {
      for (const wrong of [{ capacity: 0 }, { refillPerSecond: 0 }, { cost: 6 }, { cost: 0 }]) {
        await expect(limits.take({ ...bucket, now: start, ...wrong })).rejects.toMatchObject({ code: 'INTERNAL' });
      }
    });

    const race = async (stores: RateLimitStore[], total: number, request: Omit<RateLimitRequest, 'now'>) => {
      const results = await Promise.allSettled(
        Array.from({ length: total }, async (_, index) =>
          stores[index % stores.length].take({ ...request, now: at(start, index % 7) }),
        ),
      );
      const failed = results.filter((result) => result.status === 'rejected');
      expect(failed).toEqual([]);
      return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    };

    concurrentIt(
      '200 concurrent takes of capacity 100 over two coalescing replicas: exactly 100 allowed',
      async () => {
        const replicas = [await open(true), await open(true)];
        const results = await race(replicas, 200, { key: 'submit:hot', capacity: 100, refillPerSecond: 0.0001 });
        expect(results.filter((result) => result.allowed)).toHaveLength(100);
        for (const refused of results.filter((result) => !result.allowed)) {
          expect(refused.retryAfterMs).toBeGreaterThan(0);
        }
      },
      30_000,
    );

    concurrentIt(
      '64 concurrent takes under the limit over two coalescing replicas: none refused',
      async () => {
        const replicas = [await open(true), await open(true)];
        const results = await race(replicas, 64, { key: 'submit:under', capacity: 64, refillPerSecond: 0.0001 });
        expect(results.filter((result) => !result.allowed)).toEqual([]);
      },
      30_000,
    );

    (backend.raceBare ? it : it.skip)(
      '200 concurrent takes of capacity 100 over three bare replicas: exactly 100 allowed',
      async () => {
        // Without coalescing, 200 takes of one key keep each other busy for a while: no deadline to race.
        const replicas = [await open(false, 20_000), await open(false, 20_000), await open(false, 20_000)];
        const results = await race(replicas, 200, { key: 'submit:bare', capacity: 100, refillPerSecond: 0.0001 });
        expect(results.filter((result) => result.allowed)).toHaveLength(100);
      },
      30_000,
    );
  },
);

/**
 * FerretDB v1 filters and sorts in memory: a take of the chain store must not
 * query by anything but `_id`, however long the chain, once its process knows
 * the bucket (see MongoRateLimitStore).
 */
describe('MongoRateLimitStore on a long chain', () => {
  const collection = uniqueName('rate_long');
  const commands: { name: string; filters: unknown[] }[] = [];
  let client: MongoClient;
  let store: MongoRateLimitStore;

  beforeAll(async () => {
    client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000, monitorCommands: true });
    client.on('commandStarted', (event) => {
      const command = event.command as Record<string, unknown>;
      const statements = (command.deletes ?? command.updates ?? []) as { q: unknown }[];
      const filters = 'filter' in command ? [command.filter] : statements.map((statement) => statement.q);
      commands.push({ name: event.commandName, filters });
    });
    await client.connect();
    store = new MongoRateLimitStore({ client, dbName: MONGO_DB, collection });
    await store.init();
  });

  afterAll(async () => {
    await client
      .db(MONGO_DB)
      .collection(collection)
      .drop()
      .catch(() => undefined);
    await store.close();
    await client.close();
  });

  it('takes with a handful of `_id` lookups after 2,000 entries of one bucket', async () => {
    const request = { key: 'submit:long', capacity: 1_000_000, refillPerSecond: 1000 };
    await store.take({ ...request, now: new Date() });
    const entries = client.db(MONGO_DB).collection<{ _id: string; bucket: string; token: string }>(collection);
    const first = await entries.findOne({ version: 1 });
    expect(first).not.toBeNull();
    const { bucket } = first!;
    // 2,000 more entries of the bucket, as 2,000 takes would have left them.
    let prev = first!.token;
    const now = Date.now();
    const filler = Array.from({ length: 2000 }, (_, index) => {
      const token = randomBytes(8).toString('hex');
      const entry = {
        _id: `${bucket}#${index + 2}`,
        bucket,
        version: index + 2,
        tat: now,
        tokens: request.capacity,
        updated_ms: now,
        token,
        prev,
        written_at: new Date(now),
        expires_at: new Date(now + 2 * 3_600_000),
      };
      prev = token;
      return entry;
    });
    await entries.insertMany(filler);
    // The store lost track (2,000 versions behind): one take to find the newest again.
    await expect(store.take({ ...request, now: new Date() })).resolves.toMatchObject({ allowed: true });

    const perTake: number[] = [];
    for (let index = 0; index < 40; index += 1) {
      commands.length = 0;
      await expect(store.take({ ...request, now: new Date() })).resolves.toMatchObject({ allowed: true });
      perTake.push(commands.length);
      for (const command of commands) {
        for (const filter of command.filters) expect(Object.keys(filter as object)).toEqual(['_id']);
      }
    }
    // Read the newest, look past it, insert, verify; now and then a hint or a prune.
    perTake.sort((a, b) => a - b);
    expect(perTake[Math.floor(perTake.length / 2)]).toBeLessThanOrEqual(4);
    expect(perTake.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(40 * 4 + 30);
    await expect(entries.countDocuments({ bucket })).resolves.toBe(2042);
  }, 60_000);
});
