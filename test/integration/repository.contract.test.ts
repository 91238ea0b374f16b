import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MongoClient } from 'mongodb';
import { AppError, loadConfig } from '@mediaflow/domain';
import type { Job, OperationSpec } from '@mediaflow/domain';
import {
  createDynamoClient,
  createJobRepository,
  DynamoJobRepository,
  DynamoRateLimitStore,
  MongoJobRepository,
  MongoRateLimitStore,
} from '@mediaflow/repository';
import type { JobRepository, ListJobsQuery, NewJob, RateLimitStore } from '@mediaflow/repository';
import { contractBackends, MONGO_DB, MONGO_URL, uniqueName } from '../support/contract-backends';
import type { ContractDatabase } from '../support/contract-backends';

/**
 * One contract, three stores: FerretDB (MongoDB wire protocol), DynamoDB
 * Local, and dynalite as the embedded mode runs it. Every test gets its own
 * collection or table, so the stores start empty and runs never collide.
 */

// Real servers on 2 cores beside other suites: a seeded test on dynalite (the embedded
// store, pure JavaScript) can pass 5 s under load. The assertions are what matter here.
jest.setTimeout(30_000);

const DYNAMODB_ENDPOINT = process.env.DYNAMODB_ENDPOINT ?? '';

interface Store {
  /** Another repository instance on the same collection or table, as a second process would have. */
  open(): JobRepository;
  /** A rate-limit store on the same database, as another API replica would have. */
  openRateLimits(): RateLimitStore;
  drop(): Promise<void>;
  /** Direct table access for DynamoDB stores, to stage what an earlier version of the adapter left behind. */
  table?: TableTools;
}

interface TableTools {
  name: string;
  create(definition: CreateTableCommandInput): Promise<void>;
  put(tableName: string, item: Record<string, unknown>): Promise<void>;
  /** Index name -> status; undefined when the table does not exist. */
  indexes(tableName: string): Promise<Record<string, string> | undefined>;
  /** A repository on another table of the same server. */
  repository(tableName: string): JobRepository;
}

function mongoStore(database: ContractDatabase & { kind: 'mongodb' }): Store {
  const collection = uniqueName('jobs');
  return {
    open: () =>
      new MongoJobRepository({ url: database.url, dbName: database.dbName, collection, compat: 'ferretdb-v1' }),
    openRateLimits: () =>
      new MongoRateLimitStore({
        url: database.url,
        dbName: database.dbName,
        collection: `${collection}_rate_limits`,
        // Sixty uncoalesced takes of one bucket on FerretDB under a loaded CI can outlast the 2 s default;
        // the assertions (how many are granted) are the same.
        deadlineMs: 10_000,
      }),
    drop: async () => dropMongoCollections(database.admin, collection),
  };
}

/** A fresh collection or table on the backend's database. */
function storeOn(database: ContractDatabase): Store {
  return database.kind === 'mongodb' ? mongoStore(database) : dynamoStore(database);
}

/** The jobs collection and the collections the adapters keep beside it. */
async function dropMongoCollections(client: MongoClient | undefined, collection: string): Promise<void> {
  const db = client?.db(MONGO_DB);
  for (const name of [collection, `${collection}_claims`, `${collection}_idempotency`, `${collection}_rate_limits`]) {
    await db
      ?.collection(name)
      .drop()
      .catch(() => undefined);
  }
}

function dynamoStore(database: ContractDatabase & { kind: 'dynamodb' }): Store {
  const { compat } = database;
  const tableName = uniqueName('mediaflow-jobs');
  const clientFor = (): DynamoDBClient => database.client();
  async function withClient<T>(use: (client: ReturnType<typeof clientFor>) => Promise<T>): Promise<T> {
    const client = clientFor();
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  }
  return {
    open: () => new DynamoJobRepository({ client: clientFor(), tableName, destroyClientOnClose: true, compat }),
    openRateLimits: () =>
      new DynamoRateLimitStore({
        client: clientFor(),
        tableName,
        destroyClientOnClose: true,
        compat,
      }),
    drop: async () =>
      withClient(async (client) => {
        // The staging table exists only when a test interrupted a rebuild on purpose.
        for (const name of [tableName, `${tableName}.rebuild`]) {
          await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
        }
      }),
    table: {
      name: tableName,
      create: async (definition) =>
        withClient(async (client) => {
          await client.send(new CreateTableCommand(definition));
          // dynalite creates tables with several indexes asynchronously, even with createTableMs: 0.
          for (let polls = 0; polls < 100; polls += 1) {
            const described = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
            if (described.Table?.TableStatus === 'ACTIVE') return;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          throw new Error(`table ${definition.TableName} did not become ACTIVE`);
        }),
      put: async (name, item) =>
        withClient(async (client) => {
          await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: name, Item: item }));
        }),
      indexes: async (name) =>
        withClient(async (client) => {
          const described = await client.send(new DescribeTableCommand({ TableName: name })).catch((error: unknown) => {
            if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
            throw error;
          });
          if (!described?.Table) return undefined;
          return Object.fromEntries(
            (described.Table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.IndexStatus]),
          ) as Record<string, string>;
        }),
      repository: (name) =>
        new DynamoJobRepository({ client: clientFor(), tableName: name, destroyClientOnClose: true }),
    },
  };
}

/**
 * The table as earlier versions of the adapter created it: without the owner
 * indexes, and two versions back also without `by_dead_letter`.
 */
function previousTableDefinition(tableName: string, withDeadLetterIndex = false): CreateTableCommandInput {
  const index = (name: string, partitionKey: string, sortKey: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      'job_id',
      'list_pk',
      'created_sort',
      'status',
      'lease_sort',
      ...(withDeadLetterIndex ? ['dlq_pk', 'dead_letter_sort'] : []),
    ].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      index('by_created', 'list_pk', 'created_sort'),
      index('by_status', 'status', 'lease_sort'),
      ...(withDeadLetterIndex ? [index('by_dead_letter', 'dlq_pk', 'dead_letter_sort')] : []),
    ],
  };
}

/** A queued job as the previous version stored it: its status sort key a bare creation time. */
function previousQueuedItem(job: NewJob): Record<string, unknown> {
  return {
    job_id: job.job_id,
    status: 'queued',
    method_name: job.operation.method_name,
    output_format: job.operation.output_format,
    params: job.operation.params,
    source: job.source,
    progress: 0,
    attempts: 0,
    created_at: job.created_at,
    updated_at: job.created_at,
    outputs: [],
    history: [{ status: 'queued', at: job.created_at }],
    list_pk: 'JOB',
    created_sort: `${job.created_at}#${job.job_id}`,
    lease_sort: job.created_at,
    ...(job.owner === undefined ? {} : { owner: job.owner }),
  };
}

/** A job as the previous version stored it in another status: owner kept, but no `active_owner`. */
function previousItemIn(job: NewJob, status: 'processing' | 'completed', now: Date): Record<string, unknown> {
  const queued = previousQueuedItem(job);
  if (status === 'processing') {
    const lease = at(now, LEASE_MS).toISOString();
    return {
      ...queued,
      status,
      attempts: 1,
      worker_id: 'worker-old',
      started_at: now.toISOString(),
      lease_expires_at: lease,
      lease_sort: lease,
    };
  }
  const rest = Object.fromEntries(Object.entries(queued).filter(([name]) => name !== 'lease_sort'));
  return { ...rest, status, attempts: 1, progress: 100, completed_at: now.toISOString() };
}

const operation: OperationSpec = {
  method_name: 'compress',
  output_format: 'mp4',
  params: { crf: 28, preset: 'veryfast' },
};

function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    job_id: randomUUID(),
    source: 's3://mediaflow-input/videos/clip.mp4',
    operation,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

const LEASE_MS = 60_000;
const at = (base: Date, offsetMs: number): Date => new Date(base.getTime() + offsetMs);

const ALL_INDEXES_ACTIVE = {
  by_created: 'ACTIVE',
  by_status: 'ACTIVE',
  by_dead_letter: 'ACTIVE',
  by_owner: 'ACTIVE',
  by_active_owner: 'ACTIVE',
  by_status_created: 'ACTIVE',
  by_status_owner: 'ACTIVE',
  by_status_method: 'ACTIVE',
  by_status_owner_method: 'ACTIVE',
  by_method: 'ACTIVE',
  by_method_owner: 'ACTIVE',
  by_reuse_key: 'ACTIVE',
  by_finished: 'ACTIVE',
};

