import { Router } from 'express';
import { errorMessage } from '@mediaflow/domain';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 3000;

async function withTimeout(check: ReadinessCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  // Where a person (or a client) who found the port goes next: the dashboard, or the API's description.
  router.get('/', (_req, res) => {
    res.json({
      status: 'ok',
      dashboard: '/app',
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/healthz',
      readiness: '/readyz',
    });
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(names.map(async (name) => withTimeout(checks[name])));
    const report: Record<string, string> = {};
    results.forEach((result, index) => {
      report[names[index]] = result.status === 'fulfilled' ? 'ok' : `down: ${errorMessage(result.reason)}`;
    });
    const ready = results.every((result) => result.status === 'fulfilled');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: report });
  });
  return router;
}
