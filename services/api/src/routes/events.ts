import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, errorMessage, isTerminal } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { Principal } from '../auth/api-keys';
import { principalOf } from '../auth/require-api-key';
import { parseEventId } from '../events/event-id';
import type { EventId } from '../events/event-id';
import type { JobEventHub } from '../events/event-hub';
import { EventStream } from '../events/event-stream';
import type { StreamScope } from '../events/event-stream';
import { signEventsToken, verifyEventsToken } from '../events/event-token';
import type { JobService } from '../job-service';
import { toJobView } from '../job-view';

export interface EventRouteDeps {
  jobs: JobService;
  hub: JobEventHub;
  /** The app's API-key (Bearer) authentication, which every route but the `?token=` streams runs behind. */
  authenticate: RequestHandler;
  /** Authentication is off: every request is the anonymous admin and `?token=` is not needed. */
  authDisabled: boolean;
  /** Signs and checks `?token=` (the playback key; event tokens have a context of their own). */
  signingKey: Buffer;
  tokenTtlSeconds: number;
  heartbeatSeconds: number;
  logger: Logger;
}

/** Jobs a GET /events snapshot lists at most (the newest non-terminal ones). */
export const SNAPSHOT_MAX_JOBS = 100;

/**
 * GET /jobs/{id}/events, GET /events (Server-Sent Events) and POST
 * /events/token. Mounted before the app's authentication: a stream accepts
 * `?token=` (EventSource sends no headers) as well as the Bearer key, so it
 * authenticates itself; POST /events/token runs behind the Bearer key only.
 */
export function eventRoutes(deps: EventRouteDeps): Router {
  const router = Router();
  const streamAuth: RequestHandler = (req, res, next) => {
    const token = req.query.token;
    if (token === undefined || deps.authDisabled) {
      deps.authenticate(req, res, next);
      return;
    }
    if (typeof token !== 'string') {
      throw new AppError('EVENTS_TOKEN_INVALID', 'give one token (?token=<token from POST /events/token>)');
    }
    res.locals.principal = verifyEventsToken(deps.signingKey, token, { nowSeconds: Math.floor(Date.now() / 1000) })
      .principal satisfies Principal;
    next();
  };

  router.post('/events/token', deps.authenticate, (_req, res) => {
    const expiresAt = Math.floor(Date.now() / 1000) + deps.tokenTtlSeconds;
    const token = signEventsToken(deps.signingKey, { principal: principalOf(res), expiresAt });
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ token, expires_at: new Date(expiresAt * 1000).toISOString() });
  });

  router.get('/jobs/:job_id/events', streamAuth, async (req, res) => {
    const principal = principalOf(res);
    const jobId = String(req.params.job_id);
    const after = lastEventId(req);
    if (req.method === 'HEAD') {
      await deps.jobs.get(jobId, principal);
      answerHead(res);
      return;
    }
    await deps.hub.whenReady();
    const stream = new EventStream(req, res, {
      hub: deps.hub,
      scope: { kind: 'job', jobId },
      keyId: principal.keyId,
      render: toJobView,
      heartbeatMs: deps.heartbeatSeconds * 1000,
      reread: async () => deps.jobs.get(jobId, principal).catch(notFoundAsNull),
      logger: deps.logger,
    });
    stream.open();
    let job: Job;
    try {
      job = await deps.jobs.get(jobId, principal);
    } catch (error) {
      stream.abandon();
      throw error;
    }
    const replay = after === undefined ? undefined : replayFor(deps.hub, stream, after, { kind: 'job', jobId });
    if (replay && replay.length === 0 && isTerminal(job.status) && !stream.heldAny()) {
      // The client has seen everything up to the end: 204 tells EventSource to stop reconnecting.
      stream.abandon();
      res.status(204).end();
      return;
    }
    start(stream, res, deps.logger, () =>
      replay && after ? { replay, after } : { snapshot: toJobView(job), jobs: [job] },
    );
  });

  router.get('/events', streamAuth, async (req, res) => {
    const principal = principalOf(res);
    const owner = principal.keyId;
    const after = lastEventId(req);
    if (req.method === 'HEAD') {
      answerHead(res);
      return;
    }
    await deps.hub.whenReady();
    const stream = new EventStream(req, res, {
      hub: deps.hub,
      scope: { kind: 'owner', owner },
      keyId: owner,
      render: toJobView,
      heartbeatMs: deps.heartbeatSeconds * 1000,
      logger: deps.logger,
    });
    stream.open();
    const replay = after === undefined ? undefined : replayFor(deps.hub, stream, after, { kind: 'owner', owner });
    if (replay && after) {
      start(stream, res, deps.logger, () => ({ replay, after }));
      return;
    }
    let jobs: Job[];
    try {
      jobs = await activeJobs(deps.jobs, owner);
    } catch (error) {
      stream.abandon();
      throw error;
    }
    start(stream, res, deps.logger, () => ({ snapshot: { jobs: jobs.map((job) => toJobView(job)) }, jobs }));
  });

  return router;
}

/** HEAD (Express routes it to GET): the stream's headers, no stream, which would never end for a request without a body. */
function answerHead(res: Response): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' }).end();
}

/** Begins the stream; a failure after the headers went out can only end it. */
function start(
  stream: EventStream,
  res: Response,
  logger: Logger,
  first: () => Parameters<EventStream['begin']>[0],
): void {
  try {
    stream.begin(first());
  } catch (error) {
    if (!res.headersSent) {
      stream.abandon();
      throw error;
    }
    logger.error('event stream failed', { error: errorMessage(error) });
    stream.close();
  }
}

/**
 * The changes to send a client resuming after `after`, or undefined when the
 * log cannot say exactly (the id is older than what it keeps, or far ahead
 * of this replica: a feed that was recreated), in which case the client gets
 * a fresh snapshot. An id a little ahead of this replica (another replica
 * read further) replays nothing: the live changes after it follow.
 */
function replayFor(hub: JobEventHub, stream: EventStream, after: EventId, scope: StreamScope) {
  const position = stream.openedAt;
  if (after.seq > position + FUTURE_SLACK) return undefined;
  const matches =
    scope.kind === 'job' ? (job: Job) => job.job_id === scope.jobId : (job: Job) => job.owner === scope.owner;
  return hub.log.after(after.seq, position, matches);
}

/** How far ahead of this replica a Last-Event-ID may be and still be taken as another replica's lead. */
const FUTURE_SLACK = 10_000;

function lastEventId(req: Request): EventId | undefined {
  const header = req.get('last-event-id');
  const query = req.query.last_event_id;
  if (query !== undefined && typeof query !== 'string') {
    throw new AppError('VALIDATION_FAILED', 'give last_event_id once');
  }
  const text = header ?? query;
  return text === undefined || text === '' ? undefined : parseEventId(text);
}

/** The key's queued and processing jobs, newest first, at most SNAPSHOT_MAX_JOBS. */
async function activeJobs(jobs: JobService, owner: string): Promise<Job[]> {
  // The viewer is the key itself (not as admin), so an admin's stream lists only its own jobs, as it streams them.
  const viewer = { keyId: owner, admin: false };
  const pages = await Promise.all(
    (['processing', 'queued'] as const).map(async (status) =>
      jobs.list({ limit: SNAPSHOT_MAX_JOBS, skip: 0, status }, viewer),
    ),
  );
  return pages
    .flatMap((page) => page.jobs)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .slice(0, SNAPSHOT_MAX_JOBS);
}

function notFoundAsNull(error: unknown): null {
  if (error instanceof AppError && error.code === 'JOB_NOT_FOUND') return null;
  throw error;
}
