import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook } from './sender';

const ALLOW = { allowPrivate: true, allowedCidrs: [] };
const STRICT = { allowPrivate: false, allowedCidrs: [] };

describe('sendWebhook against a local receiver', () => {
  let server: http.Server;
  let base = '';
  const seen: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/ok' }).end();
        } else if (req.url === '/slow') {
          setTimeout(() => res.writeHead(200).end(), 2_000).unref();
        } else if (req.url === '/huge') {
          res.writeHead(200);
          // Far more than is read; the sender must stop reading and still report the status.
          const chunk = Buffer.alloc(64 * 1024, 97);
          let left = 200;
          const pump = (): void => {
            while (left > 0 && res.write(chunk)) left -= 1;
            if (left > 0) res.once('drain', pump);
            else res.end();
          };
          pump();
        } else {
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => seen.splice(0));

  it('POSTs the body with the given headers and JSON content type, and reports status and timing', async () => {
    const attempt = await sendWebhook(`${base}/ok`, { 'webhook-id': 'msg_1' }, '{"a":1}', {
      policy: ALLOW,
      timeoutMs: 5_000,
    });
    expect(attempt).toMatchObject({ status_code: 204 });
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toBe('{"a":1}');
    expect(seen[0]?.headers['webhook-id']).toBe('msg_1');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('sends nothing to a loopback address unless the policy allows it', async () => {
    const attempt = await sendWebhook(`${base}/ok`, {}, '{}', { policy: STRICT, timeoutMs: 5_000 });
    expect(attempt.status_code).toBeUndefined();
    expect(attempt.error).toMatch(/127\.0\.0\.1 is a loopback address/);
    // A name that resolves to loopback is refused by the pinned lookup, before any connection.
    const named = await sendWebhook(base.replace('127.0.0.1', 'localhost') + '/ok', {}, '{}', {
      policy: STRICT,
      timeoutMs: 5_000,
    });
    expect(named.error).toMatch(/loopback address/);
    expect(seen).toHaveLength(0);
  });

  it('does not follow redirects: a 3xx is the attempt’s status', async () => {
    const attempt = await sendWebhook(`${base}/redirect`, {}, '{}', { policy: ALLOW, timeoutMs: 5_000 });
    expect(attempt.status_code).toBe(302);
    expect(seen.map((request) => request.path)).toEqual(['/redirect']);
  });

  it('gives up after the timeout', async () => {
    const attempt = await sendWebhook(`${base}/slow`, {}, '{}', { policy: ALLOW, timeoutMs: 300 });
    expect(attempt.status_code).toBeUndefined();
    expect(attempt.error).toMatch(/no response within 300 ms/);
    expect(attempt.duration_ms).toBeLessThan(1_500);
  });

  it('reads a bounded part of a huge response', async () => {
    const attempt = await sendWebhook(`${base}/huge`, {}, '{}', { policy: ALLOW, timeoutMs: 5_000 });
    expect(attempt.status_code).toBe(200);
  });
});
