import express, { Router } from 'express';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import { principalOf, requireAdmin } from '../auth/require-api-key';
import type { JobService } from '../job-service';
import { deadLetterQuerySchema, replayBodySchema } from '../openapi/schemas';
import { toJobView } from '../job-view';

/** Operator endpoints: cancel, retry, and the dead letters. */
export function jobRoutes(jobs: JobService): Router {
  const router = Router();

  router.post('/jobs/:job_id/cancel', async (req, res) => {
    const job = await jobs.cancel(req.params.job_id, principalOf(res));
    res.status(202).json({ job_id: job.job_id, status: job.status, cancel_requested: job.status === 'processing' });
  });

  router.delete('/jobs/:job_id', async (req, res) => {
    await jobs.delete(req.params.job_id, principalOf(res));
    res.status(204).end();
  });

  router.post('/jobs/:job_id/retry', async (req, res) => {
    const job = await jobs.retry(req.params.job_id, principalOf(res));
    res.status(202).json({ job_id: job.job_id, status: job.status });
  });

  router.get('/dead-letters', requireAdmin, async (req, res) => {
    const parsed = deadLetterQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid query', { details: issuesToDetails(parsed.error.issues) });
    }
    const page = await jobs.listDeadLetters(parsed.data);
    res.json({ jobs: page.jobs.map(toJobView), next_cursor: page.next_cursor ?? null });
  });

  router.post(
    '/dead-letters/replay',
    requireAdmin,
    express.json({ limit: '16kb', type: () => true }),
    async (req, res) => {
      const parsed = replayBodySchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        throw new AppError('VALIDATION_FAILED', 'invalid replay request', {
          details: issuesToDetails(parsed.error.issues),
        });
      }
      const replayed = await jobs.replayDeadLetters(parsed.data.job_ids);
      res.status(202).json({ replayed, count: replayed.length });
    },
  );

  return router;
}
