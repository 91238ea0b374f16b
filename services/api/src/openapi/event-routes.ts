import { z } from 'zod';
import type { RawContent, ResponseSpec, RouteSpec } from './route-spec';
import { jobIdParamsSchema, responseComponents } from './schemas';

/** The live-event routes' schemas and specs (Server-Sent Events); listed in apiRoutes (routes.ts). */

export const eventStreamQuerySchema = z.object({
  token: z
    .string()
    .max(256)
    .optional()
    .describe(
      'A token from POST /events/token, for clients that cannot send Authorization (EventSource); checked only on connect.',
    ),
  last_event_id: z
    .string()
    .max(32)
    .optional()
    .describe('As the Last-Event-ID header, for clients that cannot set it: resume after this event id.'),
});

const eventStreamHeadersSchema = z.object({
  'last-event-id': z
    .string()
    .max(32)
    .optional()
    .describe('The id of the last event received: the stream resumes after it, on any replica.'),
});

export const eventsTokenSchema = z.object({
  token: z.string().describe('Pass as `?token=` on GET /events or GET /jobs/{job_id}/events.'),
  expires_at: z.string().meta({ format: 'date-time' }).describe('Connect before this (SSE_TOKEN_TTL_SECONDS).'),
});
responseComponents.add(eventsTokenSchema, { id: 'EventsToken' });

/**
 * One event of the stream, as OpenAPI describes `text/event-stream` (3.2's
 * itemSchema; 3.0 and 3.1 tools such as schemathesis read `schema` as the
 * per-event schema): the fields an SSE parser yields, comments left out.
 * `data` is JSON text: the job's status view, or `{ "jobs": [...] }` for the
 * snapshot of GET /events.
 */
const eventStream: RawContent = {
  'text/event-stream': {
    schema: {
      type: 'object',
      required: ['data'],
      properties: {
        event: { type: 'string', enum: ['snapshot', 'update', 'end'] },
        data: { type: 'string', contentMediaType: 'application/json' },
        id: { type: 'string' },
        retry: { type: 'integer', minimum: 0 },
      },
    },
  },
};

const STREAM_HEADERS = {
  'Cache-Control': { description: '`no-cache, no-transform`.', schema: { type: 'string' } },
  'X-Accel-Buffering': { description: '`no`: proxies must not buffer the stream.', schema: { type: 'string' } },
} as const;

export function eventRouteSpecs(
  errorResponses: (...entries: (number | [number, string])[]) => Record<number, ResponseSpec>,
): RouteSpec[] {
  const streamErrors = errorResponses(
    [400, 'VALIDATION_FAILED: a Last-Event-ID this API never sent.'],
    [401, 'UNAUTHORIZED (no key), or EVENTS_TOKEN_INVALID: a malformed, forged or expired `token`.'],
    [429, 'TOO_MANY_STREAMS: over SSE_MAX_STREAMS_PER_KEY or SSE_MAX_STREAMS on this replica.'],
    [503, 'DEPENDENCY_UNAVAILABLE: the replica cannot read job changes yet, or is shutting down.'],
  );
  return [
    {
      method: 'post',
      path: '/events/token',
      operationId: 'createEventsToken',
      summary: 'A short-lived token to open an event stream without an Authorization header',
      description:
        'For `EventSource`, which cannot send headers: `new EventSource("/events?token=" + token)`. The token is ' +
        'bound to the calling key, valid for SSE_TOKEN_TTL_SECONDS, and checked only when a stream connects.',
      tags: ['jobs'],
      access: 'apiKey',
      responses: {
        201: { description: 'The token.', json: eventsTokenSchema },
        ...errorResponses(401, 503),
      },
    },
    {
      method: 'get',
      path: '/jobs/:job_id/events',
      operationId: 'streamJobEvents',
      summary: 'A job’s status, progress, speed and ETA as they change (Server-Sent Events)',
      description:
        '`event: snapshot` first (data: the GET /status/{job_id} JSON), then `event: update` (the same JSON) on ' +
        'every change of status, progress, speed or ETA, and `event: end` with the final status when the job is ' +
        'completed, failed or cancelled; then the stream closes. Every event has an `id:`; reconnecting with ' +
        '`Last-Event-ID` (or `?last_event_id=`) to any replica sends what came after it (progress may be coalesced ' +
        'to its latest value; transitions are never skipped). `: hb` comments every SSE_HEARTBEAT_SECONDS. A ' +
        'resume after the `end` answers 204, which tells EventSource to stop reconnecting.',
      tags: ['jobs'],
      access: 'apiKey',
      params: jobIdParamsSchema,
      query: eventStreamQuerySchema,
      headers: eventStreamHeadersSchema,
      responses: {
        200: { description: 'The event stream.', raw: eventStream, headers: STREAM_HEADERS },
        204: { description: 'Resumed after the job’s `end`: nothing more will come.' },
        ...streamErrors,
        404: errorResponses(404)[404],
      },
    },
    {
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'Changes of every job of the calling key (Server-Sent Events)',
      description:
        '`event: snapshot` first, with data `{"jobs": [...]}`: the status JSON of the key’s queued and processing ' +
        'jobs (newest 100). Then `event: update` with one job’s status JSON (its `job_id` says which) on every ' +
        'change of any job of the key, jobs submitted later and final statuses included. The stream stays open. ' +
        'An admin key sees its own jobs here too. Ids, resume and heartbeats as on GET /jobs/{job_id}/events.',
      tags: ['jobs'],
      access: 'apiKey',
      query: eventStreamQuerySchema,
      headers: eventStreamHeadersSchema,
      responses: {
        200: { description: 'The event stream.', raw: eventStream, headers: STREAM_HEADERS },
        ...streamErrors,
      },
    },
  ];
}
