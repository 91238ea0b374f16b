import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '@mediaflow/domain';
import { Worker } from '@mediaflow/worker';
import { ApiClient } from '../support/api-client';
import { makeClip } from '../support/media-fixtures';
import { dropDynamoTables } from '../support/dynamo-tables';
import { startInProcessApi } from '../support/in-process-api';
import type { InProcessApi } from '../support/in-process-api';
import { TEST_KEYS } from '../support/system';

/**
 * Webhooks end to end, on the real database (FerretDB) and S3: a local
 * receiver verifies every signature with the standardwebhooks library,
 * answers 500 to the first attempts, and sees the retries come with growing
 * gaps and the same webhook-id, across a restart of the API process (whose
 * dispatcher sends them) in between. Then the SSRF policy: without the
 * operator's allow setting, a loopback URL is refused at submit, at endpoint
 * creation, and at delivery.
 */

jest.setTimeout(120_000);

const FAILURES_FIRST = 3;
const RETRY_BASE_MS = 1000;

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  path: string;
  at: number;
  answered: number;
}

class Receiver {
  readonly requests: Received[] = [];
  private readonly server: http.Server;
  port = 0;

  constructor(private readonly failuresFirst: number) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const id = String(req.headers['webhook-id'] ?? '');
        const earlier = this.requests.filter((request) => request.id === id).length;
        const answered = earlier < this.failuresFirst ? 500 : 204;
        this.requests.push({
          id,
          timestamp: String(req.headers['webhook-timestamp'] ?? ''),
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
          path: req.url ?? '',
          at: Date.now(),
          answered,
        });
        res.writeHead(answered).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  byId(id: string): Received[] {
    return this.requests.filter((request) => request.id === id);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const failures = (status: number): number[] => Array.from({ length: FAILURES_FIRST }, () => status);
const attemptsAt = (path: string): string[] => Array.from({ length: FAILURES_FIRST + 1 }, () => path);
const unique = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

async function uploadSource(client: ApiClient): Promise<string> {
  const response = await client.request<{ source: string }>('PUT', '/uploads/clip.mp4', {
    headers: { 'content-type': 'video/mp4' },
    body: randomBytes(4096),
  });
  expect(response.status).toBe(201);
  return response.body.source;
}

describe('webhooks', () => {
  const receiver = new Receiver(FAILURES_FIRST);
  const running: InProcessApi[] = [];

  beforeAll(async () => receiver.start());
  afterAll(async () => {
    await Promise.all(running.splice(0).map(async (api) => api.close({ keepTables: true })));
    await receiver.close();
    for (const [, database] of databases) await dropDynamoTables(database.DYNAMODB_TABLE);
  });

  async function start(env: NodeJS.ProcessEnv): Promise<InProcessApi> {
    const api = await startInProcessApi(env);
    running.push(api);
    return api;
  }

  async function stop(api: InProcessApi): Promise<void> {
    running.splice(running.indexOf(api), 1);
    // A restart on the same tables may follow; afterAll deletes them.
    await api.close({ keepTables: true });
  }

  // The same on both databases: MongoDB (FerretDB) and DynamoDB (DynamoDB Local).
  const databases: [string, NodeJS.ProcessEnv][] = [
    ['mongodb', { MONGO_JOBS_COLLECTION: unique('jobs_webhooks') }],
    ['dynamodb', { DB_BACKEND: 'dynamodb', DATABASE_COMPAT: 'none', DYNAMODB_TABLE: unique('mediaflow-webhooks-e2e') }],
  ];
  it.each(databases)(
    'on %s: delivers signed events at least once, retried with backoff under one webhook-id, across an API restart',
    async (_name, database) => {
      receiver.requests.splice(0);
      const env = {
        ...database,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
        WEBHOOK_RETRY_MAX_MS: '5000',
        WEBHOOK_POLL_INTERVAL_MS: '100',
        WEBHOOK_TIMEOUT_MS: '2000',
      };
      let api = await start(env);
      let alice = new ApiClient(api.base, TEST_KEYS.alice);

      // A key-level endpoint for cancellations, whose secret is shown once.
      const created = await alice.postJson<{ webhook_id: string; secret: string; events: string[] }>('/webhooks', {
        url: receiver.url('/endpoint'),
        events: ['job.cancelled'],
        description: 'e2e',
      });
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      const listed = await alice.request<{ webhooks: Record<string, unknown>[] }>('GET', '/webhooks');
      expect(listed.body.webhooks).toEqual([
        expect.objectContaining({ webhook_id: created.body.webhook_id, url: receiver.url('/endpoint') }),
      ]);
      expect(listed.body.webhooks[0]).not.toHaveProperty('secret');
      // Another key sees none of it.
      let bob = alice.as(TEST_KEYS.bob);
      expect((await bob.request<{ webhooks: unknown[] }>('GET', '/webhooks')).body.webhooks).toEqual([]);
      expect((await bob.request('DELETE', `/webhooks/${created.body.webhook_id}`)).status).toBe(404);

      const jobSecret = (await alice.request<{ secret: string }>('GET', '/webhooks/secret')).body.secret;
      expect(jobSecret).toMatch(/^whsec_/);
      expect((await alice.request<{ secret: string }>('GET', '/webhooks/secret')).body.secret).toBe(jobSecret);

      // A job with its own webhook_url; no worker runs here, so it stays queued until cancelled.
      const source = await uploadSource(alice);
      const submitted = await alice.postJson<{ job_id: string }>('/process', {
        source,
        method_name: 'compress',
        webhook_url: receiver.url('/job'),
      });
      expect(submitted.status).toBe(202);
      const jobId = submitted.body.job_id;
      expect((await alice.postJson(`/jobs/${jobId}/cancel`, {})).status).toBe(202);

      // Both deliveries fail at first; restart the API (and its dispatcher) while they wait for their retries.
      const ids = await until('two deliveries attempted', () => {
        const seen = [...new Set(receiver.requests.map((request) => request.id))];
        return seen.length >= 2 ? seen : undefined;
      });
      expect(ids).toHaveLength(2);
      await stop(api);
      const attemptsBeforeRestart = receiver.requests.length;
      expect(attemptsBeforeRestart).toBeLessThan(2 * (FAILURES_FIRST + 1));
      api = await start(env);
      alice = new ApiClient(api.base, TEST_KEYS.alice);
      bob = alice.as(TEST_KEYS.bob);

      await until('both delivered', () =>
        ids.every((id) => receiver.byId(id).some((request) => request.answered === 204)) ? true : undefined,
      );

      const secretFor = (path: string): string => (path === '/job' ? jobSecret : created.body.secret);
      for (const id of ids) {
        const attempts = receiver.byId(id);
        expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
        // At least once: every failure was retried until the success, under the same id and body.
        expect(attempts.map((request) => request.answered)).toEqual([...failures(500), 204]);
        expect(new Set(attempts.map((request) => request.body)).size).toBe(1);
        expect(new Set(attempts.map((request) => request.path)).size).toBe(1);
        for (const request of attempts) {
          const verified = new Webhook(secretFor(request.path)).verify(request.body, {
            'webhook-id': request.id,
            'webhook-timestamp': request.timestamp,
            'webhook-signature': request.signature,
          });
          expect(verified).toMatchObject({
            type: 'job.cancelled',
            data: { job_id: jobId, status: 'cancelled', method_name: 'compress' },
          });
          // Signed with the other secret, it would not verify.
          const other = request.path === '/job' ? created.body.secret : jobSecret;
          expect(() =>
            new Webhook(other).verify(request.body, {
              'webhook-id': request.id,
              'webhook-timestamp': request.timestamp,
              'webhook-signature': request.signature,
            }),
          ).toThrow();
        }
        // Backoff: the gap before retry n is at least half of base·2^(n-1) (the most jitter takes off).
        for (let n = 1; n < attempts.length; n += 1) {
          const gap = (attempts[n]?.at ?? 0) - (attempts[n - 1]?.at ?? 0);
          expect(gap).toBeGreaterThanOrEqual((RETRY_BASE_MS * 2 ** (n - 1)) / 2 - 50);
        }
      }
      expect(receiver.requests.map((request) => request.path).sort()).toEqual(
        [...attemptsAt('/endpoint'), ...attemptsAt('/job')].sort(),
      );

      // The job lists its deliveries with every attempt's status code and timing.
      const deliveries = await alice.request<{ deliveries: Record<string, unknown>[] }>(
        'GET',
        `/jobs/${jobId}/webhooks`,
      );
      expect(deliveries.status).toBe(200);
      expect(deliveries.body.deliveries).toHaveLength(2);
      for (const delivery of deliveries.body.deliveries) {
        expect(ids).toContain(delivery.webhook_id);
        expect(delivery).toMatchObject({ event_type: 'job.cancelled', status: 'delivered' });
        expect(delivery).not.toHaveProperty('secret');
        const attempts = delivery.attempts as { status_code: number; duration_ms: number; at: string }[];
        expect(attempts.map((attempt) => attempt.status_code)).toEqual([...failures(500), 204]);
        for (const attempt of attempts) {
          expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
          expect(Number.isNaN(Date.parse(attempt.at))).toBe(false);
        }
      }
      expect(deliveries.body.deliveries.map((delivery) => delivery.endpoint_id)).toContain(created.body.webhook_id);
      // Another key cannot see them.
      expect((await bob.request('GET', `/jobs/${jobId}/webhooks`)).status).toBe(404);

      expect((await alice.request('DELETE', `/webhooks/${created.body.webhook_id}`)).status).toBe(204);
      expect((await alice.request<{ webhooks: unknown[] }>('GET', '/webhooks')).body.webhooks).toEqual([]);
      await stop(api);
    },
  );

  it('sends a worker’s job.progress (rate-bounded) and job.completed to the subscribed endpoint and the job’s URL', async () => {
    const api = await start({
      MONGO_JOBS_COLLECTION: unique('jobs_webhooks_worker'),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '100',
      WEBHOOK_PROGRESS_INTERVAL_SECONDS: '1',
      PROGRESS_INTERVAL_MS: '200',
    });
    const worker = new Worker({
      infrastructure: api.infrastructure,
      config: api.config,
      logger: createLogger({ level: 'error', service: 'webhooks-worker' }),
      onFatal: (error) => {
        throw error;
      },
    });
    await worker.start();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-webhooks-'));
    const ok = new Receiver(0);
    await ok.start();
    try {
      const alice = new ApiClient(api.base, TEST_KEYS.alice);
      const endpoint = await alice.postJson<{ webhook_id: string; secret: string }>('/webhooks', {
        url: ok.url('/endpoint'),
        events: ['job.completed', 'job.progress'],
      });
      expect(endpoint.status).toBe(201);
      const jobSecret = (await alice.request<{ secret: string }>('GET', '/webhooks/secret')).body.secret;
      const clip = path.join(dir, 'clip.mp4');
      await makeClip(clip, { seconds: 8, width: 640, height: 480 });
      const source = await alice.upload('clip.mp4', clip);
      const submitted = await alice.postJson<{ job_id: string }>('/process', {
        source,
        method_name: 'compress',
        params: { preset: 'medium' },
        webhook_url: ok.url('/job'),
      });
      expect(submitted.status).toBe(202);
      const jobId = submitted.body.job_id;

      const events = async (): Promise<{ path: string; body: { type: string; data: Record<string, unknown> } }[]> =>
        Promise.resolve(
          ok.requests.map((request) => {
            const secret = request.path === '/job' ? jobSecret : endpoint.body.secret;
            const body = new Webhook(secret).verify(request.body, {
              'webhook-id': request.id,
              'webhook-timestamp': request.timestamp,
              'webhook-signature': request.signature,
            }) as { type: string; data: Record<string, unknown> };
            return { path: request.path, body };
          }),
        );
      const received = await until(
        'job.completed at both targets',
        async () => {
          const all = await events();
          return all.filter((event) => event.body.type === 'job.completed').length >= 2 ? all : undefined;
        },
        90_000,
      );
      const completed = received.filter((event) => event.body.type === 'job.completed');
      expect(completed.map((event) => event.path).sort()).toEqual(['/endpoint', '/job']);
      for (const event of completed) {
        expect(event.body.data).toMatchObject({ job_id: jobId, status: 'completed', progress: 100 });
        expect((event.body.data.outputs as unknown[]).length).toBeGreaterThan(0);
      }
      // Progress goes to the endpoint that asked for it, never to the job's own URL, at most one a second.
      const progress = received.filter((event) => event.body.type === 'job.progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((event) => event.path === '/endpoint')).toBe(true);
      const progressIds = ok.requests.filter((request) => request.path === '/endpoint').map((request) => request.id);
      expect(new Set(progressIds).size).toBe(progressIds.length);
      const values = progress.map((event) => Number(event.body.data.progress));
      expect(values.every((value) => value >= 0 && value <= 100)).toBe(true);
      const deliveries = await alice.request<{ deliveries: { event_type: string; status: string }[] }>(
        'GET',
        `/jobs/${jobId}/webhooks`,
      );
      expect(deliveries.body.deliveries.filter((delivery) => delivery.event_type === 'job.completed')).toHaveLength(2);
    } finally {
      await worker.stop();
      await ok.close();
      await rm(dir, { recursive: true, force: true });
      await stop(api);
    }
  });

  it('refuses private addresses unless the operator allows them: at submit, at endpoint creation and at delivery', async () => {
    const api = await start({
      MONGO_JOBS_COLLECTION: unique('jobs_webhooks_strict'),
      WEBHOOK_POLL_INTERVAL_MS: '100',
    });
    const alice = new ApiClient(api.base, TEST_KEYS.alice);
    const source = await uploadSource(alice);
    const before = receiver.requests.length;

    for (const url of [
      receiver.url('/job'),
      `http://localhost:${receiver.port}/job`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:127.0.0.1]/',
      'http://10.0.0.1/hook',
      'ftp://example.com/hook',
    ]) {
      const submitted = await alice.postJson<{ error: { code: string; message: string } }>('/process', {
        source,
        method_name: 'compress',
        webhook_url: url,
      });
      expect(submitted.status).toBe(400);
      expect(submitted.body.error.code).toBe('WEBHOOK_URL_REFUSED');
      const endpoint = await alice.postJson<{ error: { code: string } }>('/webhooks', {
        url,
        events: ['job.completed'],
      });
      expect(endpoint.status).toBe(400);
      expect(endpoint.body.error.code).toBe('WEBHOOK_URL_REFUSED');
    }
    const refused = await alice.postJson<{ error: { message: string } }>('/process', {
      source,
      method_name: 'compress',
      webhook_url: receiver.url('/job'),
    });
    expect(refused.body.error.message).toMatch(/127\.0\.0\.1 is a loopback address.*WEBHOOK_ALLOW_PRIVATE/);
    // Nothing was stored for the refused submits.
    expect((await alice.request<{ count: number }>('GET', '/process?limit=1')).body.count).toBe(0);

    // A delivery row aimed at loopback (as if the URL was accepted under another policy, or DNS changed
    // since): the dispatcher refuses to connect and records why.
    const jobId = '00000000-0000-4000-8000-000000000001';
    await api.infrastructure.webhooks.enqueueDeliveries([
      {
        delivery_id: `msg_${randomBytes(16).toString('hex')}`,
        job_id: jobId,
        owner: 'alice',
        url: receiver.url('/job'),
        event_type: 'job.completed',
        payload: '{}',
        secret: `whsec_${randomBytes(32).toString('base64')}`,
        created_at: new Date().toISOString(),
      },
    ]);
    const [delivery] = await until('the refused attempt recorded', async () => {
      const listed = await api.infrastructure.webhooks.listDeliveries(jobId, 10);
      return listed[0]?.attempts.length ? listed : undefined;
    });
    expect(delivery?.status).toBe('pending');
    expect(delivery?.attempts[0]?.status_code).toBeUndefined();
    expect(delivery?.attempts[0]?.error).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(receiver.requests.length).toBe(before);
    await stop(api);
  });
});
