import express, { Router } from 'express';
import type { RequestHandler, Response } from 'express';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import { requestTraceCarrier } from '@mediaflow/runtime';
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

export interface ProcessRouteOptions {
  /**
   * Spends the submit rate-limit token (see takeToken), called by the
   * service once the request is known valid: a request refused as invalid
   * (400, 415) spends nothing. Absent: no limit.
   */
  charge?: (res: Response) => Promise<void>;
}

export function processRoutes(jobs: JobService, options: ProcessRouteOptions = {}): Router {
  const router = Router();
  const { charge } = options;

  router.post('/process', requireJson, express.json({ limit: JSON_BODY_LIMIT, type: () => true }), async (req, res) => {
    const headers = idempotencyHeadersSchema.safeParse({ 'Idempotency-Key': req.get('idempotency-key') });
    if (!headers.success) {
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1-200 printable ASCII characters');
    }
    const idempotencyKey = headers.data['Idempotency-Key'];
    const { keyId: owner, admin } = principalOf(res);
    const trace = requestTraceCarrier(req.headers);
    const { job, replayed } = await jobs.submit(req.body, {
      owner,
      admin,
      ...(trace === undefined ? {} : { trace }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(charge === undefined ? {} : { charge: async () => charge(res) }),
    });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).location(`/status/${job.job_id}`).json({ job_id: job.job_id, status: job.status });
  });

  router.get('/process', async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const unknown = parsed.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
      const message = unknown.length > 0 ? `unknown query parameter(s): ${unknown.join(', ')}` : 'invalid list query';
      throw new AppError('VALIDATION_FAILED', message, { details: issuesToDetails(parsed.error.issues) });
    }
    const { created_after: after, created_before: before, ...query } = parsed.data;
    // Stored times are Date.toISOString() strings, which compare correctly only with the same form.
    const page = await jobs.list(
      {
        ...query,
        ...(after === undefined ? {} : { created_after: new Date(after).toISOString() }),
        ...(before === undefined ? {} : { created_before: new Date(before).toISOString() }),
      },
      principalOf(res),
    );
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
