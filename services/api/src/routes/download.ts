import path from 'node:path';
import { Router } from 'express';
import { AppError } from '@mediaflow/domain';
import type { Job, JobOutput, Logger } from '@mediaflow/domain';
import type { ObjectStore } from '@mediaflow/storage';
import { principalOf } from '../auth/require-api-key';
import { contentDisposition } from '../http/content-disposition';
import { serveObject } from '../http/serve-object';
import type { JobService } from '../job-service';
import {
  assertNotExpired,
  assertServable,
  effectiveOutputs,
  isDirectoryOutput,
  objectOf,
  resultFirst,
} from '../job-outputs';
import type { OutputLocation } from '../job-outputs';

/**
 * The output a download serves: the one marked `primary`, else the first
 * file that is not the log; or the file output of the kind `?output=` names
 * (`primary` meaning the default), the job's result first (see resultFirst). Directories (a streaming package)
 * cannot be downloaded as one file; GET /jobs/{id}/files serves their files.
 *
 * @throws AppError NOT_FOUND when no file output matches.
 */
export function selectOutput(job: Job, requested: unknown): JobOutput {
  const files = effectiveOutputs(job).filter((output) => !isDirectoryOutput(job, output));
  if (requested === undefined || requested === 'primary') {
    const chosen = files.find((output) => output.primary === true) ?? files.find((output) => output.kind !== 'log');
    if (chosen) return chosen;
  } else if (typeof requested === 'string') {
    const match = resultFirst(files).find((output) => output.kind === requested);
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

export function downloadRoutes(jobs: JobService, store: ObjectStore, logger: Logger, location: OutputLocation): Router {
  const router = Router();

  router.get('/download/:job_id', async (req, res) => {
    const job = await jobs.get(req.params.job_id, principalOf(res));
    assertNotExpired(job);
    // A failed or cancelled job's log is what explains it, so `?output=log` serves
    // it as /jobs/{id}/files does; anything else waits for completion (409).
    const finishedLog = req.query.output === 'log' && (job.status === 'failed' || job.status === 'cancelled');
    // A failed multi-step job's finished steps are results too (assertServable checks which output was chosen).
    const finishedSteps = job.status === 'failed' && job.outputs.some((output) => output.step !== undefined);
    if (job.status !== 'completed' && !finishedLog && !finishedSteps) {
      throw new AppError('JOB_NOT_COMPLETED', `job ${job.job_id} is ${job.status}`, {
        details: { status: job.status },
      });
    }
    const output = selectOutput(job, req.query.output);
    assertServable(job, output);
    const ref = objectOf(job, output, location);
    await serveObject(req, res, store, logger, {
      ref,
      contentType: output.content_type,
      // A retry (or a replay of a dead letter) may rewrite a failed job's log.
      cacheControl: job.status === 'completed' ? 'private, max-age=3600' : 'private, no-cache',
      headers: { 'Content-Disposition': contentDisposition(path.posix.basename(ref.key)) },
      description: `the output of job ${job.job_id}`,
      logContext: { jobId: job.job_id },
    });
  });

  return router;
}
