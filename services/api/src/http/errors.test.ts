import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger } from '@mediaflow/domain';
import { errorHandler, notFoundHandler } from './errors';

/** An app whose only route throws what `fail` returns, behind the real error handler. */
async function serve(fail: () => unknown): Promise<{ base: string; close: () => Promise<void> }> {
  const app = express();
  app.get('/items/:id', () => {
    throw fail();
  });
  app.use(notFoundHandler);
  const logger = createLogger({ level: 'error', service: 'errors-test' });
  logger.silent = true; // the 500s below are expected
  app.use(errorHandler(logger));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function errorOf(base: string, path: string): Promise<{ status: number; code: unknown }> {
  const response = await fetch(`${base}${path}`);
  const body = (await response.json()) as { error: { code: unknown } };
  return { status: response.status, code: body.error.code };
}

describe('errorHandler', () => {
  it('answers a path parameter that is not valid percent-encoding with 400, not 500', async () => {
    const app = await serve(() => new Error('unreachable: the router fails first'));
    try {
      for (const path of ['/items/%E0%A4%A', '/items/%ZZ', '/items/abc%']) {
        expect(await errorOf(app.base, path)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      }
    } finally {
      await app.close();
    }
  });

  it('maps exposed http-errors by status and keeps anything else a 500', async () => {
    const exposed = Object.assign(new Error('range'), { status: 416, expose: true });
    const hidden = Object.assign(new Error('secret'), { status: 404 });
    const cases: [unknown, { status: number; code: string }][] = [
      [exposed, { status: 416, code: 'RANGE_NOT_SATISFIABLE' }],
      [hidden, { status: 500, code: 'INTERNAL' }],
      [new Error('boom'), { status: 500, code: 'INTERNAL' }],
    ];
    for (const [thrown, expected] of cases) {
      const app = await serve(() => thrown);
      try {
        expect(await errorOf(app.base, '/items/1')).toEqual(expected);
      } finally {
        await app.close();
      }
    }
  });
});
