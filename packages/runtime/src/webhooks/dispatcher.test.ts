import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '@mediaflow/domain';
import type { LeasedWebhookDelivery, WebhookAttemptRecord } from '@mediaflow/repository';
import { WebhookDispatcher } from './dispatcher';
import { generateWebhookSecret } from './signing';

const logger = createLogger({ level: 'error', service: 'dispatcher-test' });
const SCHEDULE = { baseMs: 1_000, maxMs: 60_000, windowMs: 3_600_000 };

describe('WebhookDispatcher.runOnce', () => {
  let server: http.Server;
  let base = '';
  const statusFor = new Map<string, number>();
  const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(statusFor.get(req.url ?? '') ?? 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    statusFor.set('/fail', 500).set('/gone', 410);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('signs each delivery, records delivered / retry with backoff / given up, and never retries progress', async () => {
    const secret = generateWebhookSecret();
    const now = Date.now();
    const leased = (id: string, path: string, event: LeasedWebhookDelivery['event_type']): LeasedWebhookDelivery => ({
      delivery_id: id,
      job_id: 'job-1',
      url: `${base}${path}`,
      event_type: event,
      payload: JSON.stringify({ type: event, id }),
      secret,
      created_at: new Date(now - 1_000).toISOString(),
      status: 'pending',
      attempts: [{ at: new Date(now - 1_000).toISOString(), duration_ms: 5, status_code: 500 }],
      lease: `lease-${id}`,
    });
    const batch = [
      leased('msg_ok', '/ok', 'job.completed'),
      leased('msg_fail', '/fail', 'job.failed'),
      leased('msg_gone', '/gone', 'job.completed'),
      leased('msg_progress', '/fail', 'job.progress'),
    ];
    const records = new Map<string, WebhookAttemptRecord>();
    let leaseMs = 0;
    const dispatcher = new WebhookDispatcher({
      deliveries: {
        leaseDueDeliveries: async (_now, _limit, ms) => {
          leaseMs = ms;
          return Promise.resolve(batch);
        },
        recordDeliveryAttempt: async (delivery, record) => {
          expect(delivery.lease).toBe(`lease-${delivery.delivery_id}`);
          records.set(delivery.delivery_id, record);
          return Promise.resolve(true);
        },
      },
      send: { policy: { allowPrivate: true, allowedCidrs: [] }, timeoutMs: 2_000 },
      schedule: SCHEDULE,
      pollIntervalMs: 1_000,
      batchSize: 10,
      logger,
      random: () => 1,
    });

    expect(await dispatcher.runOnce()).toBe(4);
    // The lease outlasts an attempt's timeout.
    expect(leaseMs).toBeGreaterThan(2_000);
    expect(received.map((request) => request.path).sort()).toEqual(['/fail', '/fail', '/gone', '/ok']);
    for (const request of received) {
      const id = String(request.headers['webhook-id']);
      const verified = new Webhook(secret).verify(request.body, {
        'webhook-id': id,
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      }) as { id: string };
      expect(verified.id).toBe(id);
    }
    expect(records.get('msg_ok')?.outcome).toEqual({ kind: 'delivered' });
    expect(records.get('msg_ok')?.attempt.status_code).toBe(204);
    const retry = records.get('msg_fail')?.outcome;
    if (retry?.kind !== 'retry') throw new Error(`expected a retry, got ${JSON.stringify(retry)}`);
    // The second attempt failed: the next one waits base · 2 (no jitter with random = 1).
    expect(retry.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(1_500);
    expect(retry.nextAttemptAt.getTime() - Date.now()).toBeLessThanOrEqual(2_000);
    expect(records.get('msg_gone')?.outcome).toEqual({ kind: 'failed' });
    expect(records.get('msg_progress')?.outcome).toEqual({ kind: 'failed' });
  });
});