describe.each(contractBackends())('JobRepository contract: $name', (backend) => {
  let store: Store;
  let repository: JobRepository;
  const opened: JobRepository[] = [];

  const open = (target: Store = store): JobRepository => {
    const instance = target.open();
    opened.push(instance);
    return instance;
  };

  beforeAll(async () => backend.start());
  afterAll(async () => backend.stop());

  beforeEach(async () => {
    store = storeOn(backend.database());
    repository = open();
    await repository.init();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async (instance) => instance.close()));
    await store.drop();
  });

  async function createQueued(overrides: Partial<NewJob> = {}): Promise<Job> {
    return repository.create(newJob(overrides));
  }

  async function claimed(workerId = 'worker-a', now = new Date()): Promise<Job> {
    const job = await createQueued();
    const result = await repository.claim({ jobId: job.job_id, workerId, now, leaseMs: LEASE_MS });
    if (!result) throw new Error('setup claim failed');
    return result;
  }

  describe('init', () => {
    it('is idempotent, also when several processes run it at once on a new store', async () => {
      const fresh = storeOn(backend.database());
      try {
        const instances = [open(fresh), open(fresh), open(fresh), open(fresh)];
        await Promise.all(instances.map(async (instance) => instance.init()));
        await instances[0].init();
        await instances[1].init();
        const job = await instances[2].create(newJob());
        await expect(instances[3].get(job.job_id)).resolves.toEqual(job);
      } finally {
        await Promise.all(opened.splice(1).map(async (instance) => instance.close()));
        await fresh.drop();
      }
    });

    it('ping succeeds against a running database', async () => {
      await expect(repository.ping()).resolves.toBeUndefined();
    });

    it('checkSchema() creates nothing and names what is missing until init() (the migration) has run', async () => {
      const fresh = storeOn(backend.database());
      const limits = fresh.openRateLimits();
      try {
        const instance = open(fresh);
        const notMigrated = { code: 'DATABASE_ERROR', details: { reason: 'SCHEMA_NOT_MIGRATED' } };
        await expect(instance.checkSchema()).rejects.toMatchObject(notMigrated);
        await expect(instance.checkSchema()).rejects.toThrow(/npm run db:migrate/);
        await expect(instance.checkSchema()).rejects.toThrow(
          backend.kind === 'dynamodb' ? /table .*mediaflow-jobs/ : /index by_/,
        );
        await expect(limits.checkSchema()).rejects.toMatchObject(notMigrated);
        // Checking created nothing: still missing.
        await expect(instance.checkSchema()).rejects.toMatchObject(notMigrated);
        await instance.init();
        await limits.init();
        await expect(instance.checkSchema()).resolves.toBeUndefined();
        await expect(limits.checkSchema()).resolves.toBeUndefined();
        // Another process, as a worker started after `npm run db:migrate`, finds it too.
        await expect(open(fresh).checkSchema()).resolves.toBeUndefined();
      } finally {
        await limits.close();
        await Promise.all(opened.splice(1).map(async (instance) => instance.close()));
        await fresh.drop();
      }
    });
  });

  describe('create and get', () => {
    it('stores a queued job and reads it back without storage fields', async () => {
      const input = newJob();
      const created = await repository.create(input);
      expect(created).toEqual({
        job_id: input.job_id,
        status: 'queued',
        method_name: 'compress',
        output_format: 'mp4',
        params: { crf: 28, preset: 'veryfast' },
        source: input.source,
        progress: 0,
        attempts: 0,
        created_at: input.created_at,
        updated_at: input.created_at,
        outputs: [],
        history: [{ status: 'queued', at: input.created_at }],
      });
      const read = await repository.get(input.job_id);
      expect(read).toEqual(created);
      expect(Object.keys(read ?? {}).sort()).toEqual(Object.keys(created).sort());
    });

    it('returns null for an unknown job', async () => {
      await expect(repository.get(randomUUID())).resolves.toBeNull();
    });

    it('keeps a job’s several sources in order, and lists them', async () => {
      const sources = [0, 1, 2].map((n) => `s3://mediaflow-input/uploads/key-a/chunk-${n}.webm`);
      const input = newJob({ source: sources[0], sources, owner: 'key-a' });
      const created = await repository.create(input);
      expect(created).toMatchObject({ source: sources[0], sources });
      await expect(repository.get(input.job_id)).resolves.toMatchObject({ source: sources[0], sources });
      const [batched] = await repository.createMany([newJob({ source: sources[1], sources: sources.slice(1) })]);
      await expect(repository.get(batched.job_id)).resolves.toMatchObject({ sources: sources.slice(1) });
      const page = await repository.list({ limit: 10, skip: 0, owner: 'key-a' });
      expect(page.jobs.find((job) => job.job_id === input.job_id)?.sources).toEqual(sources);
      // A one-source job has no `sources` at all.
      expect(await repository.get((await repository.create(newJob())).job_id)).not.toHaveProperty('sources');
    });
  });

  describe('createMany', () => {
    /** Inputs covering every kind of job create() stores: owned, keyed, reused, ownerless. */
    function variety(created_at: string): NewJob[] {
      return [
        newJob({ created_at, owner: 'key-a', idempotency_key: 'idem-1', source_sha256: 'ab'.repeat(32) }),
        newJob({ created_at, owner: 'key-a', reuse_key: 'reuse-1' }),
        newJob({
          created_at,
          owner: 'key-b',
          reuse_key: 'reuse-1',
          reuse: { from: 'job-0', outputs: [{ kind: 'video', path: 'out.mp4', content_type: 'video/mp4' }] },
          recordExpiresAt: at(new Date(), 3_600_000),
        }),
        newJob({ created_at }),
      ];
    }

    it('stores nothing for an empty list', async () => {
      await expect(repository.createMany([])).resolves.toEqual([]);
      await expect(repository.list({ limit: 10, skip: 0 })).resolves.toMatchObject({ jobs: [], count: 0 });
    });

    it('stores each job exactly as create() does, in the order given', async () => {
      const created_at = new Date(Date.now() - 1000).toISOString();
      const batch = variety(created_at);
      const singles = variety(created_at);
      const many = await repository.createMany(batch);
      expect(many.map((job) => job.job_id)).toEqual(batch.map((job) => job.job_id));
      const one: Job[] = [];
      for (const input of singles) one.push(await repository.create(input));
      for (const [index, job] of many.entries()) {
        const twin = one[index];
        expect(job).toEqual({ ...twin, job_id: job.job_id });
        await expect(repository.get(job.job_id)).resolves.toEqual(job);
      }
      expect(many[2]).toMatchObject({ status: 'completed', reused_from: 'job-0' });

      // The indexes see them as they see create()'s jobs.
      await expect(repository.countActive('key-a')).resolves.toBe(4);
      await expect(repository.countActive('key-b')).resolves.toBe(0);
      await expect(repository.list({ limit: 20, skip: 0, owner: 'key-a', status: 'queued' })).resolves.toMatchObject({
        count: 4,
      });
      await expect(repository.findByReuseKey('reuse-1', 10)).resolves.toHaveLength(4);
      const recoverable = await repository.findRecoverable(new Date(), 20);
      expect(recoverable.map((job) => job.job_id).sort()).toEqual(
        [...many, ...one]
          .filter((job) => job.status === 'queued')
          .map((job) => job.job_id)
          .sort(),
      );
      const expirable = await repository.findExpirable(new Date(Date.now() + 1000), 10);
      expect(expirable.map((job) => job.job_id).sort()).toEqual([many[2].job_id, one[2].job_id].sort());
      // And they move through the state machine like any job.
      await expect(
        repository.claim({ jobId: many[0].job_id, workerId: 'worker-a', now: new Date(), leaseMs: LEASE_MS }),
      ).resolves.toMatchObject({ status: 'processing', attempts: 1 });
    });

    it('writes 60 jobs, more than one DynamoDB batch of 25', async () => {
      const base = Date.parse('2025-01-01T00:00:00.000Z');
      const inputs = Array.from({ length: 60 }, (_, index) =>
        newJob({ created_at: new Date(base + index * 1000).toISOString(), owner: 'key-c' }),
      );
      const created = await repository.createMany(inputs);
      expect(created.map((job) => job.job_id)).toEqual(inputs.map((job) => job.job_id));
      const page = await repository.list({ limit: 100, skip: 0, owner: 'key-c' });
      expect(page.count).toBe(60);
      expect(page.jobs.map((job) => job.job_id)).toEqual(inputs.map((job) => job.job_id).reverse());
      await expect(repository.countActive('key-c')).resolves.toBe(60);
    });

    it('refuses a batch that names one job twice', async () => {
      const input = newJob();
      await expect(repository.createMany([input, { ...input }])).rejects.toMatchObject({ code: 'INTERNAL' });
    });

    if (backend.kind !== 'dynamodb') {
      it('names a job that already exists rather than overwriting it', async () => {
        const existing = await createQueued({ owner: 'key-a' });
        const fresh = newJob();
        await expect(repository.createMany([fresh, newJob({ job_id: existing.job_id })])).rejects.toThrow(
          existing.job_id,
        );
        await expect(repository.get(existing.job_id)).resolves.toEqual(existing);
      });
    }
  });

  describe('list', () => {
    // Three jobs share each timestamp so the job_id tie-break is exercised too.
    async function seed(total: number): Promise<Job[]> {
      const base = Date.parse('2025-01-01T00:00:00.000Z');
      const jobs: Job[] = [];
      for (let index = 0; index < total; index += 1) {
        const created_at = new Date(base + Math.floor(index / 3) * 1000).toISOString();
        jobs.push(await repository.create(newJob({ created_at })));
      }
      return jobs.sort((a, b) =>
        a.created_at === b.created_at ? b.job_id.localeCompare(a.job_id) : b.created_at.localeCompare(a.created_at),
      );
    }

    const ids = (jobs: readonly Job[]): string[] => jobs.map((job) => job.job_id);

    it('is empty on an empty store', async () => {
      await expect(repository.list({ limit: 10, skip: 0 })).resolves.toEqual({ jobs: [], count: 0 });
    });

    it('lists newest first with the total count', async () => {
      const expected = await seed(7);
      const page = await repository.list({ limit: 10, skip: 0 });
      expect(ids(page.jobs)).toEqual(ids(expected));
      expect(page.count).toBe(7);
      expect(page.next_cursor).toBeUndefined();
      expect(page.jobs[0]).toEqual(expected[0]);
    });

    it('pages through 25 jobs with a cursor, each exactly once and in order', async () => {
      const expected = await seed(25);
      const seen: Job[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repository.list({ limit: 10, skip: 0, ...(cursor ? { cursor } : {}) });
        expect(page.count).toBe(25);
        sizes.push(page.jobs.length);
        seen.push(...page.jobs);
        cursor = page.next_cursor;
      } while (cursor);
      expect(sizes).toEqual([10, 10, 5]);
      expect(ids(seen)).toEqual(ids(expected));
    });

    it('offers no cursor when the page ends exactly at the last job', async () => {
      await seed(20);
      const first = await repository.list({ limit: 10, skip: 0 });
      const second = await repository.list({ limit: 10, skip: 0, cursor: first.next_cursor });
      expect(second.jobs).toHaveLength(10);
      expect(second.next_cursor).toBeUndefined();
    });

    it('skips by offset', async () => {
      const expected = await seed(25);
      const second = await repository.list({ limit: 10, skip: 10 });
      expect(ids(second.jobs)).toEqual(ids(expected.slice(10, 20)));
      expect(second.count).toBe(25);
      const last = await repository.list({ limit: 10, skip: 20 });
      expect(ids(last.jobs)).toEqual(ids(expected.slice(20)));
      expect(last.next_cursor).toBeUndefined();
      const beyond = await repository.list({ limit: 10, skip: 40 });
      expect(beyond.jobs).toEqual([]);
      expect(beyond.count).toBe(25);
    });

    it('continues from a cursor taken after a skip', async () => {
      const expected = await seed(12);
      const skipped = await repository.list({ limit: 4, skip: 4 });
      const next = await repository.list({ limit: 4, skip: 0, cursor: skipped.next_cursor });
      expect(ids(next.jobs)).toEqual(ids(expected.slice(8, 12)));
    });

    it.each([
      ['not base64url', 'not a cursor!'],
      ['not JSON', Buffer.from('nope').toString('base64url')],
      ['a JSON array', Buffer.from('["2025-01-01T00:00:00.000Z","x"]').toString('base64url')],
      ['missing fields', Buffer.from('{}').toString('base64url')],
      ['wrong types', Buffer.from('{"created_at":1,"job_id":"x"}').toString('base64url')],
      [
        'extra fields',
        Buffer.from('{"created_at":"2025-01-01T00:00:00.000Z","job_id":"x","y":"z"}').toString('base64url'),
      ],
      ['an empty string', ''],
    ])('rejects a cursor that is %s with INVALID_CURSOR', async (_label, cursor) => {
      await seed(2);
      const attempt = repository.list({ limit: 10, skip: 0, cursor });
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });

  describe('claim', () => {
    it('moves a queued job to processing for the worker', async () => {
      const job = await createQueued();
      const now = new Date();
      const result = await repository.claim({ jobId: job.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
      expect(result).toMatchObject({
        job_id: job.job_id,
        status: 'processing',
        attempts: 1,
        worker_id: 'worker-a',
        lease_expires_at: at(now, LEASE_MS).toISOString(),
        started_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      expect(result?.history.at(-1)).toEqual({
        status: 'processing',
        at: now.toISOString(),
        worker_id: 'worker-a',
        attempt: 1,
      });
      await expect(repository.get(job.job_id)).resolves.toEqual(result);
    });

    it('refuses a job held by a live lease', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, LEASE_MS - 1000), leaseMs: LEASE_MS }),
      ).resolves.toBeNull();
      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-a', now: at(now, 1000), leaseMs: LEASE_MS }),
      ).resolves.toBeNull();
      await expect(repository.get(job.job_id)).resolves.toMatchObject({ worker_id: 'worker-a', attempts: 1 });
    });

    it('takes over an expired lease, after which the first worker can no longer write', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      const later = at(now, LEASE_MS + 1000);
      const takeover = await repository.claim({
        jobId: job.job_id,
        workerId: 'worker-b',
        now: later,
        leaseMs: LEASE_MS,
      });
      expect(takeover).toMatchObject({
        status: 'processing',
        attempts: 2,
        worker_id: 'worker-b',
        lease_expires_at: at(later, LEASE_MS).toISOString(),
      });
      expect(takeover?.history.at(-1)).toMatchObject({ worker_id: 'worker-b', attempt: 2 });

      const stale = 'worker-a';
      await expect(
        repository.updateProgress(job.job_id, stale, { progress: 50, leaseExpiresAt: at(later, LEASE_MS) }),
      ).resolves.toBe(false);
      await expect(
        repository.complete(job.job_id, stale, { now: later, outputs: [], output_path: 's3://out/x.mp4' }),
      ).resolves.toBe(false);
      await expect(
        repository.fail(job.job_id, stale, { now: later, error: { code: 'FFMPEG_FAILED', message: 'boom' } }),
      ).resolves.toBe(false);
      await expect(repository.release(job.job_id, stale, later, 'shutting down')).resolves.toBe(false);
      await expect(repository.get(job.job_id)).resolves.toEqual(takeover);
    });

    it('lets exactly one of ten concurrent claimers win', async () => {
      const job = await createQueued();
      const instances = [repository, open(), open()];
      const now = new Date();
      const results = await Promise.all(
        Array.from({ length: 10 }, async (_, index) =>
          instances[index % instances.length].claim({
            jobId: job.job_id,
            workerId: `worker-${index}`,
            now,
            leaseMs: LEASE_MS,
          }),
        ),
      );
      const winners = results.filter((result): result is Job => result !== null);
      expect(winners).toHaveLength(1);
      const stored = await repository.get(job.job_id);
      expect(stored).toMatchObject({ status: 'processing', attempts: 1, worker_id: winners[0].worker_id });
      expect(stored?.history.filter((entry) => entry.status === 'processing')).toHaveLength(1);
    });

    it('lets exactly one of ten concurrent claimers take over an expired lease', async () => {
      const now = new Date();
      const job = await claimed('worker-gone', now);
      const instances = [repository, open(), open()];
      const later = at(now, LEASE_MS + 1000);
      const results = await Promise.all(
        Array.from({ length: 10 }, async (_, index) =>
          instances[index % instances.length].claim({
            jobId: job.job_id,
            workerId: `worker-${index}`,
            now: later,
            leaseMs: LEASE_MS,
          }),
        ),
      );
      const winners = results.filter((result): result is Job => result !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ attempts: 2 });
      await expect(repository.get(job.job_id)).resolves.toMatchObject({
        attempts: 2,
        worker_id: winners[0].worker_id,
      });
    });

    it('returns null for unknown, completed and failed jobs', async () => {
      const now = new Date();
      await expect(
        repository.claim({ jobId: randomUUID(), workerId: 'worker-a', now, leaseMs: LEASE_MS }),
      ).resolves.toBeNull();

      const done = await claimed('worker-a', now);
      await repository.complete(done.job_id, 'worker-a', { now, outputs: [], output_path: 's3://out/done.mp4' });
      const failed = await claimed('worker-a', now);
      await repository.fail(failed.job_id, 'worker-a', { now, error: { code: 'NOT_MEDIA', message: 'not media' } });

      const muchLater = at(now, 10 * LEASE_MS);
      for (const jobId of [done.job_id, failed.job_id]) {
        await expect(
          repository.claim({ jobId, workerId: 'worker-b', now: muchLater, leaseMs: LEASE_MS }),
        ).resolves.toBeNull();
      }
    });
  });

  describe('multi-step jobs', () => {
    const steps = [
      { method_name: 'compress', output_format: 'mp4', params: { crf: 28, preset: 'veryfast' } },
      { method_name: 'extract_audio', output_format: 'mp3', params: {} },
    ];
    const output = {
      kind: 'video',
      path: 'step-1/clip_compress.mp4',
      content_type: 'video/mp4',
      size_bytes: 10,
      object: 's3://mediaflow-output/jobs/x/step-1/clip_compress.mp4',
      primary: true,
      step: 0,
    };

    it('stores the steps and a checkpoint, which a retry keeps and a requeue drops', async () => {
      const created = await repository.create(newJob({ steps, preset: 'meeting_recording' }));
      expect(created.steps).toEqual(steps);
      await expect(repository.get(created.job_id)).resolves.toMatchObject({ preset: 'meeting_recording' });
      await expect(repository.get(created.job_id)).resolves.toMatchObject({ steps });
      const claimedJob = await repository.claim({
        jobId: created.job_id,
        workerId: 'worker-a',
        now: new Date(),
        leaseMs: LEASE_MS,
      });
      expect(claimedJob).not.toBeNull();
      const checkpoint = { index: 0, outputs: [output], at: new Date().toISOString() };
      await expect(
        repository.completeStep(created.job_id, 'worker-b', {
          now: new Date(),
          completed_steps: [checkpoint],
          outputs: [output],
        }),
      ).resolves.toBe(false);
      await expect(
        repository.completeStep(created.job_id, 'worker-a', {
          now: new Date(),
          completed_steps: [checkpoint],
          outputs: [output],
        }),
      ).resolves.toBe(true);
      await expect(repository.get(created.job_id)).resolves.toMatchObject({
        status: 'processing',
        completed_steps: [checkpoint],
        outputs: [output],
      });
      await repository.release(created.job_id, 'worker-a', new Date(), 'retry');
      await expect(repository.get(created.job_id)).resolves.toMatchObject({
        status: 'queued',
        completed_steps: [checkpoint],
      });
    });

    /** A multi-step job claimed by worker-a with step 0 checkpointed. */
    async function checkpointed(): Promise<{
      jobId: string;
      checkpoint: { index: number; outputs: (typeof output)[]; at: string };
    }> {
      const created = await repository.create(newJob({ steps }));
      await repository.claim({ jobId: created.job_id, workerId: 'worker-a', now: new Date(), leaseMs: LEASE_MS });
      const checkpoint = { index: 0, outputs: [output], at: new Date().toISOString() };
      await repository.completeStep(created.job_id, 'worker-a', {
        now: new Date(),
        completed_steps: [checkpoint],
        outputs: [output],
      });
      return { jobId: created.job_id, checkpoint };
    }

    it('keeps a failed job’s checkpoints and their outputs through a retry (requeue), to resume from them', async () => {
      const { jobId, checkpoint } = await checkpointed();
      await repository.fail(jobId, 'worker-a', { now: new Date(), error: { code: 'NO_VIDEO_STREAM', message: 'x' } });
      await expect(repository.get(jobId)).resolves.toMatchObject({ status: 'failed', outputs: [output] });
      const requeued = await repository.requeue(jobId, new Date(), 'retried');
      expect(requeued).toMatchObject({
        status: 'queued',
        attempts: 0,
        completed_steps: [checkpoint],
        outputs: [output],
      });
      expect(requeued).not.toHaveProperty('error');
    });

    it('drops a cancelled job’s outputs and checkpoints (its files are gone), keeps its log, and a retry starts over', async () => {
      const { jobId } = await checkpointed();
      await repository.requestCancel(jobId, new Date());
      await expect(
        repository.markCancelled(jobId, 'worker-a', new Date(), 's3://mediaflow-output/jobs/x/ffmpeg.log'),
      ).resolves.toBe(true);
      const cancelled = await repository.get(jobId);
      expect(cancelled).toMatchObject({
        status: 'cancelled',
        outputs: [],
        log_path: 's3://mediaflow-output/jobs/x/ffmpeg.log',
      });
      expect(cancelled).not.toHaveProperty('completed_steps');
      const requeued = await repository.requeue(jobId, new Date(), 'retried');
      expect(requeued).toMatchObject({ status: 'queued', outputs: [] });
      expect(requeued).not.toHaveProperty('completed_steps');
      expect(requeued).not.toHaveProperty('log_path');
    });
  });

  describe('worker updates', () => {
    it('records progress from the owner and renews the lease', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      const renewed = at(now, 2 * LEASE_MS);
      await expect(
        repository.updateProgress(job.job_id, 'worker-a', {
          progress: 42.5,
          speed: 1.75,
          eta_seconds: 12,
          leaseExpiresAt: renewed,
        }),
      ).resolves.toBe(true);
      const stored = await repository.get(job.job_id);
      expect(stored).toMatchObject({
        status: 'processing',
        progress: 42.5,
        speed: 1.75,
        eta_seconds: 12,
        lease_expires_at: renewed.toISOString(),
      });
      expect(stored?.updated_at).not.toBe(job.updated_at);

      // The renewed lease holds off a claim that the original lease would have allowed.
      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, LEASE_MS + 1000), leaseMs: LEASE_MS }),
      ).resolves.toBeNull();

      await expect(
        repository.updateProgress(job.job_id, 'worker-a', { progress: 60, leaseExpiresAt: renewed }),
      ).resolves.toBe(true);
      const withoutEstimates = await repository.get(job.job_id);
      expect(withoutEstimates?.progress).toBe(60);
      expect(withoutEstimates).not.toHaveProperty('speed');
      expect(withoutEstimates).not.toHaveProperty('eta_seconds');
    });

    it('refuses progress from another worker and for queued jobs', async () => {
      const job = await claimed('worker-a');
      await expect(
        repository.updateProgress(job.job_id, 'worker-b', { progress: 10, leaseExpiresAt: new Date() }),
      ).resolves.toBe(false);
      const queued = await createQueued();
      await expect(
        repository.updateProgress(queued.job_id, 'worker-a', { progress: 10, leaseExpiresAt: new Date() }),
      ).resolves.toBe(false);
      await expect(
        repository.updateProgress(randomUUID(), 'worker-a', { progress: 10, leaseExpiresAt: new Date() }),
      ).resolves.toBe(false);
      await expect(repository.get(job.job_id)).resolves.toMatchObject({ progress: 0 });
    });

    it('completes a job with its outputs and drops the running estimates', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.updateProgress(job.job_id, 'worker-a', {
        progress: 90,
        speed: 2,
        eta_seconds: 3,
        leaseExpiresAt: at(now, LEASE_MS),
      });
      const finished = at(now, 5000);
      const outputs = [
        {
          kind: 'video' as const,
          path: 's3://mediaflow-output/outputs/a.mp4',
          content_type: 'video/mp4',
          size_bytes: 1234,
        },
        { kind: 'log' as const, path: 's3://mediaflow-output/outputs/a.log', content_type: 'text/plain' },
      ];
      await expect(
        repository.complete(job.job_id, 'worker-a', {
          now: finished,
          outputs,
          output_path: outputs[0].path,
          log_path: outputs[1].path,
        }),
      ).resolves.toBe(true);

      const stored = await repository.get(job.job_id);
      expect(stored).toMatchObject({
        status: 'completed',
        progress: 100,
        outputs,
        output_path: outputs[0].path,
        log_path: outputs[1].path,
        completed_at: finished.toISOString(),
        updated_at: finished.toISOString(),
        worker_id: 'worker-a',
        attempts: 1,
      });
      expect(stored).not.toHaveProperty('speed');
      expect(stored).not.toHaveProperty('eta_seconds');
      expect(stored).not.toHaveProperty('lease_expires_at');
      expect(stored?.history.at(-1)).toEqual({
        status: 'completed',
        at: finished.toISOString(),
        worker_id: 'worker-a',
      });

      await expect(
        repository.updateProgress(job.job_id, 'worker-a', { progress: 5, leaseExpiresAt: at(now, LEASE_MS) }),
      ).resolves.toBe(false);
      await expect(
        repository.complete(job.job_id, 'worker-a', { now: finished, outputs: [], output_path: 'x' }),
      ).resolves.toBe(false);
    });

    it('stores the warnings a completion carries, and none for a clean one', async () => {
      const warnings = [
        { code: 'SOURCE_STREAM_EMPTY' as const, message: "The source's audio stream #1 (opus) holds no audio data" },
      ];
      const warned = await claimed('worker-a');
      const clean = await claimed('worker-a');
      const completion = { now: new Date(), outputs: [], output_path: 'x' };
      await expect(repository.complete(warned.job_id, 'worker-a', { ...completion, warnings })).resolves.toBe(true);
      await expect(repository.complete(clean.job_id, 'worker-a', { ...completion, warnings: [] })).resolves.toBe(true);
      expect((await repository.get(warned.job_id))?.warnings).toEqual(warnings);
      expect(await repository.get(clean.job_id)).not.toHaveProperty('warnings');
    });

    it('fails a job with its error', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      const failedAt = at(now, 2000);
      await expect(
        repository.fail(job.job_id, 'worker-a', {
          now: failedAt,
          error: { code: 'NO_VIDEO_STREAM', message: 'input has no video stream' },
          log_path: 's3://mediaflow-output/outputs/b.log',
        }),
      ).resolves.toBe(true);
      const stored = await repository.get(job.job_id);
      expect(stored).toMatchObject({
        status: 'failed',
        error: { code: 'NO_VIDEO_STREAM', message: 'input has no video stream' },
        log_path: 's3://mediaflow-output/outputs/b.log',
        updated_at: failedAt.toISOString(),
      });
      expect(stored).not.toHaveProperty('lease_expires_at');
      expect(stored?.history.at(-1)).toMatchObject({ status: 'failed', worker_id: 'worker-a' });
      await expect(
        repository.fail(job.job_id, 'worker-a', { now: failedAt, error: { code: 'INTERNAL', message: 'again' } }),
      ).resolves.toBe(false);
    });

    it('releases a job back to the queue so another worker can claim it at once', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await expect(repository.release(job.job_id, 'worker-b', now, 'not mine')).resolves.toBe(false);
      await expect(repository.release(job.job_id, 'worker-a', at(now, 1000), 'worker shutting down')).resolves.toBe(
        true,
      );
      const released = await repository.get(job.job_id);
      expect(released).toMatchObject({ status: 'queued', attempts: 1 });
      expect(released).not.toHaveProperty('worker_id');
      expect(released).not.toHaveProperty('lease_expires_at');
      expect(released?.history.at(-1)).toMatchObject({ status: 'queued', note: 'worker shutting down' });

      const reclaimed = await repository.claim({
        jobId: job.job_id,
        workerId: 'worker-b',
        now: at(now, 2000),
        leaseMs: LEASE_MS,
      });
      expect(reclaimed).toMatchObject({ status: 'processing', worker_id: 'worker-b', attempts: 2 });
    });
  });

  describe('findRecoverable', () => {
    it('returns queued jobs and expired leases, not live leases or finished jobs', async () => {
      const now = new Date();
      const queued = await createQueued();
      const live = await claimed('worker-live', now);
      const expired = await claimed('worker-gone', at(now, -2 * LEASE_MS));
      const completed = await claimed('worker-a', now);
      await repository.complete(completed.job_id, 'worker-a', { now, outputs: [], output_path: 's3://out/c.mp4' });
      const failed = await claimed('worker-a', now);
      await repository.fail(failed.job_id, 'worker-a', { now, error: { code: 'NOT_MEDIA', message: 'no' } });
      const released = await claimed('worker-a', now);
      await repository.release(released.job_id, 'worker-a', now, 'bye');

      const recoverable = await repository.findRecoverable(now, 100);
      const found = recoverable.map((job) => job.job_id).sort();
      expect(found).toEqual([queued.job_id, expired.job_id, released.job_id].sort());
      expect(found).not.toContain(live.job_id);
      expect(recoverable.find((job) => job.job_id === expired.job_id)).toMatchObject({
        status: 'processing',
        worker_id: 'worker-gone',
      });
      expect(recoverable[0]).not.toHaveProperty('_id');

      await expect(repository.findRecoverable(now, 2)).resolves.toHaveLength(2);
    });
  });

  describe('retries', () => {
    it('keeps a job released with retryAt from being claimed until then', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      const retryAt = at(now, 30_000);
      await expect(
        repository.release(job.job_id, 'worker-a', at(now, 1000), 'retry after FFMPEG_FAILED', retryAt),
      ).resolves.toBe(true);
      const released = await repository.get(job.job_id);
      expect(released).toMatchObject({ status: 'queued', retry_at: retryAt.toISOString(), attempts: 1 });
      expect(released?.history.at(-1)).toMatchObject({ status: 'queued', note: 'retry after FFMPEG_FAILED' });

      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, 29_999), leaseMs: LEASE_MS }),
      ).resolves.toBeNull();
      const retried = await repository.claim({
        jobId: job.job_id,
        workerId: 'worker-b',
        now: retryAt,
        leaseMs: LEASE_MS,
      });
      expect(retried).toMatchObject({ status: 'processing', worker_id: 'worker-b', attempts: 2 });
      expect(retried).not.toHaveProperty('retry_at');
      await expect(repository.get(job.job_id)).resolves.toEqual(retried);
    });

    it('clears an earlier retry time on a release without one', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.release(job.job_id, 'worker-a', now, 'retry later', at(now, 1000));
      await repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, 2000), leaseMs: LEASE_MS });
      await expect(repository.release(job.job_id, 'worker-b', at(now, 3000), 'shutting down')).resolves.toBe(true);
      const released = await repository.get(job.job_id);
      expect(released).toMatchObject({ status: 'queued' });
      expect(released).not.toHaveProperty('retry_at');
      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-c', now: at(now, 3000), leaseMs: LEASE_MS }),
      ).resolves.toMatchObject({ worker_id: 'worker-c', attempts: 3 });
    });
  });

  describe('cancellation', () => {
    it('cancels a queued job at once', async () => {
      const job = await createQueued();
      const now = new Date();
      const cancelled = await repository.requestCancel(job.job_id, now);
      expect(cancelled).toMatchObject({ job_id: job.job_id, status: 'cancelled', completed_at: now.toISOString() });
      expect(cancelled).not.toHaveProperty('cancel_requested');
      expect(cancelled?.history.at(-1)).toMatchObject({ status: 'cancelled', at: now.toISOString() });
      await expect(repository.get(job.job_id)).resolves.toEqual(cancelled);
      await expect(
        repository.claim({ jobId: job.job_id, workerId: 'worker-a', now: at(now, 1000), leaseMs: LEASE_MS }),
      ).resolves.toBeNull();
      await expect(repository.findRecoverable(at(now, 1000), 10)).resolves.toEqual([]);
      // Asking again changes nothing.
      await expect(repository.requestCancel(job.job_id, at(now, 5000))).resolves.toEqual(cancelled);
    });

    it('asks the worker of a processing job to stop, and refuses its progress and completion meanwhile', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      const requested = await repository.requestCancel(job.job_id, at(now, 1000));
      expect(requested).toMatchObject({ status: 'processing', worker_id: 'worker-a', cancel_requested: true });
      await expect(repository.get(job.job_id)).resolves.toEqual(requested);
      await expect(repository.requestCancel(job.job_id, at(now, 2000))).resolves.toEqual(requested);

      await expect(
        repository.updateProgress(job.job_id, 'worker-a', { progress: 50, leaseExpiresAt: at(now, LEASE_MS) }),
      ).resolves.toBe(false);
      await expect(
        repository.complete(job.job_id, 'worker-a', { now: at(now, 3000), outputs: [], output_path: 's3://out/x.mp4' }),
      ).resolves.toBe(false);
      await expect(repository.markCancelled(job.job_id, 'worker-b', at(now, 3000))).resolves.toBe(false);
      await expect(repository.get(job.job_id)).resolves.toEqual(requested);

      await expect(repository.markCancelled(job.job_id, 'worker-a', at(now, 4000))).resolves.toBe(true);
      const cancelled = await repository.get(job.job_id);
      expect(cancelled).toMatchObject({ status: 'cancelled', completed_at: at(now, 4000).toISOString(), attempts: 1 });
      for (const field of ['worker_id', 'lease_expires_at', 'speed', 'eta_seconds', 'cancel_requested']) {
        expect(cancelled).not.toHaveProperty(field);
      }
      expect(cancelled?.history.at(-1)).toMatchObject({ status: 'cancelled', worker_id: 'worker-a' });
      await expect(repository.markCancelled(job.job_id, 'worker-a', at(now, 5000))).resolves.toBe(false);
    });

    it('still lets the worker fail the job after a cancel request', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.requestCancel(job.job_id, now);
      await expect(
        repository.fail(job.job_id, 'worker-a', { now, error: { code: 'FFMPEG_FAILED', message: 'boom' } }),
      ).resolves.toBe(true);
      await expect(repository.get(job.job_id)).resolves.toMatchObject({ status: 'failed' });
    });

    it('turns a release after a cancel request into the cancellation', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.requestCancel(job.job_id, now);
      await expect(repository.release(job.job_id, 'worker-a', at(now, 1000), 'worker shutting down')).resolves.toBe(
        true,
      );
      const stored = await repository.get(job.job_id);
      expect(stored).toMatchObject({ status: 'cancelled' });
      expect(stored).not.toHaveProperty('cancel_requested');
      expect(stored).not.toHaveProperty('worker_id');
      await expect(repository.findRecoverable(at(now, 10 * LEASE_MS), 10)).resolves.toEqual([]);
    });

    it('returns finished jobs unchanged and null for unknown ones', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.complete(job.job_id, 'worker-a', { now, outputs: [], output_path: 's3://out/c.mp4' });
      const completed = await repository.get(job.job_id);
      await expect(repository.requestCancel(job.job_id, at(now, 1000))).resolves.toEqual(completed);
      await expect(repository.get(job.job_id)).resolves.toEqual(completed);
      await expect(repository.requestCancel(randomUUID(), now)).resolves.toBeNull();
      await expect(repository.markCancelled(randomUUID(), 'worker-a', now)).resolves.toBe(false);
    });
  });

  describe('requeue', () => {
    it('puts a failed job back as new, and it can be claimed and requeued again', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.updateProgress(job.job_id, 'worker-a', {
        progress: 40,
        speed: 1,
        eta_seconds: 5,
        leaseExpiresAt: at(now, LEASE_MS),
      });
      await repository.fail(job.job_id, 'worker-a', {
        now: at(now, 1000),
        error: { code: 'FFMPEG_FAILED', message: 'boom' },
        log_path: 's3://mediaflow-output/outputs/x.log',
        deadLetter: true,
      });
      const requeuedAt = at(now, 2000);
      const requeued = await repository.requeue(job.job_id, requeuedAt, 'operator retry');
      expect(requeued).toMatchObject({
        status: 'queued',
        attempts: 0,
        progress: 0,
        outputs: [],
        updated_at: requeuedAt.toISOString(),
      });
      for (const field of [
        'error',
        'output_path',
        'log_path',
        'completed_at',
        'started_at',
        'dead_lettered_at',
        'cancel_requested',
        'retry_at',
        'worker_id',
        'lease_expires_at',
        'speed',
        'eta_seconds',
      ]) {
        expect(requeued).not.toHaveProperty(field);
      }
      expect(requeued?.history.at(-1)).toEqual({
        status: 'queued',
        at: requeuedAt.toISOString(),
        note: 'operator retry',
      });
      await expect(repository.get(job.job_id)).resolves.toEqual(requeued);

      // The new life counts attempts from 1 again, also where a claim ledger remembers the old one.
      for (let life = 1; life <= 2; life += 1) {
        const later = at(now, life * 10_000);
        const reclaimed = await repository.claim({
          jobId: job.job_id,
          workerId: `worker-${life}`,
          now: later,
          leaseMs: LEASE_MS,
        });
        expect(reclaimed).toMatchObject({ status: 'processing', attempts: 1, worker_id: `worker-${life}` });
        await repository.fail(job.job_id, `worker-${life}`, {
          now: later,
          error: { code: 'FFMPEG_FAILED', message: 'again' },
        });
        await expect(repository.requeue(job.job_id, at(later, 1000), 'again')).resolves.toMatchObject({
          status: 'queued',
          attempts: 0,
        });
      }
    });

    it('puts a cancelled job back', async () => {
      const now = new Date();
      const job = await claimed('worker-a', now);
      await repository.requestCancel(job.job_id, now);
      await repository.markCancelled(job.job_id, 'worker-a', now);
      const requeued = await repository.requeue(job.job_id, at(now, 1000), 'operator retry');
      expect(requeued).toMatchObject({ status: 'queued', attempts: 0 });
      expect(requeued).not.toHaveProperty('cancel_requested');
      expect(requeued).not.toHaveProperty('completed_at');
      const queuedCancelled = await createQueued();
      await repository.requestCancel(queuedCancelled.job_id, now);
      await expect(repository.requeue(queuedCancelled.job_id, now, 'retry')).resolves.toMatchObject({
        status: 'queued',
      });
    });

    it('refuses completed, queued, processing and unknown jobs', async () => {
      const now = new Date();
      const done = await claimed('worker-a', now);
      await repository.complete(done.job_id, 'worker-a', { now, outputs: [], output_path: 's3://out/d.mp4' });
      const completed = await repository.get(done.job_id);
      const queued = await createQueued();
      const processing = await claimed('worker-b', now);
      await expect(repository.requeue(done.job_id, now, 'retry')).resolves.toBeNull();
      await expect(repository.requeue(queued.job_id, now, 'retry')).resolves.toBeNull();
      await expect(repository.requeue(processing.job_id, now, 'retry')).resolves.toBeNull();
      await expect(repository.requeue(randomUUID(), now, 'retry')).resolves.toBeNull();
      await expect(repository.get(done.job_id)).resolves.toEqual(completed);
      await expect(repository.get(queued.job_id)).resolves.toEqual(queued);
      await expect(repository.get(processing.job_id)).resolves.toEqual(processing);
    });
  });

  describe('dead letters', () => {
    /** Fails `total` jobs for good, the first two at the same instant so the id tie-break is exercised too. */
    async function deadLetter(total: number): Promise<Job[]> {
      const base = Date.parse('2025-06-01T00:00:00.000Z');
      for (let index = 0; index < total; index += 1) {
        const failedAt = new Date(base + Math.max(0, index - 1) * 1000);
        const job = await claimed('worker-a', failedAt);
        await repository.fail(job.job_id, 'worker-a', {
          now: failedAt,
          error: { code: 'NOT_MEDIA', message: 'not media' },
          deadLetter: true,
        });
      }
      const all = await repository.list({ limit: 100, skip: 0 });
      return all.jobs
        .filter((job) => job.dead_lettered_at !== undefined)
        .sort((a, b) =>
          a.dead_lettered_at === b.dead_lettered_at
            ? b.job_id.localeCompare(a.job_id)
            : (b.dead_lettered_at ?? '').localeCompare(a.dead_lettered_at ?? ''),
        );
    }

    const ids = (jobs: readonly Job[]): string[] => jobs.map((job) => job.job_id);

    it('is empty when nothing was dead-lettered', async () => {
      const job = await claimed('worker-a');
      await repository.fail(job.job_id, 'worker-a', { now: new Date(), error: { code: 'NOT_MEDIA', message: 'x' } });
      await expect(repository.get(job.job_id)).resolves.not.toHaveProperty('dead_lettered_at');
      await expect(repository.listDeadLetters({ limit: 10 })).resolves.toEqual({ jobs: [] });
    });

    it('lists dead letters newest first, page by page, each exactly once', async () => {
      const expected = await deadLetter(7);
      expect(expected).toHaveLength(7);
      // Neither an ordinary failure nor a live job is a dead letter.
      const ordinary = await claimed('worker-a');
      await repository.fail(ordinary.job_id, 'worker-a', {
        now: new Date(),
        error: { code: 'INTERNAL', message: 'x' },
      });
      await createQueued();

      const seen: Job[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repository.listDeadLetters({ limit: 3, ...(cursor ? { cursor } : {}) });
        sizes.push(page.jobs.length);
        seen.push(...page.jobs);
        cursor = page.next_cursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(ids(seen)).toEqual(ids(expected));
      expect(seen[0]).toEqual(expected[0]);
      expect(seen[0]).toMatchObject({ status: 'failed', dead_lettered_at: expected[0].dead_lettered_at });
      expect(seen[0]).not.toHaveProperty('dlq_pk');
      expect(seen[0]).not.toHaveProperty('dead_letter_sort');
    });

    it('drops a job from the dead letters when it is requeued', async () => {
      const expected = await deadLetter(3);
      await repository.requeue(expected[1].job_id, new Date(), 'replay');
      const page = await repository.listDeadLetters({ limit: 10 });
      expect(ids(page.jobs)).toEqual([expected[0].job_id, expected[2].job_id]);
      expect(page.next_cursor).toBeUndefined();
    });

    it.each([
      ['garbage', 'not a cursor!'],
      ['a listing cursor', Buffer.from('{"created_at":"2025-01-01T00:00:00.000Z","job_id":"x"}').toString('base64url')],
      ['wrong types', Buffer.from('{"dead_lettered_at":1,"job_id":"x"}').toString('base64url')],
      ['an empty string', ''],
    ])('rejects a cursor that is %s with INVALID_CURSOR', async (_label, cursor) => {
      await deadLetter(1);
      const attempt = repository.listDeadLetters({ limit: 10, cursor });
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });

  describe('needs publish', () => {
    it('flags and unflags a queued job only', async () => {
      const now = new Date();
      const job = await createQueued();
      await expect(repository.setNeedsPublish(job.job_id, true, now)).resolves.toBe(true);
      await expect(repository.get(job.job_id)).resolves.toMatchObject({
        status: 'queued',
        needs_publish: true,
        updated_at: now.toISOString(),
      });
      await expect(repository.setNeedsPublish(job.job_id, false, at(now, 1000))).resolves.toBe(true);
      await expect(repository.get(job.job_id)).resolves.not.toHaveProperty('needs_publish');

      const processing = await claimed('worker-a', now);
      await expect(repository.setNeedsPublish(processing.job_id, true, now)).resolves.toBe(false);
      await expect(repository.get(processing.job_id)).resolves.not.toHaveProperty('needs_publish');
      await expect(repository.setNeedsPublish(randomUUID(), true, now)).resolves.toBe(false);
    });

    it('is cleared by a claim', async () => {
      const now = new Date();
      const job = await createQueued();
      await repository.setNeedsPublish(job.job_id, true, now);
      const result = await repository.claim({ jobId: job.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
      expect(result).toMatchObject({ status: 'processing' });
      expect(result).not.toHaveProperty('needs_publish');
    });
  });

  describe('take for republish', () => {
    it('clears the flag and a due retry of a queued job unchanged since it was read, for one caller only', async () => {
      const now = new Date();
      const retried = await claimed('worker-a', at(now, -20_000));
      await repository.release(retried.job_id, 'worker-a', at(now, -19_000), 'retry', at(now, -1));
      await repository.setNeedsPublish(retried.job_id, true, at(now, -500));
      const seen = (await repository.get(retried.job_id))!;

      await expect(repository.takeForRepublish(retried.job_id, seen.updated_at, now)).resolves.toBe(true);
      const taken = await repository.get(retried.job_id);
      expect(taken).toMatchObject({ status: 'queued', updated_at: now.toISOString() });
      expect(taken).not.toHaveProperty('needs_publish');
      expect(taken).not.toHaveProperty('retry_at');
      // A second reaper that read the same version loses.
      await expect(repository.takeForRepublish(retried.job_id, seen.updated_at, at(now, 1))).resolves.toBe(false);
      // Taken, it is an ordinary queued job again: claimable, and recovered only once it looks idle.
      const recoverable = await repository.findRecoverable(at(now, 2), 100);
      expect(recoverable.find((job) => job.job_id === retried.job_id)).toMatchObject({ status: 'queued' });
      await expect(
        repository.claim({ jobId: retried.job_id, workerId: 'worker-b', now: at(now, 3), leaseMs: LEASE_MS }),
      ).resolves.toMatchObject({ status: 'processing', worker_id: 'worker-b' });
    });

    it('refuses a job that moved on: claimed, or unknown', async () => {
      const now = new Date();
      const processing = await claimed('worker-a', now);
      await expect(repository.takeForRepublish(processing.job_id, processing.updated_at, now)).resolves.toBe(false);
      await expect(repository.get(processing.job_id)).resolves.toMatchObject({
        status: 'processing',
        worker_id: 'worker-a',
      });
      await expect(repository.takeForRepublish(randomUUID(), now.toISOString(), now)).resolves.toBe(false);
    });
  });

  describe('findRecoverable order', () => {
    it('returns flagged and due jobs ahead of a long backlog', async () => {
      const now = new Date();
      const base = now.getTime() - 60 * 60_000;
      const backlog: Job[] = [];
      for (let index = 0; index < 6; index += 1) {
        backlog.push(await createQueued({ created_at: new Date(base + index * 1000).toISOString() }));
      }
      const expired = await claimed('worker-gone', at(now, -2 * LEASE_MS));
      const unpublished = await createQueued({ created_at: at(now, -1000).toISOString() });
      await repository.setNeedsPublish(unpublished.job_id, true, at(now, -500));
      const dueRetry = await claimed('worker-a', at(now, -20_000));
      await repository.release(dueRetry.job_id, 'worker-a', at(now, -19_000), 'retry', at(now, -1));
      const laterRetry = await claimed('worker-a', at(now, -20_000));
      await repository.release(laterRetry.job_id, 'worker-a', at(now, -19_000), 'retry', at(now, 60_000));

      const urgent = await repository.findRecoverable(now, 3);
      expect(urgent.map((job) => job.job_id)).toEqual([expired.job_id, unpublished.job_id, dueRetry.job_id]);
      expect(urgent[1]).toMatchObject({ status: 'queued', needs_publish: true });
      expect(urgent[2]).toMatchObject({ status: 'queued', retry_at: at(now, -1).toISOString() });

      const all = await repository.findRecoverable(now, 100);
      expect(all.map((job) => job.job_id)).toEqual([
        expired.job_id,
        unpublished.job_id,
        dueRetry.job_id,
        ...backlog.map((job) => job.job_id),
        laterRetry.job_id,
      ]);
      expect(all.at(-1)).toMatchObject({ retry_at: at(now, 60_000).toISOString() });

      // Once the later retry is due it moves up with the other due retry, earliest first.
      const afterwards = await repository.findRecoverable(at(now, 60_000), 4);
      expect(afterwards.map((job) => job.job_id)).toEqual([
        expired.job_id,
        unpublished.job_id,
        dueRetry.job_id,
        laterRetry.job_id,
      ]);
    });
  });

  describe('idempotency keys', () => {
    const reservation = (overrides: Partial<Parameters<JobRepository['reserveIdempotencyKey']>[0]> = {}) => ({
      scope: 'key-1',
      key: 'request-1',
      fingerprint: 'fp-1',
      jobId: randomUUID(),
      now: new Date(),
      ...overrides,
    });

    it('reserves a key once and returns the reservation afterwards, unchanged', async () => {
      const first = reservation();
      await expect(repository.reserveIdempotencyKey(first)).resolves.toBeNull();
      await expect(repository.reserveIdempotencyKey(reservation())).resolves.toEqual({
        job_id: first.jobId,
        fingerprint: 'fp-1',
      });
      await expect(repository.reserveIdempotencyKey(reservation({ fingerprint: 'fp-other' }))).resolves.toEqual({
        job_id: first.jobId,
        fingerprint: 'fp-1',
      });
      // Another repository instance sees the same reservation.
      await expect(open().reserveIdempotencyKey(reservation())).resolves.toEqual({
        job_id: first.jobId,
        fingerprint: 'fp-1',
      });
    });

    it('lets exactly one of ten concurrent reservations of a key win', async () => {
      const instances = [repository, open(), open()];
      const attempts = Array.from({ length: 10 }, () => reservation({ key: 'contended' }));
      const results = await Promise.all(
        attempts.map(async (attempt, index) => instances[index % instances.length].reserveIdempotencyKey(attempt)),
      );
      const winners = attempts.filter((_, index) => results[index] === null);
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result !== null) expect(result).toEqual({ job_id: winners[0].jobId, fingerprint: 'fp-1' });
      }
    });

    it('keeps scopes apart', async () => {
      await expect(repository.reserveIdempotencyKey(reservation({ scope: 'key-a' }))).resolves.toBeNull();
      await expect(repository.reserveIdempotencyKey(reservation({ scope: 'key-b' }))).resolves.toBeNull();
      await expect(repository.reserveIdempotencyKey(reservation({ scope: '' }))).resolves.toBeNull();
      // Scope and key are not simply concatenated.
      await expect(repository.reserveIdempotencyKey(reservation({ scope: 'ab', key: 'c' }))).resolves.toBeNull();
      await expect(repository.reserveIdempotencyKey(reservation({ scope: 'a', key: 'bc' }))).resolves.toBeNull();
    });

    it('treats a reservation older than a day as absent', async () => {
      const now = new Date();
      const old = reservation({ now: at(now, -25 * 60 * 60_000) });
      await expect(repository.reserveIdempotencyKey(old)).resolves.toBeNull();
      const fresh = reservation({ now, fingerprint: 'fp-2' });
      await expect(repository.reserveIdempotencyKey(fresh)).resolves.toBeNull();
      await expect(repository.reserveIdempotencyKey(reservation({ now: at(now, 1000) }))).resolves.toEqual({
        job_id: fresh.jobId,
        fingerprint: 'fp-2',
      });
      // Still valid just before its day is up.
      await expect(
        repository.reserveIdempotencyKey(reservation({ now: at(now, 24 * 60 * 60_000 - 1) })),
      ).resolves.toEqual({ job_id: fresh.jobId, fingerprint: 'fp-2' });
    });

    it('never shows reservations as jobs', async () => {
      const job = await createQueued({ owner: 'key-1', idempotency_key: 'request-1' });
      expect(job).toMatchObject({ owner: 'key-1', idempotency_key: 'request-1' });
      for (let index = 0; index < 3; index += 1) {
        await repository.reserveIdempotencyKey(reservation({ key: `request-${index}`, jobId: job.job_id }));
      }
      const page = await repository.list({ limit: 10, skip: 0 });
      expect(page.jobs.map((listed) => listed.job_id)).toEqual([job.job_id]);
      expect(page.count).toBe(1);
      const recoverable = await repository.findRecoverable(new Date('9999-12-31T23:59:59.999Z'), 100);
      expect(recoverable.map((listed) => listed.job_id)).toEqual([job.job_id]);
      await expect(repository.listDeadLetters({ limit: 10 })).resolves.toEqual({ jobs: [] });
    });
  });

  describe('listing by owner', () => {
    const ids = (jobs: readonly Job[]): string[] => jobs.map((job) => job.job_id);
    const newestFirst = (a: Job, b: Job): number =>
      a.created_at === b.created_at ? b.job_id.localeCompare(a.job_id) : b.created_at.localeCompare(a.created_at);

    /** Jobs of owners a and b and some without an owner, interleaved in time, two per timestamp. */
    async function seedOwners(perOwner: number): Promise<{ a: Job[]; b: Job[]; none: Job[] }> {
      const base = Date.parse('2025-03-01T00:00:00.000Z');
      const seeded = { a: [] as Job[], b: [] as Job[], none: [] as Job[] };
      for (let index = 0; index < perOwner; index += 1) {
        const created_at = new Date(base + Math.floor(index / 2) * 1000).toISOString();
        seeded.a.push(await createQueued({ created_at, owner: 'key-a' }));
        seeded.b.push(await createQueued({ created_at, owner: 'key-b' }));
        if (index % 3 === 0) seeded.none.push(await createQueued({ created_at }));
      }
      for (const jobs of Object.values(seeded)) jobs.sort(newestFirst);
      return seeded;
    }

    it("lists only the owner's jobs, newest first, counting only them", async () => {
      const { a, b, none } = await seedOwners(5);
      const pageA = await repository.list({ limit: 10, skip: 0, owner: 'key-a' });
      expect(ids(pageA.jobs)).toEqual(ids(a));
      expect(pageA.count).toBe(5);
      expect(pageA.next_cursor).toBeUndefined();
      expect(pageA.jobs[0]).toEqual(a[0]);
      expect(pageA.jobs.every((job) => job.owner === 'key-a')).toBe(true);
      expect(pageA.jobs[0]).not.toHaveProperty('active_owner');

      const pageB = await repository.list({ limit: 10, skip: 0, owner: 'key-b' });
      expect(ids(pageB.jobs)).toEqual(ids(b));

      const everybody = await repository.list({ limit: 100, skip: 0 });
      expect(everybody.count).toBe(10 + none.length);
      await expect(repository.list({ limit: 10, skip: 0, owner: 'key-unknown' })).resolves.toEqual({
        jobs: [],
        count: 0,
      });
      await expect(repository.list({ limit: 10, skip: 0, owner: '' })).resolves.toEqual({ jobs: [], count: 0 });
    });

    it('pages with a cursor, each of the owner’s jobs exactly once, and skips by offset', async () => {
      const { a } = await seedOwners(12);
      const seen: Job[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repository.list({ limit: 5, skip: 0, owner: 'key-a', ...(cursor ? { cursor } : {}) });
        expect(page.count).toBe(12);
        sizes.push(page.jobs.length);
        seen.push(...page.jobs);
        cursor = page.next_cursor;
      } while (cursor);
      expect(sizes).toEqual([5, 5, 2]);
      expect(ids(seen)).toEqual(ids(a));

      const skipped = await repository.list({ limit: 4, skip: 4, owner: 'key-a' });
      expect(ids(skipped.jobs)).toEqual(ids(a.slice(4, 8)));
      expect(skipped.count).toBe(12);
      const next = await repository.list({ limit: 4, skip: 0, owner: 'key-a', cursor: skipped.next_cursor });
      expect(ids(next.jobs)).toEqual(ids(a.slice(8, 12)));
      expect(next.next_cursor).toBeUndefined();
      await expect(repository.list({ limit: 4, skip: 40, owner: 'key-a' })).resolves.toEqual({ jobs: [], count: 12 });
    });

    it("refuses a cursor from another owner's listing, or from the unfiltered one, and the other way round", async () => {
      await seedOwners(6);
      const fromA = await repository.list({ limit: 2, skip: 0, owner: 'key-a' });
      const fromEverybody = await repository.list({ limit: 2, skip: 0 });
      if (!fromA.next_cursor || !fromEverybody.next_cursor) throw new Error('expected further pages');
      const attempts = [
        repository.list({ limit: 10, skip: 0, owner: 'key-b', cursor: fromA.next_cursor }),
        repository.list({ limit: 10, skip: 0, owner: 'key-b', cursor: fromEverybody.next_cursor }),
        repository.list({ limit: 10, skip: 0, cursor: fromA.next_cursor }),
        repository.listDeadLetters({ limit: 10, cursor: fromA.next_cursor }),
      ];
      for (const attempt of attempts) {
        await expect(attempt).rejects.toBeInstanceOf(AppError);
        await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
      }
      // Owner a's cursor still works for owner a, also on another instance.
      await expect(
        open().list({ limit: 10, skip: 0, owner: 'key-a', cursor: fromA.next_cursor }),
      ).resolves.toMatchObject({ count: 6 });
    });

    it('refuses to store a job with an empty owner', async () => {
      const attempt = repository.create(newJob({ owner: '' }));
      await expect(attempt).rejects.toBeInstanceOf(AppError);
      await expect(repository.list({ limit: 10, skip: 0 })).resolves.toMatchObject({ count: 0 });
    });
  });

  describe('list filters', () => {
    const ids = (jobs: readonly Job[]): string[] => jobs.map((job) => job.job_id);
    const newestFirst = (a: Job, b: Job): number =>
      a.created_at === b.created_at ? b.job_id.localeCompare(a.job_id) : b.created_at.localeCompare(a.created_at);
    const resize: OperationSpec = { method_name: 'resize', output_format: 'mp4', params: { width: 160 } };

    /**
     * 24 jobs, two per second: owners key-a/key-b alternating, operations
     * compress/resize alternating every two, and every third one completed.
     */
    async function seedMixed(): Promise<Job[]> {
      const base = Date.parse('2025-05-01T00:00:00.000Z');
      const jobs: Job[] = [];
      for (let index = 0; index < 24; index += 1) {
        const created_at = new Date(base + Math.floor(index / 2) * 1000).toISOString();
        const job = await repository.create(
          newJob({
            created_at,
            owner: index % 2 === 0 ? 'key-a' : 'key-b',
            operation: Math.floor(index / 2) % 2 === 0 ? operation : resize,
          }),
        );
        if (index % 3 === 0) {
          const now = new Date();
          await repository.claim({ jobId: job.job_id, workerId: 'w', now, leaseMs: LEASE_MS });
          await repository.complete(job.job_id, 'w', { now, outputs: [], output_path: 's3://b/k' });
          jobs.push({ ...job, status: 'completed' });
        } else {
          jobs.push(job);
        }
      }
      return jobs.sort(newestFirst);
    }

    type Filters = Pick<ListJobsQuery, 'owner' | 'status' | 'method_name' | 'created_after' | 'created_before'>;

    function matches(job: Job, filters: Filters): boolean {
      return (
        (filters.owner === undefined || job.owner === filters.owner) &&
        (filters.status === undefined || job.status === filters.status) &&
        (filters.method_name === undefined || job.method_name === filters.method_name) &&
        (filters.created_after === undefined || job.created_at >= filters.created_after) &&
        (filters.created_before === undefined || job.created_at < filters.created_before)
      );
    }

    /** Every page of a listing by cursor, checking `count` on each. */
    async function pageThrough(filters: Filters, limit: number): Promise<{ jobs: Job[]; counts: number[] }> {
      const jobs: Job[] = [];
      const counts: number[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 50; pages += 1) {
        const page = await repository.list({ limit, skip: 0, ...filters, ...(cursor ? { cursor } : {}) });
        jobs.push(...page.jobs);
        counts.push(page.count);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      return { jobs, counts };
    }

    it('filters by each of status, operation and creation time, alone and combined, with or without an owner, counting and paging the matches', async () => {
      const all = await seedMixed();
      const combinations: Filters[] = [
        { status: 'completed' },
        { status: 'queued' },
        { method_name: 'resize' },
        { status: 'completed', method_name: 'compress' },
        { created_after: '2025-05-01T00:00:03.000Z', created_before: '2025-05-01T00:00:08.000Z' },
        { created_after: '2025-05-01T00:00:09.000Z' },
        { created_before: '2025-05-01T00:00:02.000Z' },
        { status: 'queued', created_after: '2025-05-01T00:00:04.000Z' },
        { method_name: 'compress', created_before: '2025-05-01T00:00:06.000Z' },
        {
          status: 'queued',
          method_name: 'resize',
          created_after: '2025-05-01T00:00:01.000Z',
          created_before: '2025-05-01T00:00:11.000Z',
        },
      ];
      for (const base of combinations) {
        for (const owner of [undefined, 'key-a']) {
          const filters: Filters = { ...base, ...(owner === undefined ? {} : { owner }) };
          const expected = all.filter((job) => matches(job, filters));
          const { jobs, counts } = await pageThrough(filters, 3);
          expect({ filters, ids: ids(jobs) }).toEqual({ filters, ids: ids(expected) });
          expect({ filters, counts: [...new Set(counts)] }).toEqual({ filters, counts: [expected.length] });
          const skipped = await repository.list({ limit: 2, skip: 2, ...filters });
          expect(ids(skipped.jobs)).toEqual(ids(expected.slice(2, 4)));
        }
      }
    }, 60_000);

    it('is empty for a date range that selects nothing, and for an owner without matches', async () => {
      await seedMixed();
      const after = '2025-05-01T00:00:05.000Z';
      await expect(
        repository.list({ limit: 5, skip: 0, created_after: after, created_before: after }),
      ).resolves.toEqual({
        jobs: [],
        count: 0,
      });
      await expect(repository.list({ limit: 5, skip: 0, owner: 'key-z', status: 'completed' })).resolves.toEqual({
        jobs: [],
        count: 0,
      });
    });

    it('follows status changes: a job moves from one status listing to the next', async () => {
      const job = await createQueued({ owner: 'key-a' });
      await expect(repository.list({ limit: 5, skip: 0, owner: 'key-a', status: 'queued' })).resolves.toMatchObject({
        count: 1,
      });
      const now = new Date();
      await repository.claim({ jobId: job.job_id, workerId: 'w', now, leaseMs: LEASE_MS });
      await repository.fail(job.job_id, 'w', { now, error: { code: 'NOT_MEDIA', message: 'x' } });
      await expect(repository.list({ limit: 5, skip: 0, owner: 'key-a', status: 'queued' })).resolves.toEqual({
        jobs: [],
        count: 0,
      });
      const failed = await repository.list({ limit: 5, skip: 0, owner: 'key-a', status: 'failed' });
      expect(ids(failed.jobs)).toEqual([job.job_id]);
      expect(failed.count).toBe(1);
    });
  });

  describe('deletion', () => {
    it('tombstones a job: get() still finds it, listings and counts no longer do, and deleting again changes nothing', async () => {
      const kept = await createQueued({ owner: 'key-a' });
      const job = await createQueued({ owner: 'key-a' });
      const now = new Date();
      const deleted = await repository.markDeleted(job.job_id, now, new Date(now.getTime() + 86_400_000));
      expect(deleted).toMatchObject({ job_id: job.job_id, deleted_at: now.toISOString(), owner: 'key-a' });
      expect(Object.keys(deleted ?? {})).not.toContain('expires_epoch');
      await expect(repository.get(job.job_id)).resolves.toMatchObject({ deleted_at: now.toISOString() });
      for (const query of [
        {},
        { owner: 'key-a' },
        { status: 'queued' as const },
        { owner: 'key-a', method_name: 'compress' },
      ]) {
        const page = await repository.list({ limit: 10, skip: 0, ...query });
        expect(page.jobs.map((listed) => listed.job_id)).toEqual([kept.job_id]);
        expect(page.count).toBe(1);
      }
      const again = await repository.markDeleted(job.job_id, new Date(now.getTime() + 5000));
      expect(again?.deleted_at).toBe(now.toISOString());
      await expect(repository.markDeleted(randomUUID(), now)).resolves.toBeNull();
    });

    it('lets the worker of a deleted, cancel-requested job still acknowledge the cancel', async () => {
      const job = await claimed('worker-a');
      const now = new Date();
      await repository.requestCancel(job.job_id, now);
      await repository.markDeleted(job.job_id, now);
      await expect(
        repository.complete(job.job_id, 'worker-a', { now, outputs: [], output_path: 's3://b/k' }),
      ).resolves.toBe(false);
      await expect(repository.markCancelled(job.job_id, 'worker-a', now)).resolves.toBe(true);
      await expect(repository.get(job.job_id)).resolves.toMatchObject({
        status: 'cancelled',
        deleted_at: now.toISOString(),
      });
    });
  });

  describe('retention', () => {
    async function finished(finishedAt: Date, status: 'completed' | 'failed' = 'completed'): Promise<Job> {
      const job = await createQueued({ owner: 'key-a' });
      await repository.claim({ jobId: job.job_id, workerId: 'w', now: finishedAt, leaseMs: LEASE_MS });
      if (status === 'completed') {
        await repository.complete(job.job_id, 'w', { now: finishedAt, outputs: [], output_path: 's3://b/k' });
      } else {
        await repository.fail(job.job_id, 'w', { now: finishedAt, error: { code: 'NOT_MEDIA', message: 'x' } });
      }
      return job;
    }

    it('finds finished jobs older than the cutoff, oldest first, and forgets them once expired or deleted', async () => {
      const base = Date.now() - 3_600_000;
      const old1 = await finished(new Date(base), 'failed');
      const old2 = await finished(new Date(base + 1000));
      const old3 = await finished(new Date(base + 2000));
      await finished(new Date(base + 60_000));
      await createQueued({ owner: 'key-a' });
      const cutoff = new Date(base + 30_000);
      const found = await repository.findExpirable(cutoff, 10);
      expect(found.map((job) => job.job_id)).toEqual([old1.job_id, old2.job_id, old3.job_id]);
      await expect(repository.findExpirable(cutoff, 2)).resolves.toHaveLength(2);

      const now = new Date();
      await expect(repository.markExpired(old1.job_id, now, new Date(now.getTime() + 1000))).resolves.toBe(true);
      await expect(repository.markExpired(old1.job_id, now)).resolves.toBe(false);
      await repository.markDeleted(old2.job_id, now);
      await expect(repository.markExpired(old2.job_id, now)).resolves.toBe(false);
      const left = await repository.findExpirable(cutoff, 10);
      expect(left.map((job) => job.job_id)).toEqual([old3.job_id]);
      const expired = await repository.get(old1.job_id);
      expect(expired).toMatchObject({ status: 'failed', expired_at: now.toISOString() });
      expect(Object.keys(expired ?? {}).filter((key) => /purge|epoch|finished/.test(key))).toEqual([]);
      // An expired job stays listed: its record answers for it.
      const listed = await repository.list({ limit: 10, skip: 0, owner: 'key-a' });
      expect(listed.jobs.map((job) => job.job_id)).toContain(old1.job_id);
    });

    it('refuses to expire a job that has not finished', async () => {
      const job = await createQueued();
      await expect(repository.markExpired(job.job_id, new Date())).resolves.toBe(false);
      await expect(repository.markExpired(randomUUID(), new Date())).resolves.toBe(false);
    });

    it('clears the expiry of a failed job that is requeued', async () => {
      const job = await finished(new Date(Date.now() - 60_000), 'failed');
      await repository.markExpired(job.job_id, new Date());
      const requeued = await repository.requeue(job.job_id, new Date(), 'again');
      expect(requeued).not.toHaveProperty('expired_at');
    });
  });

  describe('result reuse', () => {
    const reuseKey = 'k'.repeat(64);

    async function completedWithKey(key: string, owner = 'key-a'): Promise<Job> {
      const job = await createQueued({ owner, reuse_key: key, source_sha256: 'a'.repeat(64) });
      const now = new Date();
      await repository.claim({ jobId: job.job_id, workerId: 'w', now, leaseMs: LEASE_MS });
      await repository.complete(job.job_id, 'w', {
        now,
        outputs: [
          { kind: 'video', path: 'clip.mp4', content_type: 'video/mp4', object: `s3://out/o/${job.job_id}/clip.mp4` },
        ],
        output_path: `s3://out/o/${job.job_id}/clip.mp4`,
        log_path: `s3://out/o/${job.job_id}/ffmpeg.log`,
      });
      const stored = await repository.get(job.job_id);
      if (!stored) throw new Error('setup failed');
      return stored;
    }

    it('finds the newest completed, unexpired, undeleted job with the key', async () => {
      await expect(repository.findReusable(reuseKey)).resolves.toBeNull();
      await createQueued({ owner: 'key-a', reuse_key: reuseKey });
      await expect(repository.findReusable(reuseKey)).resolves.toBeNull();
      const first = await completedWithKey(reuseKey);
      await completedWithKey('other'.padEnd(64, '0'));
      await expect(repository.findReusable(reuseKey)).resolves.toMatchObject({
        job_id: first.job_id,
        source_sha256: 'a'.repeat(64),
        reuse_key: reuseKey,
      });
      await repository.markExpired(first.job_id, new Date());
      await expect(repository.findReusable(reuseKey)).resolves.toBeNull();
      const second = await completedWithKey(reuseKey);
      await repository.markDeleted(second.job_id, new Date());
      await expect(repository.findReusable(reuseKey)).resolves.toBeNull();
    });

    it('stores a reusing job completed at once, pointing at the original outputs, never recoverable or active', async () => {
      const original = await completedWithKey(reuseKey);
      const reuse = {
        from: original.job_id,
        outputs: original.outputs,
        ...(original.output_path === undefined ? {} : { output_path: original.output_path }),
        ...(original.log_path === undefined ? {} : { log_path: original.log_path }),
      };
      const created = await repository.create(newJob({ owner: 'key-a', reuse_key: reuseKey, reuse }));
      expect(created).toMatchObject({
        status: 'completed',
        progress: 100,
        reused_from: original.job_id,
        outputs: original.outputs,
        output_path: original.output_path,
        completed_at: created.created_at,
      });
      await expect(repository.get(created.job_id)).resolves.toEqual(created);
      await expect(repository.countActive('key-a')).resolves.toBe(0);
      await expect(repository.findRecoverable(new Date('9999-12-31T23:59:59.999Z'), 10)).resolves.toEqual([]);
      await expect(repository.findReusable(reuseKey)).resolves.toMatchObject({ job_id: created.job_id });
      const completed = await repository.list({ limit: 10, skip: 0, owner: 'key-a', status: 'completed' });
      expect(completed.count).toBe(2);
      // Finished, so retention sees it too.
      const expirable = await repository.findExpirable(new Date(Date.now() + 60_000), 10);
      expect(expirable.map((job) => job.job_id).sort()).toEqual([original.job_id, created.job_id].sort());

      const group = await repository.findByReuseKey(reuseKey, 10);
      expect(group.map((job) => job.job_id)).toEqual([created.job_id, original.job_id]);
      await repository.markDeleted(original.job_id, new Date());
      const left = await repository.findByReuseKey(reuseKey, 10);
      expect(left.map((job) => job.job_id)).toEqual([created.job_id]);
    });
  });

  describe('active jobs per owner', () => {
    async function expectActive(expected: Record<string, number>): Promise<void> {
      const counted = Object.fromEntries(
        await Promise.all(Object.keys(expected).map(async (owner) => [owner, await repository.countActive(owner)])),
      ) as Record<string, number>;
      expect(counted).toEqual(expected);
    }

    it('counts queued and processing jobs through every transition', async () => {
      const now = new Date();
      await expectActive({ 'key-a': 0, 'key-b': 0, '': 0 });
      const first = await createQueued({ owner: 'key-a' });
      const second = await createQueued({ owner: 'key-a' });
      await createQueued({ owner: 'key-b' });
      await createQueued();
      await expectActive({ 'key-a': 2, 'key-b': 1 });

      // Claimed, released, claimed again: active all along.
      await repository.claim({ jobId: first.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
      await expectActive({ 'key-a': 2 });
      await repository.release(first.job_id, 'worker-a', at(now, 1), 'retry', at(now, 2));
      await expectActive({ 'key-a': 2 });
      await repository.claim({ jobId: first.job_id, workerId: 'worker-b', now: at(now, 3), leaseMs: LEASE_MS });
      await repository.setNeedsPublish(second.job_id, true, now);
      await expectActive({ 'key-a': 2 });

      // Completed: no longer active.
      await repository.complete(first.job_id, 'worker-b', { now, outputs: [], output_path: 's3://out/a.mp4' });
      await expectActive({ 'key-a': 1, 'key-b': 1 });

      // Failed (dead-lettered) and requeued.
      await repository.claim({ jobId: second.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
      await repository.fail(second.job_id, 'worker-a', {
        now,
        error: { code: 'NOT_MEDIA', message: 'x' },
        deadLetter: true,
      });
      await expectActive({ 'key-a': 0 });
      await repository.requeue(second.job_id, at(now, 10), 'operator retry');
      await expectActive({ 'key-a': 1 });

      // Cancelled while processing: active until the worker acknowledges.
      await repository.claim({ jobId: second.job_id, workerId: 'worker-c', now: at(now, 20), leaseMs: LEASE_MS });
      await repository.requestCancel(second.job_id, at(now, 21));
      await expectActive({ 'key-a': 1 });
      await repository.markCancelled(second.job_id, 'worker-c', at(now, 22));
      await expectActive({ 'key-a': 0 });

      // Requeued after a cancel, cancelled while queued.
      await repository.requeue(second.job_id, at(now, 30), 'again');
      await expectActive({ 'key-a': 1 });
      await repository.requestCancel(second.job_id, at(now, 31));
      await expectActive({ 'key-a': 0 });

      // A release after a cancel request cancels; a plain failure ends it too.
      const third = await createQueued({ owner: 'key-a' });
      await repository.claim({ jobId: third.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
      await repository.requestCancel(third.job_id, now);
      await repository.release(third.job_id, 'worker-a', at(now, 1), 'shutting down');
      await expectActive({ 'key-a': 0 });
      await repository.requeue(third.job_id, at(now, 2), 'retry');
      await repository.claim({ jobId: third.job_id, workerId: 'worker-a', now: at(now, 3), leaseMs: LEASE_MS });
      await repository.fail(third.job_id, 'worker-a', { now, error: { code: 'FFMPEG_FAILED', message: 'x' } });
      await expectActive({ 'key-a': 0, 'key-b': 1 });

      // Finished jobs keep their owner: they still list, they just no longer count.
      await expect(repository.list({ limit: 10, skip: 0, owner: 'key-a' })).resolves.toMatchObject({ count: 3 });
      const stored = await repository.get(third.job_id);
      expect(stored).toMatchObject({ owner: 'key-a', status: 'failed' });
      expect(stored).not.toHaveProperty('active_owner');
    });

    it('requeues a job without an owner without counting it for anybody', async () => {
      const job = await claimed('worker-a');
      await repository.fail(job.job_id, 'worker-a', { now: new Date(), error: { code: 'NOT_MEDIA', message: 'x' } });
      await expect(repository.requeue(job.job_id, new Date(), 'retry')).resolves.toMatchObject({ status: 'queued' });
      await expect(repository.get(job.job_id)).resolves.not.toHaveProperty('owner');
      await expect(repository.countActive('key-a')).resolves.toBe(0);
    });
  });

  describe('rate limits', () => {
    let limits: RateLimitStore;
    const openedLimits: RateLimitStore[] = [];
    const openLimits = (): RateLimitStore => {
      const instance = store.openRateLimits();
      openedLimits.push(instance);
      return instance;
    };

    beforeEach(async () => {
      limits = openLimits();
      await limits.init();
    });

    afterEach(async () => {
      await Promise.all(openedLimits.splice(0).map(async (instance) => instance.close()));
    });

    const start = new Date('2025-05-01T12:00:00.000Z');
    const bucket = { key: 'submit:key-a', capacity: 5, refillPerSecond: 1 };

    it('allows a full bucket, then refuses with a sensible Retry-After', async () => {
      for (let index = 4; index >= 0; index -= 1) {
        await expect(limits.take({ ...bucket, now: start })).resolves.toEqual({
          allowed: true,
          remaining: index,
          retryAfterMs: 0,
          resetMs: (5 - index) * 1000,
        });
      }
      await expect(limits.take({ ...bucket, now: start })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 1000,
        resetMs: 5000,
      });
      // A refused take takes nothing: 400 ms later the next token is 600 ms away.
      await expect(limits.take({ ...bucket, now: at(start, 400) })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 600,
        resetMs: 4600,
      });
      // Another replica sees the same bucket.
      await expect(openLimits().take({ ...bucket, now: at(start, 500) })).resolves.toMatchObject({
        allowed: false,
        retryAfterMs: 500,
      });
    });

    it('refills over time, never beyond capacity', async () => {
      for (let index = 0; index < 5; index += 1) await limits.take({ ...bucket, now: start });
      // 2.5 s later: two tokens and a half.
      const later = at(start, 2500);
      await expect(limits.take({ ...bucket, now: later })).resolves.toMatchObject({ allowed: true, remaining: 1 });
      await expect(limits.take({ ...bucket, now: later })).resolves.toMatchObject({ allowed: true, remaining: 0 });
      await expect(limits.take({ ...bucket, now: later })).resolves.toEqual({
        allowed: false,
        remaining: 0,
        retryAfterMs: 500,
        resetMs: 4500,
      });
      await expect(limits.take({ ...bucket, now: at(later, 500) })).resolves.toMatchObject({ allowed: true });

      // A day idle refills to capacity and no further.
      const muchLater = at(start, 24 * 60 * 60_000);
      let allowed = 0;
      for (let index = 0; index < 7; index += 1) {
        if ((await limits.take({ ...bucket, now: muchLater })).allowed) allowed += 1;
      }
      expect(allowed).toBe(5);
    });

    it('takes a cost of several tokens at once', async () => {
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
      await expect(limits.take({ ...costly, cost: 3 })).resolves.toMatchObject({ allowed: true, remaining: 0 });
    });

    it('keeps keys apart', async () => {
      for (let index = 0; index < 5; index += 1) await limits.take({ ...bucket, now: start });
      await expect(limits.take({ ...bucket, now: start })).resolves.toMatchObject({ allowed: false });
      await expect(limits.take({ ...bucket, key: 'submit:key-b', now: start })).resolves.toMatchObject({
        allowed: true,
        remaining: 4,
      });
      await expect(limits.take({ ...bucket, key: 'upload:key-a', now: start })).resolves.toMatchObject({
        allowed: true,
        remaining: 4,
      });
    });

    it('lets exactly capacity of 20 concurrent takes through, across replicas', async () => {
      const replicas = [limits, openLimits(), openLimits()];
      await Promise.all(replicas.map(async (replica) => replica.init()));
      // Next to no refill, so the real time the race takes cannot add a token.
      const contended = { key: 'submit:contended', capacity: 5, refillPerSecond: 0.001 };
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, index) =>
          replicas[index % replicas.length].take({ ...contended, now: at(start, index) }),
        ),
      );
      expect(results.filter((result) => result.allowed)).toHaveLength(5);
      for (const refused of results.filter((result) => !result.allowed)) {
        expect(refused.retryAfterMs).toBeGreaterThan(0);
      }
      await expect(limits.take({ ...contended, now: at(start, 100) })).resolves.toMatchObject({
        allowed: false,
        remaining: 0,
      });
    });

    it('holds under heavier contention: 60 concurrent takes on capacity 10, then a refill', async () => {
      const replicas = [limits, openLimits(), openLimits()];
      const contended = { key: 'upload:contended', capacity: 10, refillPerSecond: 0.001 };
      const race = async (now: Date): Promise<number> => {
        const results = await Promise.all(
          Array.from({ length: 60 }, async (_, index) => replicas[index % replicas.length].take({ ...contended, now })),
        );
        return results.filter((result) => result.allowed).length;
      };
      await expect(race(start)).resolves.toBe(10);
      // 4000 s at 0.001 tokens/s: four tokens for sixty takers.
      await expect(race(at(start, 4_000_000))).resolves.toBe(4);
    }, 30_000);

    it('counts right over many takes of one bucket', async () => {
      const many = { key: 'submit:many', capacity: 40, refillPerSecond: 0.001, now: start };
      for (let index = 39; index >= 0; index -= 1) {
        await expect(limits.take(many)).resolves.toMatchObject({ allowed: true, remaining: index });
      }
      await expect(limits.take(many)).resolves.toMatchObject({ allowed: false, remaining: 0 });
    });

    it('rejects limits that cannot work as INTERNAL', async () => {
      for (const wrong of [{ capacity: 0 }, { refillPerSecond: 0 }, { cost: 6 }, { cost: 0 }]) {
        await expect(limits.take({ ...bucket, now: start, ...wrong })).rejects.toMatchObject({ code: 'INTERNAL' });
      }
    });

    it('never shows buckets as jobs', async () => {
      const job = await createQueued({ owner: 'key-a' });
      await limits.take({ ...bucket, now: start });
      await limits.take({ ...bucket, key: 'upload:key-a', now: start });
      const page = await repository.list({ limit: 10, skip: 0 });
      expect(page.jobs.map((listed) => listed.job_id)).toEqual([job.job_id]);
      expect(page.count).toBe(1);
      await expect(repository.countActive('key-a')).resolves.toBe(1);
      const recoverable = await repository.findRecoverable(new Date('9999-12-31T23:59:59.999Z'), 100);
      expect(recoverable.map((listed) => listed.job_id)).toEqual([job.job_id]);
    });
  });

  describe('tables created by the previous version', () => {
    // MongoDB's init() simply creates whatever index is missing; DynamoDB tables need migrating.
    const dynamoOnly = backend.kind === 'dynamodb' ? it : it.skip;
    // Servers that cannot add an index online (dynalite) get their tables rebuilt instead.
    const rebuildOnly = backend.compat === 'dynalite' ? it : it.skip;

    dynamoOnly(
      'init adds the dead-letter index and keeps the jobs',
      async () => {
        const fresh = storeOn(backend.database());
        const freshTools = fresh.table;
        if (!freshTools) throw new Error('a DynamoDB store has table tools');
        try {
          await freshTools.create(previousTableDefinition(freshTools.name));
          const legacy = newJob({ created_at: '2025-01-01T00:00:00.000Z' });
          await freshTools.put(freshTools.name, previousQueuedItem(legacy));
          await expect(freshTools.indexes(freshTools.name)).resolves.not.toHaveProperty('by_dead_letter');

          const instances = [open(fresh), open(fresh), open(fresh)];
          await Promise.all(instances.map(async (instance) => instance.init()));
          await expect(freshTools.indexes(freshTools.name)).resolves.toEqual(ALL_INDEXES_ACTIVE);
          await instances[0].init();

          const migrated = instances[0];
          await expect(migrated.get(legacy.job_id)).resolves.toMatchObject({ job_id: legacy.job_id, status: 'queued' });
          await expect(migrated.list({ limit: 10, skip: 0 })).resolves.toMatchObject({ count: 1 });
          const recoverable = await migrated.findRecoverable(new Date(), 10);
          expect(recoverable.map((job) => job.job_id)).toEqual([legacy.job_id]);

          const now = new Date();
          await migrated.claim({ jobId: legacy.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
          await migrated.fail(legacy.job_id, 'worker-a', {
            now,
            error: { code: 'NOT_MEDIA', message: 'x' },
            deadLetter: true,
          });
          const deadLetters = await migrated.listDeadLetters({ limit: 10 });
          expect(deadLetters.jobs.map((job) => job.job_id)).toEqual([legacy.job_id]);
        } finally {
          await Promise.all(opened.splice(1).map(async (instance) => instance.close()));
          await fresh.drop();
        }
      },
      60_000,
    );

    dynamoOnly(
      'init adds the owner indexes to a table of the previous version, counting its active jobs',
      async () => {
        const fresh = storeOn(backend.database());
        const tools = fresh.table;
        if (!tools) throw new Error('a DynamoDB store has table tools');
        try {
          await tools.create(previousTableDefinition(tools.name, true));
          const now = new Date();
          const base = Date.parse('2025-02-01T00:00:00.000Z');
          const legacy = (index: number, owner?: string): NewJob =>
            newJob({ created_at: new Date(base + index * 1000).toISOString(), ...(owner ? { owner } : {}) });
          const queued = legacy(0, 'key-a');
          const processing = legacy(1, 'key-a');
          const completed = legacy(2, 'key-a');
          const otherOwner = legacy(3, 'key-b');
          const ownerless = legacy(4);
          await tools.put(tools.name, previousQueuedItem(queued));
          await tools.put(tools.name, previousItemIn(processing, 'processing', now));
          await tools.put(tools.name, previousItemIn(completed, 'completed', now));
          await tools.put(tools.name, previousQueuedItem(otherOwner));
          await tools.put(tools.name, previousQueuedItem(ownerless));
          await expect(tools.indexes(tools.name)).resolves.toEqual({
            by_created: 'ACTIVE',
            by_status: 'ACTIVE',
            by_dead_letter: 'ACTIVE',
          });

          const instances = [open(fresh), open(fresh), open(fresh)];
          await Promise.all(instances.map(async (instance) => instance.init()));
          await expect(tools.indexes(tools.name)).resolves.toEqual(ALL_INDEXES_ACTIVE);
          const migrated = instances[0];
          await migrated.init();

          const listed = await migrated.list({ limit: 10, skip: 0, owner: 'key-a' });
          expect(listed.jobs.map((job) => job.job_id)).toEqual([completed.job_id, processing.job_id, queued.job_id]);
          expect(listed.count).toBe(3);
          await expect(migrated.list({ limit: 10, skip: 0 })).resolves.toMatchObject({ count: 5 });
          await expect(migrated.countActive('key-a')).resolves.toBe(2);
          await expect(migrated.countActive('key-b')).resolves.toBe(1);
          await expect(migrated.get(queued.job_id)).resolves.not.toHaveProperty('active_owner');

          // The backfilled jobs leave the count like new ones.
          await migrated.claim({
            jobId: processing.job_id,
            workerId: 'worker-new',
            now: at(now, 2 * LEASE_MS),
            leaseMs: LEASE_MS,
          });
          await migrated.complete(processing.job_id, 'worker-new', { now, outputs: [], output_path: 's3://out/p.mp4' });
          await migrated.requestCancel(queued.job_id, now);
          await expect(migrated.countActive('key-a')).resolves.toBe(0);
          await expect(migrated.requeue(queued.job_id, now, 'retry')).resolves.toMatchObject({ status: 'queued' });
          await expect(migrated.countActive('key-a')).resolves.toBe(1);
          // Rate-limit buckets live in the same table.
          const limits = fresh.openRateLimits();
          try {
            await limits.init();
            await expect(
              limits.take({ key: 'submit:key-a', capacity: 1, refillPerSecond: 1, now }),
            ).resolves.toMatchObject({ allowed: true });
          } finally {
            await limits.close();
          }
        } finally {
          await Promise.all(opened.splice(1).map(async (instance) => instance.close()));
          await fresh.drop();
        }
      },
      60_000,
    );

    rebuildOnly(
      'init resumes a table rebuild that a crash interrupted',
      async () => {
        const fresh = storeOn(backend.database());
        const tools = fresh.table;
        if (!tools) throw new Error('a DynamoDB store has table tools');
        try {
          // The crash came after the jobs were copied to the staging table and the original was dropped.
          const staging = `${tools.name}.rebuild`;
          const stagingRepository = tools.repository(staging);
          opened.push(stagingRepository);
          await stagingRepository.init();
          const survivor = await stagingRepository.create(newJob());
          await tools.put(staging, { job_id: '#rebuild-copy-complete' });

          const resumed = open(fresh);
          await resumed.init();
          await expect(resumed.get(survivor.job_id)).resolves.toEqual(survivor);
          await expect(resumed.list({ limit: 10, skip: 0 })).resolves.toMatchObject({ count: 1 });
          await expect(tools.indexes(staging)).resolves.toBeUndefined();
        } finally {
          await Promise.all(opened.splice(1).map(async (instance) => instance.close()));
          await fresh.drop();
        }
      },
      60_000,
    );
  });
});

describe('MongoDB records stored before active_owner', () => {
  it('init() gives active_owner to the queued and processing jobs of an earlier version, so they count', async () => {
    const admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
    const collection = uniqueName('jobs');
    const repository = new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection, compat: 'ferretdb-v1' });
    try {
      await admin.connect();
      const legacy = (status: Job['status']): Record<string, unknown> => {
        const job_id = randomUUID();
        const created_at = new Date().toISOString();
        return {
          _id: job_id,
          job_id,
          status,
          method_name: 'compress',
          output_format: 'mp4',
          params: {},
          source: 's3://mediaflow-input/videos/clip.mp4',
          progress: 0,
          attempts: status === 'queued' ? 0 : 1,
          created_at,
          updated_at: created_at,
          outputs: [],
          history: [{ status: 'queued', at: created_at }],
          owner: 'key-old',
          ...(status === 'processing' ? { worker_id: 'w', lease_expires_at: created_at } : {}),
        };
      };
      const documents = [legacy('queued'), legacy('processing'), legacy('completed')];
      await admin.db(MONGO_DB).collection<Record<string, unknown>>(collection).insertMany(documents);
      await repository.init();
      await expect(repository.countActive('key-old')).resolves.toBe(2);
      const done = await repository.get(String(documents[2]._id));
      expect(done).not.toHaveProperty('active_owner');
      // And the backfilled jobs leave the count like any other.
      await repository.requestCancel(String(documents[0]._id), new Date());
      await expect(repository.countActive('key-old')).resolves.toBe(1);
    } finally {
      await repository.close();
      await dropMongoCollections(admin, collection);
      await admin.close();
    }
  });
});

/**
 * FerretDB v1 writes an update back as the whole document it read, so a
 * progress write that read the job just before a cancel was stored drops
 * `cancel_requested` again. The race itself takes a moment of load to hit, so
 * the lost update is made here with a raw write; what is tested is that the
 * repository still stops the worker and lets it acknowledge the cancel.
 */
describe('MongoDB (ferretdb-v1) cancel requests overwritten by a concurrent write', () => {
  const collection = uniqueName('jobs');
  const admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
  const repository = new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection, compat: 'ferretdb-v1' });
  const loseCancelFlag = async (jobId: string): Promise<void> => {
    await admin
      .db(MONGO_DB)
      .collection<{ _id: string }>(collection)
      .updateOne({ _id: jobId }, { $unset: { cancel_requested: '' } });
  };
  async function running(workerId: string, now: Date): Promise<Job> {
    const job = await repository.create(newJob());
    const claimedJob = await repository.claim({ jobId: job.job_id, workerId, now, leaseMs: LEASE_MS });
    if (!claimedJob) throw new Error('setup claim failed');
    return claimedJob;
  }

  beforeAll(async () => {
    await admin.connect();
    await repository.init();
  });
  afterAll(async () => {
    await repository.close();
    await dropMongoCollections(admin, collection);
    await admin.close();
  });

  it('refuses the worker’s progress and completion, restores the flag, and lets the worker acknowledge', async () => {
    const now = new Date();
    const job = await running('worker-a', now);
    await expect(repository.requestCancel(job.job_id, at(now, 1000))).resolves.toMatchObject({
      cancel_requested: true,
    });
    await loseCancelFlag(job.job_id);
    await expect(repository.get(job.job_id)).resolves.not.toHaveProperty('cancel_requested');

    await expect(
      repository.updateProgress(job.job_id, 'worker-a', { progress: 50, leaseExpiresAt: at(now, LEASE_MS) }),
    ).resolves.toBe(false);
    // The worker asks why it was refused: cancelled, not taken over.
    await expect(repository.get(job.job_id)).resolves.toMatchObject({
      status: 'processing',
      cancel_requested: true,
      updated_at: at(now, 1000).toISOString(),
    });
    await loseCancelFlag(job.job_id);
    await expect(
      repository.complete(job.job_id, 'worker-a', { now: at(now, 3000), outputs: [], output_path: 's3://out/x.mp4' }),
    ).resolves.toBe(false);
    await loseCancelFlag(job.job_id);
    // A release after a cancel ends the job instead of queueing it again.
    await expect(repository.release(job.job_id, 'worker-a', at(now, 4000), 'shutting down')).resolves.toBe(true);
    await expect(repository.get(job.job_id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('stops a queued job whose cancel a concurrent claim overwrote', async () => {
    const now = new Date();
    const job = await repository.create(newJob());
    await expect(repository.requestCancel(job.job_id, now)).resolves.toMatchObject({ status: 'cancelled' });
    // What the lost update leaves: the claim's whole document, processing for worker-a.
    await admin
      .db(MONGO_DB)
      .collection<{ _id: string }>(collection)
      .updateOne(
        { _id: job.job_id },
        {
          $set: { status: 'processing', worker_id: 'worker-a', lease_expires_at: at(now, LEASE_MS).toISOString() },
          $unset: { completed_at: '' },
        },
      );
    await expect(
      repository.updateProgress(job.job_id, 'worker-a', { progress: 10, leaseExpiresAt: at(now, LEASE_MS) }),
    ).resolves.toBe(false);
    await expect(repository.markCancelled(job.job_id, 'worker-a', at(now, 2000))).resolves.toBe(true);
    await expect(repository.get(job.job_id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('forgets a job’s ledger entries once a worker has ended it, so the ledger does not grow for ever', async () => {
    const ledger = admin.db(MONGO_DB).collection<{ _id: string; job_id: string }>(`${collection}_claims`);
    const now = new Date();
    const completed = await running('worker-a', now);
    expect(await ledger.countDocuments({ job_id: completed.job_id })).toBe(1);
    await expect(
      repository.complete(completed.job_id, 'worker-a', { now, outputs: [], output_path: 's3://out/x.mp4' }),
    ).resolves.toBe(true);
    expect(await ledger.countDocuments({ job_id: completed.job_id })).toBe(0);

    const cancelled = await running('worker-a', now);
    await repository.requestCancel(cancelled.job_id, now);
    expect(await ledger.countDocuments({ job_id: cancelled.job_id })).toBe(2);
    await expect(repository.markCancelled(cancelled.job_id, 'worker-a', now)).resolves.toBe(true);
    expect(await ledger.countDocuments({ job_id: cancelled.job_id })).toBe(0);
    // The index the purge uses.
    expect((await ledger.indexes()).map((index) => index.name)).toContain('by_job');
  });

  it('forgets the cancel when the job is retried, so the new run is not stopped', async () => {
    const now = new Date();
    const job = await running('worker-a', now);
    await repository.requestCancel(job.job_id, at(now, 1000));
    await expect(repository.markCancelled(job.job_id, 'worker-a', at(now, 2000))).resolves.toBe(true);
    await expect(repository.requeue(job.job_id, at(now, 3000), 'retried')).resolves.toMatchObject({ status: 'queued' });
    await expect(
      repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, 4000), leaseMs: LEASE_MS }),
    ).resolves.toMatchObject({ status: 'processing' });
    await expect(
      repository.updateProgress(job.job_id, 'worker-b', { progress: 40, leaseExpiresAt: at(now, LEASE_MS) }),
    ).resolves.toBe(true);
    await expect(
      repository.complete(job.job_id, 'worker-b', { now: at(now, 5000), outputs: [], output_path: 's3://out/x.mp4' }),
    ).resolves.toBe(true);
  });
});

/**
 * DATABASE_COMPAT=none is for real MongoDB: its init() creates every index in
 * one createIndexes, with partial and TTL options, which FerretDB v1 refuses
 * (238 NotImplemented), and its claims rely on an atomic conditional update,
 * which FerretDB v1 does not provide under concurrency. So here the indexes
 * come from a ferretdb-v1 repository's init(), and only sequential behaviour
 * of the `none` paths (claim without the ledger, idempotency without the
 * purge fallback) is exercised.
 */
describe('MongoDB with DATABASE_COMPAT=none, run sequentially on FerretDB', () => {
  let admin: MongoClient;
  let collection: string;
  let repository: JobRepository;

  beforeAll(async () => {
    admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
    await admin.connect();
  });
  afterAll(async () => admin.close());

  beforeEach(async () => {
    collection = uniqueName('jobs_none');
    const migrator = new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection, compat: 'ferretdb-v1' });
    try {
      await migrator.init();
    } finally {
      await migrator.close();
    }
    repository = new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection, compat: 'none' });
  });
  afterEach(async () => {
    await repository.close();
    await dropMongoCollections(admin, collection);
  });

  it('init() asks for partial and TTL indexes in one command, which FerretDB v1 refuses', async () => {
    const other = uniqueName('jobs_none');
    const fresh = new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection: other, compat: 'none' });
    try {
      await expect(fresh.init()).rejects.toMatchObject({ code: 'DATABASE_ERROR' });
    } finally {
      await fresh.close();
      await dropMongoCollections(admin, other);
    }
  });

  it('claims with one conditional update and keeps no claim ledger', async () => {
    const now = new Date();
    const job = await repository.create(newJob({ owner: 'key-none' }));
    const claimed = await repository.claim({ jobId: job.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
    expect(claimed).toMatchObject({ status: 'processing', attempts: 1, worker_id: 'worker-a' });
    // A live lease refuses another claimer; an expired one lets it take over with the next attempt.
    await expect(
      repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, 1000), leaseMs: LEASE_MS }),
    ).resolves.toBeNull();
    const later = at(now, LEASE_MS + 1000);
    await expect(
      repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: later, leaseMs: LEASE_MS }),
    ).resolves.toMatchObject({ status: 'processing', attempts: 2, worker_id: 'worker-b' });
    // The first owner lost the job: its updates no longer apply.
    await expect(
      repository.updateProgress(job.job_id, 'worker-a', { progress: 50, leaseExpiresAt: at(later, LEASE_MS) }),
    ).resolves.toBe(false);
    await expect(repository.countActive('key-none')).resolves.toBe(1);
    // No ledger entry was written (the ferretdb-v1 migrator created the empty collection).
    await expect(admin.db(MONGO_DB).collection(`${collection}_claims`).countDocuments()).resolves.toBe(0);
  });

  it('claims a requeued job again from attempt 1', async () => {
    const now = new Date();
    const job = await repository.create(newJob());
    await repository.claim({ jobId: job.job_id, workerId: 'worker-a', now, leaseMs: LEASE_MS });
    await repository.fail(job.job_id, 'worker-a', {
      now: at(now, 10),
      error: { code: 'INTERNAL', message: 'boom' },
    });
    const requeued = await repository.requeue(job.job_id, at(now, 20), 'again');
    expect(requeued).toMatchObject({ status: 'queued', attempts: 0 });
    await expect(
      repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: at(now, 30), leaseMs: LEASE_MS }),
    ).resolves.toMatchObject({ status: 'processing', attempts: 1, worker_id: 'worker-b' });
  });

  it('reserves idempotency keys without the purge fallback', async () => {
    const now = new Date();
    const input = { scope: 'key-none', key: randomUUID(), jobId: randomUUID(), fingerprint: 'f', now };
    await expect(repository.reserveIdempotencyKey(input)).resolves.toBeNull();
    await expect(repository.reserveIdempotencyKey({ ...input, jobId: randomUUID() })).resolves.toEqual({
      job_id: input.jobId,
      fingerprint: 'f',
    });
  });
});

