import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import type { HttpRequestSample } from '@mediaflow/runtime';
import { httpMetrics, UNMATCHED_ROUTE } from './http-metrics';

describe('httpMetrics', () => {
  it('labels requests with the route pattern, never the raw path', async () => {
    const samples: HttpRequestSample[] = [];
    const app = express();
    app.use(httpMetrics({ httpRequest: (sample) => samples.push(sample) }));
    const router = Router();
    router.get('/status/:job_id', (_req, res) => {
      res.json({ ok: true });
    });
    router.get('/jobs/:job_id/files/*path', () => {
      throw new Error('boom');
    });
    app.use(router);
    // A mounted handler without routes of its own, as the tus server is.
    app.use('/uploads/tus', (_req, res) => {
      res.status(204).end();
    });
    app.use((_req: express.Request, res: express.Response) => {
      res.status(404).end();
    });
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end();
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await fetch(`${base}/status/6f0e2c1a-0000-4000-8000-000000000001`);
      await fetch(`${base}/jobs/6f0e2c1a-0000-4000-8000-000000000001/files/stream/master.m3u8`);
      await fetch(`${base}/uploads/tus/0123456789abcdef0123456789abcdef`, { method: 'PATCH' });
      await fetch(`${base}/no/such/path/6f0e2c1a`);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      server.close();
    }
    expect(samples.map(({ method, route, statusCode }) => [method, route, statusCode])).toEqual([
      ['GET', '/status/:job_id', 200],
      ['GET', '/jobs/:job_id/files/*path', 500],
      ['PATCH', '/uploads/tus/*', 204],
      ['GET', UNMATCHED_ROUTE, 404],
    ]);
    for (const sample of samples) expect(sample.seconds).toBeGreaterThanOrEqual(0);
  });
});
