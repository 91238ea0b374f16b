import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { redactSecrets } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { accessLog } from '../http/access-log';

/**
 * The access log records method, path, status and time only: no request
 * header (Authorization, Cookie), no response header (Set-Cookie), no body.
 * An /auth request full of secrets proves it.
 */
describe('access log and account secrets', () => {
  it('logs neither Authorization, Cookie, Set-Cookie nor an /auth body', async () => {
    const lines: unknown[] = [];
    const logger = { http: (message: string, meta: unknown) => lines.push({ message, meta }) } as unknown as Logger;
    const app = express();
    app.use(accessLog(logger));
    app.post('/auth/signin', express.json(), (_req, res) => {
      res.cookie('mf_refresh', 'mfr_response-secret-refresh', { httpOnly: true });
      res.json({ access_token: 'eyJ.response-secret-access.token' });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const request = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/auth/signin',
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer mfk_request-secret-key',
              cookie: 'mf_refresh=mfr_request-secret-cookie; mf_csrf=request-secret-csrf',
            },
          },
          (response) => {
            response.resume();
            response.on('end', resolve);
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify({ email: 'ada@example.com', password: 'request-secret-password' }));
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      server.close();
    }
    expect(lines).toEqual([
      {
        message: 'request',
        meta: { method: 'POST', path: '/auth/signin', status: 200, ms: expect.any(Number) as number },
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/secret|ada@example\.com|cookie|authorization/i);
  });
});

describe('log redaction', () => {
  it('masks personal API keys, refresh tokens and session cookies in messages', () => {
    const key = `mfk_${'A1b2_C3d4-'.repeat(4)}`;
    const refresh = `mfr_${'x'.repeat(43)}`;
    const line = redactSecrets(`used ${key}; Cookie: mf_refresh=${refresh}; mf_csrf=abcDEF123; Bearer eyJa.b.c`);
    expect(line).toBe('used mfk_[redacted]; Cookie: mf_refresh=[redacted]; mf_csrf=[redacted]; Bearer [redacted]');
  });
});
