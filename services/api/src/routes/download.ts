import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { AppError, parseS3Uri } from '@mediaflow/domain';
import type { Job, JobOutput, Logger } from '@mediaflow/domain';
import { parseRangeHeader } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { principalOf } from '../auth/require-api-key';
import type { JobService } from '../job-service';

/** The output a download serves: the primary one, or the one `?output=` names. */
export function selectOutput(job: Job, requested: unknown): JobOutput {
  if (requested === undefined) {
    const primary = job.outputs.find((output) => output.kind !== 'log');
    if (primary) return primary;
  } else if (typeof requested === 'string') {
    const wanted = requested === 'primary' ? undefined : requested;
    const match = job.outputs.find((output) => output.kind === wanted);
    if (match) return match;
  }
  throw new AppError(
    'NOT_FOUND',
    `job ${job.job_id} has no output ${typeof requested === 'string' ? `"${requested}"` : ''}`.trim(),
    {
      details: { available: job.outputs.map((output) => output.kind) },
    },
  );
}

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function downloadRoutes(jobs: JobService, store: ObjectStore, logger: Logger): Router {
  const router = Router();

  router.get('/download/:job_id', async (req, res) => {
    const job = await jobs.get(req.params.job_id, principalOf(res));
    if (job.status !== 'completed') {
      throw new AppError('JOB_NOT_COMPLETED', `job ${job.job_id} is ${job.status}`, {
        details: { status: job.status },
      });
    }
    const output = selectOutput(job, req.query.output);
    const ref = parseS3Uri(output.path);
    const info = await store.head(ref);
    if (!info) throw new AppError('NOT_FOUND', `the output of job ${job.job_id} is no longer stored`);

    const range = parseRangeHeader(req.get('range'), info.size);
    if (range === 'unsatisfiable') {
      res.set('Content-Range', `bytes */${info.size}`);
      throw new AppError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${info.size} bytes`);
    }
    const object = await store.get(ref, range);
    res.set({
      'Content-Type': output.content_type,
      'Accept-Ranges': 'bytes',
      'Content-Disposition': contentDisposition(path.posix.basename(ref.key)),
      'Cache-Control': 'private, max-age=3600',
    });
    if (range) {
      res.status(206);
      res.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
      res.set('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.set('Content-Length', String(info.size));
    }
    if (req.method === 'HEAD') {
      object.body.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(object.body, res);
    } catch (error) {
      // A client that stops reading (a seeking video player does this all the
      // time) is not an error worth more than a debug line.
      logger.debug('download ended early', { jobId: job.job_id, error });
    }
  });

  return router;
}
