import { MAX_JOB_STEPS } from '@mediaflow/domain';
import type { ResponseSpec, RouteSpec } from './route-spec';
import {
  deadLetterPageSchema,
  deadLetterQuerySchema,
  downloadHeadersSchema,
  downloadQuerySchema,
  errorBodySchema,
  healthSchema,
  idempotencyHeadersSchema,
  jobActionResultSchema,
  jobFileParamsSchema,
  jobIdParamsSchema,
  jobPageSchema,
  jobViewSchema,
  listQuerySchema,
  operationListSchema,
  playbackUrlsSchema,
  playParamsSchema,
  readinessSchema,
  replayBodySchema,
  rootSchema,
  replayResultSchema,
  submitJobBodySchema,
  submitResultSchema,
  uploadParamsSchema,
  uploadResultSchema,
  completedUploadSchema,
  completeUploadBodySchema,
  createdUploadSchema,
  createUploadBodySchema,
  partNumberParamsSchema,
  partTokenQuerySchema,
  partUrlsQuerySchema,
  partUrlsSchema,
  uploadIdParamsSchema,
  uploadStatusSchema,
} from './schemas';
import { webhookRouteSpecs } from './webhook-routes';
import { accountRouteSpecs } from '../accounts/account-route-specs';
import { eventRouteSpecs } from './event-routes';
import {
  jobPageExample,
  jobViewExample,
  readinessExample,
  rootExample,
  submitJobExamples,
  submitResultExample,
  uploadResultExample,
} from './examples';

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The request is invalid; `error.code` says how (VALIDATION_FAILED, INVALID_JSON, ...).',
  401: 'Missing or invalid API key.',
  404: 'No such job or output.',
  409: 'The job is not in a state that allows this; `error.details.status` is its status.',
  413: 'The body is larger than the limit.',
  415: 'The body has the wrong media type.',
  416: 'The Range header selects no bytes of the object.',
  429: 'RATE_LIMITED (too many requests for this key; see `Retry-After`).',
  422: 'The request is well-formed but cannot be honoured; see `error.code`.',
  503: 'A dependency (database, queue or storage) is unavailable; retry after `Retry-After` seconds.',
};

/**
 * Error responses, all with the `{ error: { code, message, details? } }` body:
 * a status with the usual description, or `[status, description]`.
 */
export function errorResponses(...entries: (number | [number, string])[]): Record<number, ResponseSpec> {
  return Object.fromEntries(
    entries.map((entry) => {
      const [status, description] = typeof entry === 'number' ? [entry, ERROR_DESCRIPTIONS[entry] ?? 'Error.'] : entry;
      return [status, { description, json: errorBodySchema }];
    }),
  );
}

const EXPIRED = 'JOB_EXPIRED: retention removed the job’s outputs (OUTPUT_RETENTION_DAYS).';

const binary = { schema: { type: 'string', format: 'binary' } } as const;

const DOWNLOAD_MEDIA_TYPES = [
  'video/*',
  'audio/*',
  'application/x-subrip',
  'text/vtt',
  'application/json',
  'text/plain',
];
const downloadContent = Object.fromEntries(DOWNLOAD_MEDIA_TYPES.map((type) => [type, binary]));

const FILE_MEDIA_TYPES = [
  'application/vnd.apple.mpegurl',
  'application/dash+xml',
  'video/*',
  'audio/*',
  'image/*',
  'text/*',
  'application/json',
  'application/x-subrip',
  'application/octet-stream',
];
const fileContent = Object.fromEntries(FILE_MEDIA_TYPES.map((type) => [type, binary]));

/** 200, 206 and the 302 of PLAYBACK_DELIVERY=redirect, shared by both file routes. */
function fileResponses(cacheControl: string): Record<number, ResponseSpec> {
  const headers = {
    'Cache-Control': { description: cacheControl, schema: { type: 'string' } },
    'Accept-Ranges': { description: '`bytes`.', schema: { type: 'string' } },
  } as const;
  return {
    200: {
      description: 'The whole file; Content-Type from the output entry or the file extension.',
      raw: fileContent,
      headers,
    },
    206: {
      description: 'The requested byte range.',
      raw: fileContent,
      headers: { ...headers, 'Content-Range': { description: '`bytes start-end/size`.', schema: { type: 'string' } } },
    },
    302: {
      description:
        'PLAYBACK_DELIVERY=redirect with S3 storage, GET of a file other than a playlist or MPD: a presigned S3 URL.',
      headers: { Location: { description: 'The presigned URL.', schema: { type: 'string' } } },
    },
  };
}

