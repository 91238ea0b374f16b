/**
 * What the README's error table says about codes whose `//` comment in
 * errors.ts is missing or written for developers. A code missing here is
 * still documented, with its comment (or nothing), so a new code shows up.
 */
export const ERROR_DOCS: Readonly<Record<string, string>> = {
  VALIDATION_FAILED:
    'a body, parameter or query that fails its schema; `details` names each field (an unknown parameter too)',
  INVALID_JSON: 'a body that is not JSON',
  UNKNOWN_OPERATION: '`method_name` names no operation',
  INVALID_SOURCE: '`source` is not an `s3://bucket/key` URI in `INPUT_BUCKET` or `ALLOWED_SOURCE_BUCKETS`',
  SOURCE_NOT_FOUND:
    "the source object is missing, or is another key's upload (the same answer); on a job: the source vanished before the worker read it",
  INVALID_CURSOR: 'a `cursor` that this API did not issue, or for other filters',
  INVALID_FILENAME: 'an upload file name with path separators, control characters or nothing left after cleaning',
  UNAUTHORIZED: 'no `Authorization: Bearer <key>` header, or a key that is not configured (`API_KEYS`)',
  FORBIDDEN: 'an admin route (dead letters) called with a key that is not an admin key',
  NOT_FOUND: 'no such route',
  JOB_NOT_FOUND: "no such job, a deleted one, or another key's (the same answer)",
  METHOD_NOT_ALLOWED: 'a route that exists, with another method (`Allow` lists the methods)',
  JOB_NOT_COMPLETED: "download before the job completed (a failed or cancelled job's `?output=log` is served)",
  JOB_NOT_CANCELLABLE: 'cancel of a job that already finished',
  JOB_NOT_RETRYABLE: 'retry of a job that is neither failed nor cancelled',
  IDEMPOTENCY_KEY_REUSED: 'an `Idempotency-Key` sent again with another body',
  PAYLOAD_TOO_LARGE: 'a body or upload above its limit (`UPLOAD_MAX_BYTES` for uploads)',
  UNSUPPORTED_MEDIA_TYPE: 'a body whose `Content-Type` the route does not take',
  RANGE_NOT_SATISFIABLE: 'a `Range` outside the file',
  RATE_LIMITED: "over the key's submit or upload rate; `Retry-After` says when a token is back",
  QUOTA_EXCEEDED: 'the key has `MAX_ACTIVE_JOBS_PER_KEY` queued and processing jobs',
  TOO_MANY_STREAMS:
    'over `SSE_MAX_STREAMS_PER_KEY` open event streams for the key, or `SSE_MAX_STREAMS` on the replica',
  EVENTS_TOKEN_INVALID:
    "an event stream's `?token=` that is malformed, forged or expired (`SSE_TOKEN_TTL_SECONDS`); `POST /events/token` again",
  DEPENDENCY_UNAVAILABLE: 'a dependency did not answer in time; `Retry-After` is set',
  STORAGE_ERROR: 'S3 (or the local store) failed or is unreachable; `Retry-After` is set, and a job is retried',
  DATABASE_ERROR: 'the database failed or is unreachable; `Retry-After` is set',
  QUEUE_ERROR:
    'Kafka did not acknowledge: the job is stored with `needs_publish` (its `job_id` is in the answer) and published when Kafka is back',
  NOT_MEDIA: 'job: the source is not a media file FFmpeg can read',
  NO_VIDEO_STREAM: 'job: an operation that needs video on a source without it',
  NO_AUDIO_STREAM: 'job: an operation that needs audio (`extract_audio`, `transcribe`) on a source without it',
  UNSUPPORTED_MEDIA: 'job: a container or codec not on the allow-lists (see Accepted inputs)',
  OPERATION_NOT_AVAILABLE: 'job: this worker cannot run the operation (e.g. transcription without its runtime)',
  FFMPEG_FAILED: 'job: FFmpeg exited with an error; its log is at `?output=log`',
  JOB_ABORTED: 'job: the worker stopped mid-job (shutdown); handed back and run again',
  FFMPEG_STALLED: 'job: no FFmpeg progress for `FFMPEG_STALL_TIMEOUT` seconds; retried',
  WORKER_LOST: 'job: its worker died (lease expired) too often; not run again once its attempts are spent',
  JOB_TIMEOUT: 'job: FFmpeg ran longer than `max(JOB_TIMEOUT_MIN_SECONDS, duration × JOB_TIMEOUT_FACTOR)`',
  JOB_CANCELLED: 'job: cancelled by `POST /jobs/<id>/cancel` or `DELETE`',
  INTERNAL: 'a bug: the response says no more, the log has the stack',
  MODEL_NOT_FOUND:
    'job: the Whisper model is not installed; the message names the directory and `npm run whisper:install`',
  UNSUPPORTED_LANGUAGE: 'job: `params.language` is not a language the model knows',
  TRANSCRIPTION_FAILED: 'job: the speech recogniser failed',
  MEDIA_LIMIT_EXCEEDED: 'job: over `MAX_MEDIA_DURATION_SECONDS`, `MAX_VIDEO_PIXELS` or `MAX_STREAMS`',
  RESOURCE_LIMIT_EXCEEDED: 'job: FFmpeg hit `FFMPEG_MEMORY_LIMIT_MB` or `FFMPEG_CPU_TIME_LIMIT_SECONDS`',
};