describe('createJobRepository', () => {
  const baseEnv = { NODE_ENV: 'test' } as const;

  /** The rate limits share the repository's database and client. */
  async function expectWorkingRateLimits(limits: RateLimitStore): Promise<void> {
    await limits.init();
    const request = { key: `submit:${randomUUID()}`, capacity: 1, refillPerSecond: 0.01, now: new Date() };
    await expect(limits.take(request)).resolves.toMatchObject({ allowed: true });
    await expect(limits.take(request)).resolves.toMatchObject({ allowed: false });
  }

  it('builds a working MongoDB repository from configuration', async () => {
    const collection = uniqueName('jobs');
    const config = loadConfig({
      ...baseEnv,
      MONGO_URL,
      DB_NAME: MONGO_DB,
      MONGO_JOBS_COLLECTION: collection,
      DATABASE_COMPAT: 'ferretdb-v1',
    });
    expect(config.DB_BACKEND).toBe('mongodb');
    const handle = await createJobRepository(config);
    try {
      await handle.repository.init();
      const job = await handle.repository.create(newJob());
      await expect(handle.repository.get(job.job_id)).resolves.toEqual(job);
      await expectWorkingRateLimits(handle.rateLimits);
    } finally {
      const admin = new MongoClient(MONGO_URL);
      await dropMongoCollections(admin, collection);
      await admin.close();
      await handle.close();
    }
  });

  it('builds a working DynamoDB repository from configuration', async () => {
    const table = uniqueName('mediaflow-jobs');
    const config = loadConfig({ ...baseEnv, DYNAMODB_ENDPOINT, DYNAMODB_TABLE: table });
    expect(config.DB_BACKEND).toBe('dynamodb');
    const handle = await createJobRepository(config);
    try {
      await handle.repository.init();
      const job = await handle.repository.create(newJob());
      await expect(handle.repository.get(job.job_id)).resolves.toEqual(job);
      await expectWorkingRateLimits(handle.rateLimits);
    } finally {
      const client = createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT });
      await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      client.destroy();
      await handle.close();
    }
  });

  it('runs embedded with its data kept under DATA_DIR across restarts', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-embedded-'));
    try {
      const config = loadConfig({ ...baseEnv, DATA_DIR: dataDir });
      expect(config.DB_BACKEND).toBe('embedded');
      const first = await createJobRepository(config);
      let job: Job;
      try {
        await first.repository.init();
        job = await first.repository.create(newJob());
        await expectWorkingRateLimits(first.rateLimits);
      } finally {
        await first.close();
      }
      const second = await createJobRepository(config);
      try {
        await second.repository.init();
        await expect(second.repository.get(job.job_id)).resolves.toEqual(job);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('database outage', () => {
  // Nothing listens on port 9 (discard) on the test machine, so connections are refused.
  it('MongoDB fails fast with DATABASE_ERROR', async () => {
    const repository = new MongoJobRepository({ url: 'mongodb://127.0.0.1:9', dbName: MONGO_DB, collection: 'jobs' });
    const started = Date.now();
    try {
      await expect(repository.get('x')).rejects.toMatchObject({ code: 'DATABASE_ERROR', retryable: true });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await repository.close();
    }
  }, 15_000);

  it('DynamoDB fails fast with DATABASE_ERROR', async () => {
    const repository = new DynamoJobRepository({
      client: createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }),
      tableName: 'jobs',
      destroyClientOnClose: true,
    });
    const started = Date.now();
    try {
      await expect(repository.get('x')).rejects.toMatchObject({ code: 'DATABASE_ERROR', retryable: true });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await repository.close();
    }
  }, 15_000);
});
