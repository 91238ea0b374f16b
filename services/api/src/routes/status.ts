import { Router } from 'express';
import type { JobService } from '../job-service';
import { toJobView } from '../job-view';

export function statusRoutes(jobs: JobService): Router {
  const router = Router();
  router.get('/status/:job_id', async (req, res) => {
    const job = await jobs.get(req.params.job_id);
    res.set('Cache-Control', 'no-store').json(toJobView(job));
  });
  return router;
}
