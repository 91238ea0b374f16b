import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import { principalOf } from '../auth/require-api-key';
import type { JobService } from '../job-service';
import { toJobView } from '../job-view';
import { idempotencyHeadersSchema, listQuerySchema } from '../openapi/schemas';

const JSON_BODY_LIMIT = '64kb';

/** Refuses other content types before any parser reads the body. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'POST /process takes application/json');
  next();
};

export function processRoutes(jobs: JobService): Router {
  const router = Router();

  router.post('/process', requireJson, express.json({ limit: JSON_BODY_LIMIT, type: () => true }), async (req, res) => {
    const headers = idempotencyHeadersSchema.safeParse({ 'Idempotency-Key': req.get('idempotency-key') });
    if (!headers.success) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1-200 printable ASCII characters');
    }
    const idempotencyKey = headers.data['Idempotency-Key'];
    const owner = principalOf(res).keyId;
    const { job, replayed } = await jobs.submit(req.body, {
      owner,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).location(`/status/${job.job_id}`).json({ job_id: job.job_id, status: job.status });
  });

  router.get('/process', async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid list query', { details: issuesToDetails(parsed.error.issues) });
    }
    const page = await jobs.list(parsed.data, principalOf(res));
    res.json({
      jobs: page.jobs.map(toJobView),
      count: page.count,
      limit: parsed.data.limit,
      skip: parsed.data.cursor ? undefined : parsed.data.skip,
      next_cursor: page.next_cursor ?? null,
    });
  });

  return router;
}
