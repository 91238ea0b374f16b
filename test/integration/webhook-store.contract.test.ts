import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import { createLogger } from '@mediaflow/domain';
import {
  DynamoJobRepository,
  DynamoWebhookStore,
  MongoJobRepository,
  MongoWebhookStore,
  WEBHOOK_TABLE,
} from '@mediaflow/repository';
import type { JobRepository, NewWebhookDelivery, WebhookEndpoint, WebhookStore } from '@mediaflow/repository';
import { WebhookEvents, WebhookRepairSweep } from '@mediaflow/runtime';
import { contractBackends, dropCollections, dropTables, uniqueName } from '../support/contract-backends';
import type { ContractDatabase } from '../support/contract-backends';

/**
 * The webhook roles (WebhookEndpoints, WebhookDeliveries) on the three
 * stores: FerretDB with DATABASE_COMPAT=ferretdb-v1, DynamoDB Local, and
 * dynalite as the embedded mode runs it. Each test gets its own collections
 * or table.
 */

/** A fresh namespace: `open()` gives store instances on it (as separate processes would have), `drop()` removes it. */
interface Namespace {
  open(): WebhookStore;
  /** The job repository on the same database and namespace. */
  jobs(): JobRepository;
  drop(): Promise<void>;
}

function namespaceOn(database: ContractDatabase): Namespace {
  if (database.kind === 'mongodb') {
    const jobsCollection = uniqueName('jobs');
    const connection = { url: database.url, dbName: database.dbName, compat: 'ferretdb-v1' } as const;
    return {
      open: () => new MongoWebhookStore({ ...connection, jobsCollection }),
      jobs: () => new MongoJobRepository({ ...connection, collection: jobsCollection }),
      drop: async () =>
        dropCollections(database, [
          jobsCollection,
          ...['endpoints', 'secrets', 'deliveries', 'leases'].map((suffix) => `${jobsCollection}_webhook_${suffix}`),
        ]),
    };
  }
  const tableName = uniqueName('mediaflow-jobs');
  return {
    open: () => new DynamoWebhookStore({ client: database.client(), tableName, destroyClientOnClose: true }),
    jobs: () =>
      new DynamoJobRepository({
        client: database.client(),
        tableName,
        destroyClientOnClose: true,
        compat: database.compat,
      }),
    drop: async () => dropTables(database, [tableName, `${tableName}${WEBHOOK_TABLE.suffix}`]),
  };
}

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function endpoint(owner: string, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    endpoint_id: `ep_${randomBytes(16).toString('hex')}`,
    owner,
    url: 'https://hooks.example.com/mediaflow',
    events: ['job.completed', 'job.failed'],
    secret: SECRET,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

function delivery(overrides: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery {
  return {
    delivery_id: `msg_${randomBytes(16).toString('hex')}`,
    job_id: randomUUID(),
    owner: 'team-a',
    url: 'https://hooks.example.com/mediaflow',
    event_type: 'job.completed',
    payload: JSON.stringify({ type: 'job.completed', data: { job_id: 'x' } }),
    secret: SECRET,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

const at = (base: Date, offsetMs: number): Date => new Date(base.getTime() + offsetMs);
const LEASE_MS = 30_000;

// Real servers on 2 cores beside other suites: a seeded test on dynalite (the embedded
// store, pure JavaScript) can pass 5 s under load. The assertions are what matter here.
jest.setTimeout(30_000);

describe.each(contractBackends())('WebhookStore contract: $name', (backend) => {
  let namespace: Namespace;
  let store: WebhookStore;
  const opened: WebhookStore[] = [];
  const open = (): WebhookStore => {
    const instance = namespace.open();
    opened.push(instance);
    return instance;
  };

  beforeAll(async () => backend.start());
  afterAll(async () => backend.stop());
  beforeEach(async () => {
    namespace = namespaceOn(backend.database());
    store = open();
    await store.init();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async (instance) => instance.close()));
    await namespace.drop();
  });

  describe('schema', () => {
    it('checkSchema names what is missing before init, and passes after; init is idempotent', async () => {
      const fresh = namespaceOn(backend.database());
      const other = fresh.open();
      try {
        const error = await other.checkSchema().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('DATABASE_ERROR');
        expect((error as AppError).message).toMatch(/db:migrate/);
        await Promise.all([other.init(), other.init()]);
        await other.init();
        await expect(other.checkSchema()).resolves.toBeUndefined();
      } finally {
        await other.close();
        await fresh.drop();
      }
    });
  });

  describe('endpoints', () => {
    it('lists an owner’s endpoints oldest first, never another owner’s, and deletes only the owner’s', async () => {
      const first = endpoint('team-a', { created_at: '2026-01-01T00:00:00.000Z', description: 'prod' });
      const second = endpoint('team-a', { created_at: '2026-01-02T00:00:00.000Z', events: ['job.progress'] });
      const foreign = endpoint('team-b');
      await store.createEndpoint(second, 10);
      await store.createEndpoint(first, 10);
      await store.createEndpoint(foreign, 10);

      expect(await store.listEndpoints('team-a')).toEqual([first, second]);
      expect(await open().listEndpoints('team-b')).toEqual([foreign]);
      expect(await store.listEndpoints('team-c')).toEqual([]);

      expect(await store.deleteEndpoint('team-b', first.endpoint_id)).toBe(false);
      expect(await store.deleteEndpoint('team-a', first.endpoint_id)).toBe(true);
      expect(await store.deleteEndpoint('team-a', first.endpoint_id)).toBe(false);
      expect(await store.listEndpoints('team-a')).toEqual([second]);
    });

    it('refuses an endpoint beyond the per-owner limit with WEBHOOK_ENDPOINT_LIMIT', async () => {
      await store.createEndpoint(endpoint('team-a'), 2);
      await store.createEndpoint(endpoint('team-a'), 2);
      await expect(store.createEndpoint(endpoint('team-a'), 2)).rejects.toMatchObject({
        code: 'WEBHOOK_ENDPOINT_LIMIT',
      });
      // Another owner's count is its own.
      await expect(store.createEndpoint(endpoint('team-b'), 2)).resolves.toBeUndefined();
    });

    it('stores one owner secret: the first proposal wins, also among concurrent first calls', async () => {
      const proposals = ['whsec_AAAA', 'whsec_BBBB', 'whsec_CCCC', 'whsec_DDDD'];
      const secrets = await Promise.all(proposals.map(async (proposal) => open().ownerSecret('team-a', proposal)));
      expect(new Set(secrets).size).toBe(1);
      expect(proposals).toContain(secrets[0]);
      expect(await store.ownerSecret('team-a', 'whsec_EEEE')).toBe(secrets[0]);
      expect(await store.ownerSecret('team-b', 'whsec_FFFF')).toBe('whsec_FFFF');
    });
  });

  describe('deliveries', () => {
    it('enqueues pending deliveries due at once, keeping the first of a duplicate id', async () => {
      const jobId = randomUUID();
      const now = new Date();
      const first = delivery({ job_id: jobId, created_at: at(now, -2000).toISOString() });
      const second = delivery({ job_id: jobId, created_at: at(now, -1000).toISOString(), event_type: 'job.progress' });
      await store.enqueueDeliveries([second, first]);
      await store.enqueueDeliveries([{ ...first, payload: '{"changed":true}' }]);

      const listed = await store.listDeliveries(jobId, 10);
      expect(listed.map((item) => item.delivery_id)).toEqual([first.delivery_id, second.delivery_id]);
      expect(listed[0]).toMatchObject({
        ...first,
        status: 'pending',
        attempts: [],
        next_attempt_at: first.created_at,
      });
      expect(await store.listDeliveries(jobId, 1)).toHaveLength(1);
      expect(await store.listDeliveries(randomUUID(), 10)).toEqual([]);
    });

    it('leases due deliveries earliest first, one dispatcher each, and hides them until the lease ends', async () => {
      const now = new Date();
      const early = delivery({ created_at: at(now, -3000).toISOString() });
      const late = delivery({ created_at: at(now, -1000).toISOString() });
      const future = delivery({ created_at: at(now, 60_000).toISOString() });
      await store.enqueueDeliveries([late, future, early]);

      const contenders = [store, open(), open(), open()];
      const results = await Promise.all(contenders.map(async (each) => each.leaseDueDeliveries(now, 10, LEASE_MS)));
      const leasedIds = results.flat().map((item) => item.delivery_id);
      // Each due delivery went to exactly one dispatcher; the future one to none.
      expect([...leasedIds].sort()).toEqual([early.delivery_id, late.delivery_id].sort());
      const winner = results.find((batch) => batch.length === 2);
      if (winner) expect(winner.map((item) => item.delivery_id)).toEqual([early.delivery_id, late.delivery_id]);
      for (const item of results.flat()) {
        expect(item.lease).toEqual(expect.any(String));
        expect(item.next_attempt_at).toBe(at(now, LEASE_MS).toISOString());
        expect(item.payload).toBe(early.payload);
      }

      expect(await store.leaseDueDeliveries(at(now, LEASE_MS - 1), 10, LEASE_MS)).toEqual([]);
      // A dispatcher that died leaves them to whoever comes after the lease.
      const takenOver = await open().leaseDueDeliveries(at(now, LEASE_MS + 1), 10, LEASE_MS);
      expect(takenOver.map((item) => item.delivery_id).sort()).toEqual(leasedIds.sort());
    });

    it('records attempts: a retry is due again later, delivered and failed are finished; a lost lease writes nothing', async () => {
      const now = new Date();
      const item = delivery({ created_at: at(now, -1000).toISOString() });
      await store.enqueueDeliveries([item]);
      const [leased] = await store.leaseDueDeliveries(now, 10, LEASE_MS);
      if (!leased) throw new Error('nothing leased');

      const failedAttempt = { at: now.toISOString(), duration_ms: 12, status_code: 500 };
      const retryAt = at(now, 5000);
      expect(
        await store.recordDeliveryAttempt(
          { ...leased, lease: 'not-the-lease' },
          {
            attempt: failedAttempt,
            outcome: { kind: 'delivered' },
          },
        ),
      ).toBe(false);
      expect(
        await store.recordDeliveryAttempt(leased, {
          attempt: failedAttempt,
          outcome: { kind: 'retry', nextAttemptAt: retryAt },
        }),
      ).toBe(true);
      // The same lease cannot record twice.
      expect(
        await store.recordDeliveryAttempt(leased, { attempt: failedAttempt, outcome: { kind: 'delivered' } }),
      ).toBe(false);

      let [stored] = await store.listDeliveries(item.job_id, 10);
      expect(stored).toMatchObject({
        status: 'pending',
        attempts: [failedAttempt],
        next_attempt_at: retryAt.toISOString(),
      });
      expect(await store.leaseDueDeliveries(at(retryAt, -1), 10, LEASE_MS)).toEqual([]);

      const [again] = await store.leaseDueDeliveries(retryAt, 10, LEASE_MS);
      if (!again) throw new Error('not due again');
      expect(again.attempts).toEqual([failedAttempt]);
      const timeout = { at: retryAt.toISOString(), duration_ms: 10_000, error: 'no response within 10000 ms' };
      expect(
        await store.recordDeliveryAttempt(again, {
          attempt: timeout,
          outcome: { kind: 'retry', nextAttemptAt: at(retryAt, 1) },
        }),
      ).toBe(true);
      const [third] = await store.leaseDueDeliveries(at(retryAt, 1), 10, LEASE_MS);
      if (!third) throw new Error('not due a third time');
      const ok = { at: at(retryAt, 1).toISOString(), duration_ms: 8, status_code: 204 };
      expect(await store.recordDeliveryAttempt(third, { attempt: ok, outcome: { kind: 'delivered' } })).toBe(true);

      [stored] = await store.listDeliveries(item.job_id, 10);
      expect(stored).toMatchObject({
        status: 'delivered',
        attempts: [failedAttempt, timeout, ok],
        delivered_at: ok.at,
      });
      expect(stored?.next_attempt_at).toBeUndefined();
      expect(await store.leaseDueDeliveries(at(now, 10 * LEASE_MS), 10, LEASE_MS)).toEqual([]);

      const gaveUp = delivery({ created_at: at(now, -1000).toISOString() });
      await store.enqueueDeliveries([gaveUp]);
      const [last] = await store.leaseDueDeliveries(now, 10, LEASE_MS);
      if (!last) throw new Error('nothing leased');
      const gone = { at: now.toISOString(), duration_ms: 3, status_code: 410 };
      expect(await store.recordDeliveryAttempt(last, { attempt: gone, outcome: { kind: 'failed' } })).toBe(true);
      const [failed] = await store.listDeliveries(gaveUp.job_id, 10);
      expect(failed).toMatchObject({ status: 'failed', attempts: [gone] });
      expect(failed?.delivered_at).toBeUndefined();
      expect(await store.leaseDueDeliveries(at(now, 10 * LEASE_MS), 10, LEASE_MS)).toEqual([]);
    });

    it('survives a new store instance (another process after a restart) with the same pending deliveries', async () => {
      const item = delivery({ created_at: at(new Date(), -1000).toISOString() });
      await store.enqueueDeliveries([item]);
      await store.close();
      const reopened = open();
      const leased = await reopened.leaseDueDeliveries(new Date(), 10, LEASE_MS);
      expect(leased.map((each) => each.delivery_id)).toEqual([item.delivery_id]);
    });
  });
  describe('repair of events a process died before recording', () => {
    const logger = createLogger({ level: 'error', service: 'webhook-repair-test' });

    it('finds jobs finished within a window, and records the terminal deliveries they lack, once', async () => {
      const jobs = namespace.jobs();
      try {
        await repairScenario(jobs);
      } finally {
        await jobs.close();
      }
    });

    async function repairScenario(jobs: JobRepository): Promise<void> {
      await jobs.init();
      const base = Date.now() - 600_000;
      const finish = async (offsetMs: number, webhook: boolean): Promise<string> => {
        const created = await jobs.create({
          job_id: randomUUID(),
          source: 's3://mediaflow-input/clip.mp4',
          operation: { method_name: 'compress', output_format: 'mp4', params: {} },
          created_at: new Date(base + offsetMs - 1000).toISOString(),
          owner: 'team-a',
          ...(webhook ? { webhook_url: 'https://hooks.example.com/job' } : {}),
        });
        const now = new Date(base + offsetMs);
        if (!(await jobs.claim({ jobId: created.job_id, workerId: 'w', now, leaseMs: 60_000 })))
          throw new Error('claim');
        // The raw repository: the transition happens, its events are never recorded (the process "died").
        if (!(await jobs.complete(created.job_id, 'w', { now, outputs: [], output_path: 'x' })))
          throw new Error('done');
        return created.job_id;
      };
      const early = await finish(0, true);
      const inWindow = await finish(10_000, true);
      const silent = await finish(20_000, false);
      const late = await finish(30_000, true);

      const between = await jobs.findFinishedBetween(new Date(base + 5_000), new Date(base + 30_000), 10);
      expect(between.map((job) => job.job_id)).toEqual([inWindow, silent]);
      expect(await jobs.findFinishedBetween(new Date(base), new Date(base + 40_000), 1)).toHaveLength(1);
      await jobs.markDeleted(silent, new Date());
      expect(
        (await jobs.findFinishedBetween(new Date(base + 5_000), new Date(base + 30_000), 10)).map((job) => job.job_id),
      ).toEqual([inWindow]);

      const sweep = new WebhookRepairSweep({
        jobs,
        events: new WebhookEvents({ store, progressIntervalMs: 10_000, logger }),
        intervalMs: 60_000,
        lookbackMs: 25_000,
        settleMs: 0,
        logger,
      });
      // The window [base + 5 s, base + 30 s): only inWindow (silent is deleted, late is at its end).
      expect(await sweep.runOnce(new Date(base + 30_000))).toBe(1);
      expect(await sweep.runOnce(new Date(base + 30_000))).toBe(0);
      const [repaired] = await store.listDeliveries(inWindow, 10);
      expect(repaired).toMatchObject({
        job_id: inWindow,
        event_type: 'job.completed',
        url: 'https://hooks.example.com/job',
        status: 'pending',
      });
      expect(await store.listDeliveries(early, 10)).toEqual([]);
      expect(await store.listDeliveries(late, 10)).toEqual([]);
    }
  });
});
