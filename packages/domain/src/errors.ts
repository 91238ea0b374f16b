/**
 * One error family for the whole system. Every operational failure that can
 * reach a client or a job record is an AppError with a stable, machine-readable
 * code; the HTTP status and whether a retry could help travel with the code so
 * the API, the worker and the logs all agree on what a failure means.
 */

export const ErrorCodes = {
  // Client errors (API)
  VALIDATION_FAILED: { status: 400, retryable: false },
  INVALID_JSON: { status: 400, retryable: false },
  UNKNOWN_OPERATION: { status: 400, retryable: false },
  INVALID_SOURCE: { status: 400, retryable: false },
  // `sources` with more than one entry for an operation that takes one source (every one but concat).
  MULTIPLE_SOURCES_NOT_SUPPORTED: { status: 400, retryable: false },
  // 404, like any missing resource; another key's upload answers exactly the same (no existence leak).
  SOURCE_NOT_FOUND: { status: 404, retryable: false },
  INVALID_CURSOR: { status: 400, retryable: false },
  INVALID_FILENAME: { status: 400, retryable: false },
  // A job file path with `..`, empty segments, backslashes, control or other disallowed characters.
  INVALID_FILE_PATH: { status: 400, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  // Accounts are off: authentication is off (AUTH_DISABLED), or the server has no AUTH_TOKEN_SECRET.
  ACCOUNTS_DISABLED: { status: 403, retryable: false },
  // POST /auth/signup while SIGNUP_ENABLED is false.
  SIGNUP_DISABLED: { status: 403, retryable: false },
  // POST /auth/signup with an email that has an account; sign in instead.
  ACCOUNT_EXISTS: { status: 409, retryable: false },
  // A new password shorter than 10 or longer than 256 characters.
  WEAK_PASSWORD: { status: 400, retryable: false },
  // A cookie-authenticated /auth request without X-CSRF-Token equal to the mf_csrf cookie, or from another Origin.
  CSRF_REJECTED: { status: 403, retryable: false },
  // No API key with this id among the signed-in person's (DELETE /auth/keys/{id}).
  API_KEY_NOT_FOUND: { status: 404, retryable: false },
  // The person holds the most API keys allowed (20); delete one first.
  API_KEY_LIMIT: { status: 409, retryable: false },
  // A /play token that is malformed or whose signature does not verify.
  PLAYBACK_TOKEN_INVALID: { status: 403, retryable: false },
  // 403, not 410: a new token from GET /jobs/{id}/playback works again, and 410 is cacheable by default.
  PLAYBACK_TOKEN_EXPIRED: { status: 403, retryable: false },
  // A POST /events/token token (?token= on an event stream) that is malformed, forged or expired; ask for a new one.
  EVENTS_TOKEN_INVALID: { status: 401, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  JOB_NOT_FOUND: { status: 404, retryable: false },
  // No such multipart or tus upload for this key: never made, aborted, expired, or another key's.
  UPLOAD_NOT_FOUND: { status: 404, retryable: false },
  // An embedded-mode part URL whose token is malformed, forged, or for another part or upload.
  UPLOAD_URL_INVALID: { status: 403, retryable: false },
  // 403 as for playback tokens: GET /uploads/{id}/parts gives fresh URLs.
  UPLOAD_URL_EXPIRED: { status: 403, retryable: false },
  // Completion with parts missing, or whose sizes do not add up to the declared size_bytes.
  UPLOAD_INCOMPLETE: { status: 409, retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  // A webhook URL that is not http(s), does not resolve, or resolves to an address the SSRF policy refuses.
  WEBHOOK_URL_REFUSED: { status: 400, retryable: false },
  // No webhook endpoint with this id for this API key.
  WEBHOOK_NOT_FOUND: { status: 404, retryable: false },
  // The API key already has WEBHOOK_MAX_ENDPOINTS_PER_KEY endpoints; delete one first.
  WEBHOOK_ENDPOINT_LIMIT: { status: 409, retryable: false },
  // Retention removed the job's outputs (OUTPUT_RETENTION_DAYS); its record remains.
  JOB_EXPIRED: { status: 410, retryable: false },
  JOB_NOT_COMPLETED: { status: 409, retryable: false },
  JOB_NOT_CANCELLABLE: { status: 409, retryable: false },
  JOB_NOT_RETRYABLE: { status: 409, retryable: false },
  IDEMPOTENCY_KEY_REUSED: { status: 422, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  RANGE_NOT_SATISFIABLE: { status: 416, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  QUOTA_EXCEEDED: { status: 429, retryable: true },
  // Too many open event streams for this key or this replica (SSE_MAX_STREAMS_PER_KEY, SSE_MAX_STREAMS); close one.
  TOO_MANY_STREAMS: { status: 429, retryable: true },
  // Dependencies
  DEPENDENCY_UNAVAILABLE: { status: 503, retryable: true },
  STORAGE_ERROR: { status: 503, retryable: true },
  DATABASE_ERROR: { status: 503, retryable: true },
  QUEUE_ERROR: { status: 503, retryable: true },
  // Job failures (worker)
  NOT_MEDIA: { status: 422, retryable: false },
  NO_VIDEO_STREAM: { status: 422, retryable: false },
  NO_AUDIO_STREAM: { status: 422, retryable: false },
  // The job's params.audio_track (an index among the audio streams or a language) names no stream of the source.
  AUDIO_TRACK_NOT_FOUND: { status: 422, retryable: false },
  UNSUPPORTED_MEDIA: { status: 422, retryable: false },
  // A resize this source cannot give without distorting its shape or going below the minimum side.
  RESIZE_IMPOSSIBLE: { status: 422, retryable: false },
  OPERATION_NOT_AVAILABLE: { status: 501, retryable: false },
  FFMPEG_FAILED: { status: 500, retryable: false },
  // The plan promised a file or directory and the steps did not write it (or wrote it empty);
  // for a media output also: not readable as media, or holding no audio or video data.
  EMPTY_OUTPUT: { status: 500, retryable: false },
  // A media output is readable but shorter than the plan expected, lacks a stream it should
  // hold, or a stream of it does not decode. FFmpeg is deterministic: a retry would do the same.
  OUTPUT_INCOMPLETE: { status: 500, retryable: false },
  // The source's data ends well before the duration its container declares (an upload or copy
  // cut off): the result would silently be a fraction of the media. Only a new upload helps.
  SOURCE_TRUNCATED: { status: 422, retryable: false },
  // concat: the first source is a MediaRecorder continuation chunk (a bare WebM Cluster, no header),
  // so the recording's first chunk is missing or the sources are out of order.
  CHUNK_HEADER_MISSING: { status: 422, retryable: false },
  // concat: a continuation chunk's timestamps do not follow the chunk before it (a gap or a step
  // back beyond the tolerance), or its bytes do not continue the WebM stream: one is missing or out of order.
  CHUNK_SEQUENCE_BROKEN: { status: 422, retryable: false },
  // concat: continuation chunks (no header) and complete recordings (own header) in one job.
  SOURCES_MIXED: { status: 422, retryable: false },
  JOB_ABORTED: { status: 503, retryable: true },
  FFMPEG_STALLED: { status: 503, retryable: true },
  WORKER_LOST: { status: 503, retryable: true },
  JOB_TIMEOUT: { status: 504, retryable: false },
  JOB_CANCELLED: { status: 409, retryable: false },
  // Programmer errors and the unknown
  INTERNAL: { status: 500, retryable: false },
  // Transcription (worker)
  MODEL_NOT_FOUND: { status: 422, retryable: false },
  UNSUPPORTED_LANGUAGE: { status: 422, retryable: false },
  TRANSCRIPTION_FAILED: { status: 500, retryable: false },
  // Hostile-input limits (worker)
  MEDIA_LIMIT_EXCEEDED: { status: 422, retryable: false },
  RESOURCE_LIMIT_EXCEEDED: { status: 422, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.retryable = ErrorCodes[code].retryable;
    this.details = options.details;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The one place that turns any thrown value into what a client may see. */
export function toErrorBody(value: unknown): { status: number; body: ErrorBody } {
  if (isAppError(value)) return { status: value.status, body: value.toBody() };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
  };
}

export function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