/**
 * The submit bucket, as draft-ietf-httpapi-ratelimit-headers-06 describes it
 * (separate fields, integer values; see auth/rate-limit.ts).
 */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': {
    description: 'The burst: most submissions the key may make at once.',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Whole tokens left after this request.', schema: { type: 'integer' } },
  'RateLimit-Reset': {
    description: 'Seconds until the bucket is full again (0: it is).',
    schema: { type: 'integer' },
  },
  'RateLimit-Policy': {
    description: '`<burst>;w=<seconds a full burst takes to refill>`.',
    schema: { type: 'string' },
  },
} as const;

/**
 * Every route the API serves, in one list: the OpenAPI document is built from
 * it and a unit test checks it against Express's router. Add a route here
 * when you add it to a router.
 */
export const apiRoutes: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'getRoot',
    summary: 'Service banner: where the docs are',
    tags: ['health'],
    access: 'public',
    responses: { 200: { description: 'The API is up; links to the docs.', json: rootSchema, example: rootExample } },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness probe',
    description: 'Answers as long as the process serves HTTP; checks no dependency.',
    tags: ['health'],
    access: 'public',
    responses: { 200: { description: 'Alive.', json: healthSchema } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description: 'Pings the database, the queue and storage (3 s timeout each).',
    tags: ['health'],
    access: 'public',
    responses: {
      200: { description: 'Every dependency answered.', json: readinessSchema, example: readinessExample },
      503: { description: 'At least one dependency is down; `checks` says which.', json: readinessSchema },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'The process’s metrics in Prometheus text format 0.0.4 (see README, Metrics). Needs no API key; with METRICS_TOKEN set it needs `Authorization: Bearer <METRICS_TOKEN>`. METRICS_ENABLED=false turns it off (404).',
    tags: ['health'],
    access: 'public',
    responses: {
      200: {
        description: 'The exposition.',
        raw: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
      },
      401: { description: 'METRICS_TOKEN is set and the request did not carry it.' },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This API description (OpenAPI 3.1)',
    tags: ['docs'],
    access: 'public',
    responses: {
      200: { description: 'The OpenAPI document.', raw: { 'application/json': { schema: { type: 'object' } } } },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocs',
    summary: 'This API description as a web page',
    tags: ['docs'],
    access: 'public',
    responses: { 200: { description: 'Self-contained HTML.', raw: { 'text/html': { schema: { type: 'string' } } } } },
  },
  {
    method: 'put',
    path: '/uploads/:filename',
    operationId: 'uploadSource',
    summary: 'Upload a source file',
    description:
      'Streams the raw body into the input bucket under a fresh key. The response `source` is what POST /process takes.',
    tags: ['jobs'],
    access: 'apiKey',
    params: uploadParamsSchema,
    body: { raw: { 'application/octet-stream': binary }, description: 'The file, as raw bytes.' },
    responses: {
      201: { description: 'Stored.', json: uploadResultSchema, example: uploadResultExample },
      ...errorResponses(400, 413, 429, 503),
    },
  },
  {
    method: 'post',
    path: '/uploads',
    operationId: 'createUpload',
    summary: 'Start a multipart upload',
    description:
      'For large files and unreliable links: declares the file, then the client PUTs each part (`part_size_bytes`, ' +
      'the last one smaller) to its URL with no API key, keeps each response `ETag`, and completes. Part URLs ' +
      'expire after UPLOAD_PART_URL_TTL_SECONDS; GET /uploads/{upload_id}/parts gives fresh ones. Uploads not ' +
      'completed within UPLOAD_INCOMPLETE_MAX_AGE_HOURS are aborted. For tus 1.0 clients, see /uploads/tus/ in the README.',
    tags: ['jobs'],
    access: 'apiKey',
    body: { json: createUploadBodySchema },
    responses: {
      201: { description: 'Started.', json: createdUploadSchema },
      ...errorResponses(400, [413, 'PAYLOAD_TOO_LARGE: size_bytes exceeds UPLOAD_MAX_BYTES.'], 415, 429, 503),
    },
  },
  {
    method: 'get',
    path: '/uploads/:upload_id',
    operationId: 'getUpload',
    summary: 'An upload’s parts, or its result',
    description:
      'In progress: the parts already received, to resume after a crash. Complete: source, size and SHA-256.',
    tags: ['jobs'],
    access: 'apiKey',
    params: uploadIdParamsSchema,
    responses: {
      200: { description: 'The upload.', json: uploadStatusSchema },
      ...errorResponses([404, 'UPLOAD_NOT_FOUND: unknown, aborted, expired, or another key’s.'], 503),
    },
  },
  {
    method: 'get',
    path: '/uploads/:upload_id/parts',
    operationId: 'getUploadPartUrls',
    summary: 'Fresh part URLs',
    tags: ['jobs'],
    access: 'apiKey',
    params: uploadIdParamsSchema,
    query: partUrlsQuerySchema,
    responses: {
      200: { description: 'URLs for the parts asked for (those that exist).', json: partUrlsSchema },
      ...errorResponses(400, [404, 'UPLOAD_NOT_FOUND.'], 503),
    },
  },
  {
    method: 'put',
    path: '/uploads/:upload_id/parts/:part_number',
    operationId: 'uploadPart',
    summary: 'Upload one part (embedded mode)',
    description:
      'Where the store has no presigned URLs (local disk), part URLs point here. Authorised by the `token`, not ' +
      'an API key; the body must be exactly the part’s size.',
    tags: ['jobs'],
    access: 'public',
    params: partNumberParamsSchema,
    query: partTokenQuerySchema,
    body: { raw: { 'application/octet-stream': binary }, description: 'The part’s bytes.' },
    responses: {
      200: {
        description: 'Stored.',
        headers: { ETag: { description: 'Name the part with it on completion.', schema: { type: 'string' } } },
      },
      ...errorResponses(
        400,
        [403, 'UPLOAD_URL_INVALID or UPLOAD_URL_EXPIRED.'],
        [404, 'UPLOAD_NOT_FOUND: aborted, completed or expired.'],
        503,
      ),
    },
  },
  {
    method: 'post',
    path: '/uploads/:upload_id/complete',
    operationId: 'completeUpload',
    summary: 'Complete a multipart upload',
    description:
      'Joins the parts, checks the size against size_bytes, and computes the SHA-256 (one read of the file, so ' +
      'this takes seconds for large files). Repeating a completion that succeeded returns the same answer.',
    tags: ['jobs'],
    access: 'apiKey',
    params: uploadIdParamsSchema,
    body: { json: completeUploadBodySchema },
    responses: {
      200: { description: 'Complete; `source` is ready for POST /process.', json: completedUploadSchema },
      ...errorResponses(
        400,
        [404, 'UPLOAD_NOT_FOUND.'],
        [409, 'UPLOAD_INCOMPLETE: parts missing or sizes not adding up to size_bytes.'],
        415,
        503,
      ),
    },
  },
  {
    method: 'delete',
    path: '/uploads/:upload_id',
    operationId: 'abortUpload',
    summary: 'Abort or delete an upload',
    description:
      'In progress: aborted, its parts freed. Complete: the file is deleted (jobs that used it keep their outputs).',
    tags: ['jobs'],
    access: 'apiKey',
    params: uploadIdParamsSchema,
    responses: {
      204: { description: 'Gone.' },
      ...errorResponses([404, 'UPLOAD_NOT_FOUND.'], 503),
    },
  },
  {
    method: 'post',
    path: '/process',
    operationId: 'submitJob',
    summary: 'Submit a processing job',
    description:
      'Queues one operation (`method_name`) on a source (`source`), or for concat on several in order (`sources`); ' +
      `or a chain of up to ${MAX_JOB_STEPS} operations as one job (\`steps\`), each step reading the previous ` +
      'step’s primary output; or a named chain (`preset`, e.g. `meeting_recording`). ' +
      'Poll GET /status/{job_id}, then GET /download/{job_id}.',
    tags: ['jobs'],
    access: 'apiKey',
    headers: idempotencyHeadersSchema,
    body: { json: submitJobBodySchema, examples: submitJobExamples },
    responses: {
      202: {
        description: 'Queued (or, with a reused Idempotency-Key, the job the first request created).',
        json: submitResultSchema,
        example: submitResultExample,
        headers: {
          Location: { description: 'The job’s status URL.', schema: { type: 'string' } },
          'Idempotent-Replayed': { description: '`true` when an earlier job is returned.', schema: { type: 'string' } },
          ...RATE_LIMIT_HEADERS,
        },
        links: {
          GetJobStatus: { operationId: 'getJobStatus', parameters: { job_id: '$response.body#/job_id' } },
          DownloadJobOutput: { operationId: 'downloadJobOutput', parameters: { job_id: '$response.body#/job_id' } },
          CancelJob: { operationId: 'cancelJob', parameters: { job_id: '$response.body#/job_id' } },
          RetryJob: { operationId: 'retryJob', parameters: { job_id: '$response.body#/job_id' } },
        },
      },
      ...errorResponses(
        400,
        [404, 'SOURCE_NOT_FOUND: the source does not exist, or is another key’s upload (the same answer).'],
        [413, 'PAYLOAD_TOO_LARGE: the body is over 64 KiB, or `sources` hold more than UPLOAD_MAX_BYTES together.'],
        415,
        [422, 'IDEMPOTENCY_KEY_REUSED: the key was used with another body.'],
        503,
      ),
      429: {
        description:
          'RATE_LIMITED (too many submissions; see `Retry-After` and the RateLimit fields) or QUOTA_EXCEEDED (too many active jobs for this key). ' +
          'Requests refused as invalid (400, 415) spend no token.',
        json: errorBodySchema,
        headers: {
          ...RATE_LIMIT_HEADERS,
          'Retry-After': { description: 'Seconds until one token is back.', schema: { type: 'integer' } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/process',
    operationId: 'listJobs',
    summary: 'List jobs, newest first',
    tags: ['jobs'],
    access: 'apiKey',
    query: listQuerySchema,
    responses: {
      200: { description: 'One page of jobs.', json: jobPageSchema, example: jobPageExample },
      ...errorResponses(400, 503),
    },
  },
  {
    method: 'get',
    path: '/operations',
    operationId: 'listOperations',
    summary: 'The operations and presets a job can run, with their parameters’ JSON Schema',
    description:
      'Every registered operation: its name, summary, accepted output formats and the JSON Schema of its `params` ' +
      '(bounds, enums, defaults); and every preset (`preset` in POST /process): its name, summary, whether it takes ' +
      'several sources, the operations it runs and the JSON Schema of its `params`. ' +
      'The dashboard builds its submission form from it.',
    tags: ['jobs'],
    access: 'apiKey',
    responses: {
      200: { description: 'The operations, in registry order, and the presets.', json: operationListSchema },
      ...errorResponses(401),
    },
  },
  {
    method: 'get',
    path: '/status/:job_id',
    operationId: 'getJobStatus',
    summary: 'A job’s status and progress',
    tags: ['jobs'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    responses: {
      200: { description: 'The job.', json: jobViewSchema, example: jobViewExample },
      ...errorResponses(400, 404, 503),
    },
  },
  {
    method: 'get',
    path: '/download/:job_id',
    operationId: 'downloadJobOutput',
    summary: 'Download a completed job’s output, or a finished job’s log',
    description:
      'Supports a single byte range (`Range: bytes=start-end`), for seeking video players. ' +
      '`?output=log` also serves the log of a failed or cancelled job.',
    tags: ['jobs'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    query: downloadQuerySchema,
    headers: downloadHeadersSchema,
    responses: {
      200: { description: 'The whole output.', raw: downloadContent },
      206: {
        description: 'The requested byte range.',
        raw: downloadContent,
        headers: { 'Content-Range': { description: '`bytes start-end/size`.', schema: { type: 'string' } } },
      },
      ...errorResponses(
        400,
        404,
        [409, 'JOB_NOT_COMPLETED: the job has not completed (for `?output=log`: it is still queued or processing).'],
        [410, EXPIRED],
        416,
        503,
      ),
    },
  },
  {
    method: 'get',
    path: '/jobs/:job_id/files/*path',
    operationId: 'getJobFile',
    summary: 'A file of a job’s outputs',
    description:
      'Any file an `outputs[]` entry covers: the entry itself, or a file under a directory entry (a streaming package). ' +
      'Completed jobs only, except that the `log` is also served for failed and cancelled jobs. HEAD and a single ' +
      'byte range are supported.',
    tags: ['jobs'],
    access: 'apiKey',
    params: jobFileParamsSchema,
    headers: downloadHeadersSchema,
    responses: {
      ...fileResponses('`private, max-age=31536000, immutable` for a completed job (its outputs never change).'),
      ...errorResponses(
        [400, 'INVALID_FILE_PATH: `..`, an empty segment, a backslash, a control or other disallowed character.'],
        [404, 'JOB_NOT_FOUND, or NOT_FOUND: no output covers the path, or it is no longer stored.'],
        [409, 'JOB_NOT_COMPLETED: only a completed job’s files (and a failed or cancelled job’s log) are served.'],
        [410, EXPIRED],
        416,
        503,
      ),
    },
  },
  {
    method: 'get',
    path: '/jobs/:job_id/playback',
    operationId: 'getPlaybackUrls',
    summary: 'Signed URLs to play a job’s outputs in a browser',
    description:
      'URLs `/play/{token}/{path}` that need no API key until `expires_at` (PLAYBACK_URL_TTL_SECONDS), for the HLS ' +
      'and DASH packages, a video or audio file, subtitles, the poster and the storyboard (a <video> element cannot ' +
      'send the Authorization header). Relative URIs inside the playlists and MPD resolve to URLs carrying the same token.',
    tags: ['jobs'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    responses: {
      200: { description: 'The URLs of the outputs the job has.', json: playbackUrlsSchema },
      ...errorResponses(
        400,
        [404, 'JOB_NOT_FOUND, or NOT_FOUND: the job has no HLS, DASH, video or audio output.'],
        [409, 'JOB_NOT_COMPLETED.'],
        [410, EXPIRED],
        503,
      ),
    },
  },
  {
    method: 'get',
    path: '/play/:token/*path',
    operationId: 'playJobFile',
    summary: 'A job’s file through a playback URL',
    description:
      'As GET /jobs/{job_id}/files/{path}, authorised by the token instead of an API key, except that the `log` ' +
      'output is not served. Sends CORS headers for CORS_ORIGINS and `Cross-Origin-Resource-Policy: cross-origin`.',
    tags: ['jobs'],
    access: 'public',
    params: playParamsSchema,
    headers: downloadHeadersSchema,
    responses: {
      ...fileResponses('`public, max-age=<seconds until the token expires>, immutable`.'),
      ...errorResponses(
        [400, 'INVALID_FILE_PATH.'],
        [403, 'PLAYBACK_TOKEN_INVALID (malformed or forged) or PLAYBACK_TOKEN_EXPIRED.'],
        [404, 'JOB_NOT_FOUND, or NOT_FOUND: no output covers the path.'],
        [409, 'JOB_NOT_COMPLETED.'],
        [410, EXPIRED],
        416,
        503,
      ),
    },
  },
  {
    method: 'post',
    path: '/jobs/:job_id/cancel',
    operationId: 'cancelJob',
    summary: 'Cancel a job',
    description: 'A queued job is cancelled at once; a running one when its worker notices (within about a second).',
    tags: ['operations'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    responses: {
      202: { description: 'Cancelled, or being cancelled.', json: jobActionResultSchema },
      ...errorResponses(400, 404, [409, 'JOB_NOT_CANCELLABLE: the job already completed or failed.'], 503),
    },
  },
  {
    method: 'delete',
    path: '/jobs/:job_id',
    operationId: 'deleteJob',
    summary: 'Delete a job and every object it wrote',
    description:
      'Cancels the job if it is queued or running (its worker removes what it wrote when it stops), deletes its ' +
      'folder of outputs, and keeps only a tombstone, so GET /status and the file routes answer 404 afterwards. ' +
      'Objects another live job reuses stay until the last such job is deleted or expires. Idempotent: deleting ' +
      'again answers 204.',
    tags: ['jobs'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    responses: {
      204: { description: 'Deleted (or already deleted).' },
      ...errorResponses(400, [404, 'JOB_NOT_FOUND: no such job, or another key’s.'], 503),
    },
  },
  {
    method: 'post',
    path: '/jobs/:job_id/retry',
    operationId: 'retryJob',
    summary: 'Run a failed or cancelled job again',
    tags: ['operations'],
    access: 'apiKey',
    params: jobIdParamsSchema,
    responses: {
      202: { description: 'Queued again with a fresh set of attempts.', json: jobActionResultSchema },
      ...errorResponses(400, 404, [409, 'JOB_NOT_RETRYABLE: only failed or cancelled jobs can be retried.'], 503),
    },
  },
  {
    method: 'get',
    path: '/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'Jobs that ran out of attempts, newest first',
    tags: ['operations'],
    access: 'admin',
    query: deadLetterQuerySchema,
    responses: {
      200: { description: 'One page of dead-lettered jobs.', json: deadLetterPageSchema },
      ...errorResponses(400, 503),
    },
  },
  {
    method: 'post',
    path: '/dead-letters/replay',
    operationId: 'replayDeadLetters',
    summary: 'Queue dead-lettered jobs again',
    tags: ['operations'],
    access: 'admin',
    body: { json: replayBodySchema, required: false },
    responses: {
      202: { description: 'The jobs queued again.', json: replayResultSchema },
      ...errorResponses(400, 409, 413, 503),
    },
  },
  ...webhookRouteSpecs(errorResponses),
  ...accountRouteSpecs(errorResponses),
  ...eventRouteSpecs(errorResponses),
];
