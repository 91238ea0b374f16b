import express, { Router } from 'express';
import { z } from 'zod';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import type { JobService } from '../job-service';
import { toJobView } from '../job-view';

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  skip: z.coerce.number().int().min(0).max(10_000).default(0),
  cursor: z.string().min(1).max(2048).optional(),
});

const JSON_BODY_LIMIT = '64kb';

export function processRoutes(jobs: JobService): Router {
  const router = Router();

  router.post('/process', express.json({ limit: JSON_BODY_LIMIT, type: () => true }), async (req, res) => {
    if (!req.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'POST /process takes application/json');
    }
    const job = await jobs.submit(req.body);
    res.status(202).location(`/status/${job.job_id}`).json({ job_id: job.job_id, status: job.status });
  });

  router.get('/process', async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid list query', { details: issuesToDetails(parsed.error.issues) });
    }
    const page = await jobs.list(parsed.data);
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
