import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { MongoClient } from 'mongodb';
import { AppError, loadConfig } from '@mediaflow/domain';
import type { Job, Operation } from '@mediaflow/domain';
import {
  createDynamoClient,
  createJobRepository,
  DynamoJobRepository,
  MongoJobRepository,
  startEmbeddedDynamo,
} from '@mediaflow/repository';
import type { EmbeddedDynamo, JobRepository, NewJob } from '@mediaflow/repository';

/**
 * One contract, three stores: FerretDB (MongoDB wire protocol), DynamoDB
 * Local, and dynalite as the embedded mode runs it. Every test gets its own
 * collection or table, so the stores start empty and runs never collide.
 */

const MONGO_URL = process.env.MONGO_URL ?? '';
const DYNAMODB_ENDPOINT = process.env.DYNAMODB_ENDPOINT ?? '';
const MONGO_DB = 'mediaflow_test';

interface Store {
  /** Another repository instance on the same collection or table, as a second process would have. */
  open(): JobRepository;
  drop(): Promise<void>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  store(): Store;
}

const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

function mongoBackend(): Backend {
  let admin: MongoClient | undefined;
  return {
    name: 'mongodb (FerretDB)',
    start: async () => {
      admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
      await admin.connect();
    },
    stop: async () => admin?.close(),
    store: () => {
      const collection = uniqueName('jobs');
      return {
        open: () => new MongoJobRepository({ url: MONGO_URL, dbName: MONGO_DB, collection }),
        drop: async () => dropMongoCollections(admin, collection),
      };
    },
  };
}

/** The jobs collection and the claim ledger the adapter keeps beside it. */
async function dropMongoCollections(client: MongoClient | undefined, collection: string): Promise<void> {
  const db = client?.db(MONGO_DB);
  await db
    ?.collection(collection)
    .drop()
    .catch(() => undefined);
  await db
    ?.collection(`${collection}_claims`)
    .drop()
    .catch(() => undefined);
}

function dynamoStore(endpoint: () => string): Store {
  const tableName = uniqueName('mediaflow-jobs');
  const clientFor = () => createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint() });
  return {
    open: () => new DynamoJobRepository({ client: clientFor(), tableName, destroyClientOnClose: true }),
    drop: async () => {
      const client = clientFor();
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      } finally {
        client.destroy();
      }
    },
  };
}

function dynamoLocalBackend(): Backend {
  return {
    name: 'dynamodb (DynamoDB Local)',
    start: async () => Promise.resolve(),
    stop: async () => Promise.resolve(),
    store: () => dynamoStore(() => DYNAMODB_ENDPOINT),
  };
}

function dynaliteBackend(): Backend {
  let dataDir = '';
  let embedded: EmbeddedDynamo | undefined;
  return {
    name: 'embedded (dynalite)',
    start: async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-dynalite-'));
      embedded = await startEmbeddedDynamo({ dataDir });
    },
    stop: async () => {
      await embedded?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    store: () =>
      dynamoStore(() => {
        if (!embedded) throw new Error('dynalite is not running');
        return embedded.endpoint;
      }),
  };
}

const operation: Operation = { method_name: 'compress', output_format: 'mp4', params: { crf: 28, preset: 'veryfast' } };

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

describe.each([mongoBackend(), dynamoLocalBackend(), dynaliteBackend()])('JobRepository contract: $name', (backend) => {
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
    store = backend.store();
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
      const fresh = backend.store();
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
});

describe('createJobRepository', () => {
  const baseEnv = { NODE_ENV: 'test' } as const;

  it('builds a working MongoDB repository from configuration', async () => {
    const collection = uniqueName('jobs');
    const config = loadConfig({ ...baseEnv, MONGO_URL, DB_NAME: MONGO_DB, MONGO_JOBS_COLLECTION: collection });
    expect(config.DB_BACKEND).toBe('mongodb');
    const handle = await createJobRepository(config);
    try {
      await handle.repository.init();
      const job = await handle.repository.create(newJob());
      await expect(handle.repository.get(job.job_id)).resolves.toEqual(job);
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
