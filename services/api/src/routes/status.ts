import { Router } from 'express';
import { principalOf } from '../auth/require-api-key';
import type { JobService } from '../job-service';
import { toJobView } from '../job-view';

export function statusRoutes(jobs: JobService): Router {
  const router = Router();
  router.get('/status/:job_id', async (req, res) => {
    const job = await jobs.get(req.params.job_id, principalOf(res));
    res.set('Cache-Control', 'no-store').json(toJobView(job));
  });
  return router;
}
