import { PrometheusMetrics } from './prometheus';
import { startOpsServer } from './endpoint';
import type { OpsServer } from './endpoint';

describe('startOpsServer', () => {
  const servers: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(async (server) => server.close()));
  });

  async function start(options: Partial<Parameters<typeof startOpsServer>[0]> = {}): Promise<string> {
    const server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      metrics: new PrometheusMetrics({ defaultMetrics: false }),
      readiness: { database: async () => Promise.resolve() },
      ...options,
    });
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  }

  it('serves the exposition, health and readiness', async () => {
    const base = await start({
      readiness: { database: async () => Promise.resolve(), queue: async () => Promise.reject(new Error('no broker')) },
    });
    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await scrape.text()).toContain('# TYPE mediaflow_jobs_completed_total counter');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', queue: 'down: no broker' },
    });
    expect((await fetch(`${base}/jobs`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('asks for the bearer token when one is configured', async () => {
    const base = await start({ token: 'scrape-secret-0123456789' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer scrape-secret-0123456780' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const right = await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer scrape-secret-0123456789' } });
    expect(right.status).toBe(200);
    // Health stays open: orchestrators probe it without secrets.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('serves health without /metrics when metrics are off', async () => {
    const base = await start({ metrics: undefined });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('names the address when the port is taken', async () => {
    const base = await start();
    const port = Number(new URL(base).port);
    await expect(startOpsServer({ port, host: '127.0.0.1', readiness: {} })).rejects.toThrow(
      `metrics listener on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
  });
});
