/**
 * What the README's configuration table says about each setting, beyond what
 * the schema in config.ts knows (its default and its type). A setting missing
 * here is still documented: the generator falls back to the `//` comment above
 * it in config.ts, so a new setting shows up in the README with its comment.
 * `default` overrides what the schema would give: derived values, and ones
 * that depend on the machine (the temp dir, the number of cores).
 */
export interface SettingDoc {
  default?: string;
  description: string;
}

export const CONFIG_DOCS: Readonly<Record<string, SettingDoc>> = {
  PORT: { description: 'API port' },
  HOST: { description: 'API bind address' },
  LOG_LEVEL: { description: 'winston level (JSON logs; each job logs with its `jobId`)' },
  NODE_ENV: { description: '`development`, `production` or `test`' },
  DB_BACKEND: {
    default: 'derived',
    description:
      '`mongodb`, `dynamodb` or `embedded`; default: `mongodb` if `MONGO_URL` is set, else `dynamodb` if `DYNAMODB_ENDPOINT` is set, else `embedded`',
  },
  MONGO_URL: { description: 'MongoDB connection string' },
  DB_NAME: { description: 'MongoDB database' },
  MONGO_JOBS_COLLECTION: { description: 'MongoDB collection' },
  DYNAMODB_ENDPOINT: { default: '—', description: 'DynamoDB endpoint (unset = AWS)' },
  DYNAMODB_TABLE: { description: 'table, created by the migration' },
  DATABASE_COMPAT: {
    description:
      'test-server workarounds: `ferretdb-v1` (MONGO_URL is FerretDB v1) or `dynalite`; `none` for real MongoDB and DynamoDB (see [The control plane](#the-control-plane)); embedded: always `dynalite`',
  },
  DATABASE_MIGRATE: {
    description:
      '`manual`: only `npm run db:migrate` creates tables and indexes, and processes refuse to start without them; `on-start`: every process migrates; `npm start` always migrates',
  },
  AWS_REGION: { description: 'region of S3 and DynamoDB (any value for local servers)' },
  AWS_ACCESS_KEY_ID: { default: '—', description: 'credentials (unset = the AWS default chain)' },
  AWS_SECRET_ACCESS_KEY: { default: '—', description: 'credentials (unset = the AWS default chain)' },
  STORAGE_BACKEND: { default: 'derived', description: '`s3` or `local`; default `s3` when `S3_ENDPOINT` is set' },
  S3_ENDPOINT: { default: '—', description: 'S3-compatible endpoint (unset = AWS)' },
  S3_FORCE_PATH_STYLE: { description: 'path-style addressing (needed by most S3-compatible servers)' },
  INPUT_BUCKET: { description: 'uploads go here; sources must be here' },
  OUTPUT_BUCKET: { description: 'outputs and logs' },
  OUTPUT_PREFIX: { description: 'key prefix; each job writes under `<prefix><job_id>/`' },
  ALLOWED_SOURCE_BUCKETS: { description: 'extra source buckets, comma-separated' },
  UPLOAD_MAX_BYTES: { description: 'largest upload, streamed, multipart or tus (413 above it)' },
  UPLOAD_SIGNING_SECRET: {
    default: '(from `PLAYBACK_SIGNING_SECRET`, else random)',
    description:
      'key (≥ 32 characters) sealing multipart upload ids and signing embedded-mode part URLs; set the same value on every API replica, or uploads cannot be resumed after a restart',
  },
  UPLOAD_PART_URL_TTL_SECONDS: { description: 'lifetime of each part URL (1–604800)' },
  UPLOAD_INCOMPLETE_MAX_AGE_HOURS: {
    description: 'multipart and tus uploads not completed by this age are aborted and their parts freed (1–720)',
  },
  UPLOAD_SWEEP_INTERVAL_SECONDS: { description: 'how often each API process looks for such uploads' },
  PLAYBACK_SIGNING_SECRET: {
    default: '(random per process)',
    description: 'HMAC key (≥ 32 characters) for `/play/<token>/` URLs; set the same value on every API replica',
  },
  PLAYBACK_URL_TTL_SECONDS: { description: 'how long a playback URL works (60–604800)' },
  PLAYBACK_DELIVERY: {
    description:
      '`redirect`: with S3, segments and images answer 302 to presigned URLs (playlists and MPDs stay proxied so relative URIs keep the token)',
  },
  QUEUE_BACKEND: {
    default: 'derived',
    description: '`kafka` or `memory`; default `kafka` when `KAFKA_BOOTSTRAP_SERVERS` is set',
  },
  KAFKA_BOOTSTRAP_SERVERS: { default: '—', description: 'comma-separated brokers' },
  KAFKA_CLIENT_ID: { description: '' },
  KAFKA_TOPIC: { description: 'created at start-up if missing' },
  KAFKA_CONSUMER_GROUP: { description: '' },
  KAFKA_PARTITIONS: { description: 'partitions of a newly created topic: the most workers that all get work' },
  KAFKA_REPLICATION_FACTOR: { description: '' },
  KAFKA_SESSION_TIMEOUT_MS: { description: 'group session timeout' },
  KAFKA_REBALANCE_TIMEOUT_MS: { description: 'time a member has to rejoin (a job in flight finishes first)' },
  KAFKA_HEARTBEAT_INTERVAL_MS: { description: '' },
  DATA_DIR: { default: '`./data`', description: 'embedded mode: database and objects' },
  WORK_DIR: { default: 'OS temp dir', description: 'where workers make per-job temp dirs' },
  FFMPEG_PATH: { description: 'checked at start-up, with the encoders we need' },
  FFPROBE_PATH: { description: 'checked at start-up, with the encoders we need' },
  WORKER_ID: { default: '`hostname-pid`', description: 'must be unique per live worker' },
  WORKER_CONCURRENCY: {
    description:
      'jobs one worker runs at once, each from its own Kafka partition (messages of one partition stay in order); `TRANSCRIBE_CONCURRENCY` caps how many of them are transcriptions',
  },
  JOB_LEASE_SECONDS: { description: "a claim's lease, renewed with progress" },
  PROGRESS_INTERVAL_MS: { description: 'at most one progress write per job per interval' },
  MAX_ATTEMPTS: { description: 'attempts for transient failures' },
  RETRY_BASE_DELAY_MS: { description: "first retry's backoff; doubles each attempt, with jitter" },
  RETRY_MAX_DELAY_MS: { description: 'cap on one backoff' },
  FFMPEG_STALL_TIMEOUT: { description: 'seconds without FFmpeg progress before the watchdog kills it' },
  JOB_TIMEOUT_FACTOR: { description: "an FFmpeg run may last this many times the media's duration…" },
  JOB_TIMEOUT_MIN_SECONDS: { description: '…but never less than this' },
  KAFKA_DEAD_LETTER_TOPIC: {
    default: '`<KAFKA_TOPIC>.dead-letter`',
    description: 'where exhausted jobs are announced',
  },
  REAPER_INTERVAL_SECONDS: { description: 'how often each worker looks for stranded jobs' },
  REQUEUE_QUEUED_AFTER_SECONDS: { description: 'a queued job idle this long is re-published' },
  OUTPUT_RETENTION_DAYS: {
    default: '— (keep)',
    description:
      "days (fractions allowed, e.g. `0.0001` = 8.64 s for tests) a finished job's objects are kept; then deleted and the job answers 410 `JOB_EXPIRED` (see [Deletion, retention and result reuse](#deletion-retention-and-result-reuse))",
  },
  UPLOAD_RETENTION_DAYS: {
    default: '— (keep)',
    description: 'days (fractions allowed) an upload under `uploads/` of `INPUT_BUCKET` is kept after it was written',
  },
  RETENTION_BATCH_SIZE: {
    description:
      'jobs expired and uploads deleted per retention pass (one pass per `REAPER_INTERVAL_SECONDS` on each worker)',
  },
  S3_LIFECYCLE_RULES: {
    description:
      '`true`: workers put S3 lifecycle expiry rules for the two retentions on the buckets at start-up (needs `s3:PutLifecycleConfiguration`; unsupported servers are logged and skipped)',
  },
  RESULT_REUSE_SCOPE: {
    description:
      "whose earlier identical results a job reuses: `key` (the same API key's), `global` (anybody's), `off`",
  },
  SHUTDOWN_TIMEOUT_MS: { description: 'hard limit on a graceful shutdown' },
  MAX_MEDIA_DURATION_SECONDS: {
    description: 'longer inputs fail with `MEDIA_LIMIT_EXCEEDED` before any encode (an unknown duration passes)',
  },
  MAX_VIDEO_PIXELS: { description: 'width × height of the video (8192×4320); either side is also capped at 16384' },
  MAX_STREAMS: { description: 'streams an input may have' },
  FFMPEG_MEMORY_LIMIT_MB: {
    description:
      'memory ceiling (RLIMIT_DATA via `prlimit`) for each FFmpeg/ffprobe process; min 256; hitting it fails the job with `RESOURCE_LIMIT_EXCEEDED`',
  },
  FFMPEG_CPU_TIME_LIMIT_SECONDS: {
    default: '`0` (scaled)',
    description:
      'CPU-time ceiling per encode; `0` = max(300, duration × 30 × max(1, pixels ÷ 1080p) × max(1, fps ÷ 30)), an unknown duration counting as 1 h; ffprobe gets 60 s. Without `prlimit` on PATH both limits are off (one warning)',
  },
  MEDIAFLOW_CACHE_DIR: {
    default: '`~/.cache/mediaflow`',
    description:
      'where `scripts/whisper/install.sh` puts the Whisper venv and models; the two defaults below point into it',
  },
  WHISPER_PYTHON: {
    default: '`$MEDIAFLOW_CACHE_DIR/whisper-venv/bin/python`',
    description: 'a Python with faster-whisper (the image: `/opt/whisper-venv/bin/python`)',
  },
  WHISPER_MODEL_DIR: {
    default: '`$MEDIAFLOW_CACHE_DIR/whisper-models`',
    description: 'one directory per model name (docker-compose: the `./models` volume at `/models`)',
  },
  WHISPER_MODEL: {
    description:
      'the model when a job names none: a name (`tiny`, `tiny.en`, `base`, `base.en`, `small`, `medium`, `large-v3`, …) or an absolute path to a model directory (paths only here, never from a job)',
  },
  WHISPER_COMPUTE_TYPE: { description: 'CTranslate2 quantisation (`int8`, `int8_float32`, `int16`, `float32`, …)' },
  WHISPER_CPU_THREADS: { default: 'number of cores', description: 'threads per transcription' },
  WHISPER_BEAM_SIZE: {
    description:
      '1 = greedy decoding; 5 = beam search, about 1.6x slower for slightly fewer errors (see [Transcription](#transcription))',
  },
  TRANSCRIBE_CONCURRENCY: {
    description:
      'transcriptions one worker runs at once, apart from FFmpeg jobs; each is its own helper process with its own copy of the model',
  },
  API_KEYS: {
    default: '—',
    description:
      "accepted API keys, comma-separated `id:sha256hex[:admin]` entries: the id is recorded on every job the key makes, the hex is the SHA-256 of the key (the server never stores the key itself), `:admin` makes an admin key, which sees and manages every key's jobs and uploads and the dead letters. Read at start-up: restart after a change (see [Walk-through](#walk-through-with-curl))",
  },
  API_KEYS_FILE: {
    default: '—',
    description: 'a file with more entries, one per line (`#` comments allowed); read at start-up',
  },
  AUTH_DISABLED: {
    description:
      '`true`: no authentication, loud warning at start-up. `npm start` runs open when no key is configured; `npm run start:api` refuses to start without a key unless this is `true`',
  },
  SUBMIT_RATE_PER_MINUTE: {
    description: 'accepted `POST /process` per key per minute (429 `RATE_LIMITED` with `Retry-After` beyond)',
  },
  SUBMIT_BURST: { description: 'submits a key may make at once above the rate' },
  UPLOAD_RATE_PER_MINUTE: { description: 'uploads started per key per minute' },
  UPLOAD_BURST: { description: 'uploads a key may start at once above the rate' },
  MAX_ACTIVE_JOBS_PER_KEY: { description: 'queued + processing jobs one key may have (429 `QUOTA_EXCEEDED` beyond)' },
  MAX_SOURCES_PER_JOB: {
    description: "most entries in one job's `sources` (400 beyond); together they stay within `UPLOAD_MAX_BYTES` (413)",
  },
  CORS_ORIGINS: {
    default: '—',
    description: 'origins allowed to call the API and play `/play` URLs from a browser, comma-separated',
  },
  METRICS_ENABLED: {
    description:
      "`GET /metrics` (Prometheus) on the API port and on each worker's listener; `false`: the API answers 404 there and workers serve only `/healthz` and `/readyz` (see [Metrics](#metrics))",
  },
  METRICS_TOKEN: {
    default: '— (open)',
    description:
      'at least 16 characters; set: every scrape must send `Authorization: Bearer <METRICS_TOKEN>` (API and workers; not an API key)',
  },
  WORKER_METRICS_PORT: {
    description:
      "each worker's listener for `/metrics`, `/healthz` and `/readyz`; `0`: none. Several workers on one host need a port each (a taken port is logged and the worker runs without the listener)",
  },
  WORKER_METRICS_HOST: { description: "bind address of the worker's listener" },
  KAFKA_EVENTS_TOPIC: {
    default: '`<KAFKA_TOPIC>.events`',
    description:
      'one-partition topic of job changes (status, progress) that every API replica reads whole for the event streams (see [Live progress (SSE)](#live-progress-sse))',
  },
  KAFKA_EVENTS_RETENTION_MS: {
    description: 'how long the events topic keeps a change (set when the topic is created)',
  },
  SSE_REPLAY_EVENTS: {
    description:
      'changes each API replica keeps to replay to a stream resumed with `Last-Event-ID`; an older id gets a fresh `snapshot`',
  },
  SSE_HEARTBEAT_SECONDS: { description: 'a `: hb` comment on every open event stream this often, for proxies' },
  SSE_TOKEN_TTL_SECONDS: { description: 'how long a `POST /events/token` token may be used to connect' },
  SSE_MAX_STREAMS_PER_KEY: { description: 'open event streams per key per replica (429 `TOO_MANY_STREAMS` beyond)' },
  SSE_MAX_STREAMS: { description: 'open event streams per replica (429 `TOO_MANY_STREAMS` beyond)' },
};
