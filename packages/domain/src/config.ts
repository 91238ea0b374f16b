import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the system reads, in one schema parsed once at start-up.
 * Backends left unset are derived: a Kafka bootstrap list selects Kafka, a
 * Mongo URL or DynamoDB endpoint selects that database, an S3 endpoint selects
 * S3. With none of them, the system runs embedded on one machine.
 */

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const bool = (fallback: boolean) => z.stringbool().default(fallback);
const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const csv = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  );
// A positive number of days, fractions allowed; unset (or empty) means "keep forever".
const days = z.coerce.number().positive().max(36_500).optional();
const bucket = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default(fallback);

/**
 * OpenTelemetry's standard variables, as far as we read them. They are read
 * once before anything else loads (instrumentation must patch modules before
 * they are required: see packages/runtime/src/tracing/bootstrap.ts), and
 * again here with the rest, so a bad value is reported like any other.
 * Spans are recorded and exported only when OTEL_TRACES_EXPORTER names an
 * exporter other than none, or an OTLP endpoint is set; otherwise no SDK
 * starts and nothing is patched. The SDK reads the remaining OTEL_* variables
 * (headers, timeouts, sampler, resource attributes) itself.
 */
export const tracingEnvSchema = z.object({
  // `otlp`, `console` or `none` (comma-separated, as OpenTelemetry defines it); unset: spans are
  // exported only when an OTLP endpoint is set (see README, Tracing).
  OTEL_TRACES_EXPORTER: csv.pipe(z.array(z.enum(['otlp', 'console', 'none']))),
  // The OTLP collector's base URL (e.g. http://otel-collector:4318); set alone, it turns export on.
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
  // The full traces URL (…/v1/traces), instead of the base URL; set alone, it turns export on.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(z.url().optional()),
  // `http/protobuf` (the default, port 4318), `http/json` or `grpc` (port 4317).
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  // service.name on every span; default `mediaflow-api`, `mediaflow-worker` or `mediaflow` (npm start).
  OTEL_SERVICE_NAME: optionalString,
  // `true`: no SDK, whatever else is set (trace context still reaches the job's log lines).
  OTEL_SDK_DISABLED: bool(false),
});

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
    PORT: int(8000, 0, 65535),
    HOST: z.string().default('0.0.0.0'),

    DB_BACKEND: z.enum(['mongodb', 'dynamodb', 'embedded']).optional(),
    MONGO_URL: optionalString,
    DB_NAME: z.string().min(1).default('mediaflow'),
    MONGO_JOBS_COLLECTION: z.string().min(1).default('jobs'),
    DYNAMODB_ENDPOINT: optionalString.pipe(z.url().optional()),
    DYNAMODB_TABLE: z.string().min(3).max(255).default('mediaflow-jobs'),
    // Workarounds for test servers; never set against real MongoDB or DynamoDB.
    // ferretdb-v1: FerretDB v1 applies an update's filter and write non-atomically, so
    // rate limits use insert-only entries (MongoRateLimitStore) instead of atomic updates.
    // dynalite: DYNAMODB_ENDPOINT is dynalite, which returns no item on a failed condition.
    // With ferretdb-v1, MongoJobRepository also arbitrates claims through a claim ledger,
    // creates one index per command and purges expired idempotency keys itself (no TTL
    // indexes); with dynalite, adding indexes to an existing table rebuilds it. none: the
    // real servers, where none of that runs. The embedded mode always uses dynalite.
    DATABASE_COMPAT: z.enum(['none', 'ferretdb-v1', 'dynalite']).default('none'),
    // Who creates tables and indexes (and runs backfills). manual: `npm run db:migrate`
    // does, once per deploy; every other process only checks the schema is there and
    // refuses to start otherwise. on-start: every process migrates in its start-up.
    // `npm start` (one process) and the embedded database always migrate on start.
    DATABASE_MIGRATE: z.enum(['manual', 'on-start']).default('manual'),

    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ACCESS_KEY_ID: optionalString,
    AWS_SECRET_ACCESS_KEY: optionalString,

    STORAGE_BACKEND: z.enum(['s3', 'local']).optional(),
    S3_ENDPOINT: optionalString.pipe(z.url().optional()),
    S3_FORCE_PATH_STYLE: bool(false),
    INPUT_BUCKET: bucket('mediaflow-input'),
    OUTPUT_BUCKET: bucket('mediaflow-output'),
    OUTPUT_PREFIX: z
      .string()
      .default('outputs/')
      .transform((prefix) => (prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`)),
    ALLOWED_SOURCE_BUCKETS: csv,
    UPLOAD_MAX_BYTES: int(2 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    // --- begin uploads (services/api/src/uploads) ---
    // Key for multipart upload ids (AES-256-GCM) and embedded-mode part URLs
    // (HMAC), shared by every API replica. Unset: derived from
    // PLAYBACK_SIGNING_SECRET; both unset: random per process, so an upload
    // cannot be resumed on another replica or after a restart.
    UPLOAD_SIGNING_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    // Lifetime of each presigned part URL; ask GET /uploads/{id}/parts for fresh ones.
    UPLOAD_PART_URL_TTL_SECONDS: int(3600, 1, 604_800),
    // Multipart and tus uploads not completed by this age are aborted and their parts freed.
    UPLOAD_INCOMPLETE_MAX_AGE_HOURS: int(24, 1, 24 * 30),
    // How often each API process looks for such uploads.
    UPLOAD_SWEEP_INTERVAL_SECONDS: int(900, 10, 86_400),
    // --- end uploads ---

    QUEUE_BACKEND: z.enum(['kafka', 'memory']).optional(),
    KAFKA_BOOTSTRAP_SERVERS: csv,
    KAFKA_CLIENT_ID: z.string().min(1).default('mediaflow'),
    KAFKA_TOPIC: z.string().min(1).max(249).default('mediaflow.jobs'),
    KAFKA_DEAD_LETTER_TOPIC: z.string().min(1).max(249).optional(),
    KAFKA_CONSUMER_GROUP: z.string().min(1).default('mediaflow-workers'),
    KAFKA_PARTITIONS: int(12, 1, 1000),
    KAFKA_REPLICATION_FACTOR: int(1, 1, 10),
    KAFKA_SESSION_TIMEOUT_MS: int(60_000, 6_000, 1_800_000),
    KAFKA_REBALANCE_TIMEOUT_MS: int(600_000, 10_000, 3_600_000),
    KAFKA_HEARTBEAT_INTERVAL_MS: int(3_000, 500, 60_000),

    DATA_DIR: z.string().default('./data'),
    WORK_DIR: z.string().default(os.tmpdir()),
    FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
    FFPROBE_PATH: z.string().min(1).default('ffprobe'),
    WORKER_ID: optionalString,
    // Jobs one worker runs at once, each from its own Kafka partition. Each
    // FFmpeg already uses every core, so more than 1 pays off mainly when jobs
    // wait on I/O or when transcriptions and encodes should run side by side.
    WORKER_CONCURRENCY: int(1, 1, 64),
    JOB_LEASE_SECONDS: int(60, 5, 3600),
    PROGRESS_INTERVAL_MS: int(1000, 100, 60_000),
    SHUTDOWN_TIMEOUT_MS: int(30_000, 1000, 600_000),
    MAX_ATTEMPTS: int(3, 1, 100),
    // --- begin hostile-input limits (packages/media/src/limits-config.ts) ---
    MAX_MEDIA_DURATION_SECONDS: int(4 * 3600, 1, 7 * 86_400),
    // 8192x4320; FFmpeg itself refuses frames above 16384x16384.
    MAX_VIDEO_PIXELS: int(8192 * 4320, 1, 16384 * 16384),
    MAX_STREAMS: int(16, 1, 1000),
    // Even a small encode needs a few hundred MiB.
    FFMPEG_MEMORY_LIMIT_MB: int(4096, 256, 1_048_576),
    // 0: scale with the input (packages/media/src/limits-config.ts).
    FFMPEG_CPU_TIME_LIMIT_SECONDS: int(0, 0, 31 * 86_400),
    // --- end hostile-input limits ---
    RETRY_BASE_DELAY_MS: int(2_000, 0, 3_600_000),
    RETRY_MAX_DELAY_MS: int(60_000, 0, 86_400_000),
    FFMPEG_STALL_TIMEOUT: int(120, 1, 86_400),
    JOB_TIMEOUT_FACTOR: int(10, 1, 1000),
    JOB_TIMEOUT_MIN_SECONDS: int(300, 1, 86_400),
    REAPER_INTERVAL_SECONDS: int(5, 1, 3600),
    REQUEUE_QUEUED_AFTER_SECONDS: int(300, 5, 86_400),
    // --- transcription ---
    // Resolved into faster-whisper settings by services/worker/src/transcription-settings.ts.
    // Where scripts/whisper/install.sh keeps its venv and models; the two
    // settings below default to places inside it.
    MEDIAFLOW_CACHE_DIR: z
      .string()
      .min(1)
      .default(path.join(os.homedir(), '.cache', 'mediaflow')),
    WHISPER_PYTHON: optionalString,
    WHISPER_MODEL_DIR: optionalString,
    // A model name (a directory under WHISPER_MODEL_DIR) or an absolute path
    // to a model directory: the operator's choice, so paths are allowed here
    // and only here (a job's params.model must be a known name).
    WHISPER_MODEL: z
      .string()
      .trim()
      .default('base')
      .refine(
        (model) => path.isAbsolute(model) || (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(model) && !model.includes('..')),
        'must be a model name such as "base" or an absolute path to a model directory',
      ),
    WHISPER_COMPUTE_TYPE: z
      .enum([
        'int8',
        'int8_float32',
        'int8_float16',
        'int8_bfloat16',
        'int16',
        'float16',
        'bfloat16',
        'float32',
        'auto',
      ])
      .default('int8'),
    WHISPER_CPU_THREADS: int(os.availableParallelism(), 1, 1024),
    // 1 = greedy decoding; see DEFAULT_WHISPER_BEAM_SIZE in packages/media for the measured trade-off.
    WHISPER_BEAM_SIZE: int(1, 1, 20),
    // Of a worker's WORKER_CONCURRENCY jobs, how many may be transcriptions.
    TRANSCRIBE_CONCURRENCY: int(1, 1, 64),
    // --- end transcription ---
    // --- begin API access (services/api/src/auth) ---
    // Comma-separated `id:sha256hex[:admin]` entries; API_KEYS_FILE holds one per line.
    API_KEYS: optionalString,
    API_KEYS_FILE: optionalString,
    // Runs without authentication. Allowed, loudly, for a single-machine setup.
    AUTH_DISABLED: bool(false),
    SUBMIT_RATE_PER_MINUTE: int(60, 1, 1_000_000),
    SUBMIT_BURST: int(20, 1, 1_000_000),
    UPLOAD_RATE_PER_MINUTE: int(30, 1, 1_000_000),
    UPLOAD_BURST: int(10, 1, 1_000_000),
    MAX_ACTIVE_JOBS_PER_KEY: int(100, 1, 1_000_000),
    // Most entries a job's `sources` may list (POST /process); their sizes together stay within UPLOAD_MAX_BYTES.
    MAX_SOURCES_PER_JOB: int(50, 2, 1000),
    CORS_ORIGINS: csv,
    // --- end API access ---
    // --- begin accounts (services/api/src/accounts; README "Accounts") ---
    // Let people create accounts (POST /auth/signup); a server needs AUTH_TOKEN_SECRET (or PLAYBACK_SIGNING_SECRET) for it.
    SIGNUP_ENABLED: bool(false),
    // This email's account is admin, and no other; unset: the first account made is admin.
    ADMIN_EMAIL: optionalString,
    // HS256 key of people's access tokens, shared by every API replica. Unset: derived from PLAYBACK_SIGNING_SECRET; both unset: `npm start` generates one in DATA_DIR, a server runs without accounts.
    AUTH_TOKEN_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    // Lifetime of an access token (JWT); it stays valid this long even after sign-out, so keep it short.
    AUTH_ACCESS_TOKEN_TTL_SECONDS: int(900, 1, 86_400),
    // Lifetime of a refresh token (the mf_refresh cookie); each refresh makes a new one, so a session ends after this long unused.
    AUTH_REFRESH_TOKEN_TTL_SECONDS: int(14 * 86_400, 2, 365 * 86_400),
    // The Secure attribute of the session cookies. Browsers take Secure cookies from http://localhost and http://127.0.0.1; turn off only for plain http on another host.
    COOKIE_SECURE: bool(true),
    // --- end accounts ---
    // --- begin playback (services/api/src/playback) ---
    // HMAC-SHA256 key for /play tokens, shared by every API replica. Unset: a
    // random key per process, so a token works only on the replica that issued it.
    PLAYBACK_SIGNING_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    PLAYBACK_URL_TTL_SECONDS: int(3600, 60, 604_800),
    // proxy: the API streams every byte. redirect: segments and images answer
    // 302 to a presigned S3 URL (playlists stay proxied); local storage proxies.
    PLAYBACK_DELIVERY: z.enum(['redirect', 'proxy']).default('proxy'),
    // --- end playback ---
    // --- begin webhooks (packages/runtime/src/webhooks) ---
    // Deliver webhooks to loopback, private, link-local, CGNAT and other non-public addresses too (tests, private networks).
    WEBHOOK_ALLOW_PRIVATE: bool(false),
    // CIDRs (e.g. 10.1.0.0/16,fd00::/8) a webhook may reach although they are not public.
    WEBHOOK_ALLOWED_CIDRS: csv,
    // Run the webhook delivery loop in this process (api, worker and npm start all may; deliveries are leased).
    WEBHOOK_DISPATCHER: bool(true),
    // How often the webhook dispatcher looks for due deliveries (ms).
    WEBHOOK_POLL_INTERVAL_MS: int(1000, 50, 60_000),
    // Webhook deliveries one dispatcher leases and sends at once.
    WEBHOOK_BATCH_SIZE: int(20, 1, 500),
    // One webhook attempt's deadline: connect, send, response headers and body (ms).
    WEBHOOK_TIMEOUT_MS: int(10_000, 100, 60_000),
    // Delay before the 2nd webhook attempt (ms); each later delay doubles up to WEBHOOK_RETRY_MAX_MS, jittered to 50-100 %.
    WEBHOOK_RETRY_BASE_MS: int(5_000, 10, 3_600_000),
    // Longest delay between two webhook attempts (ms), before jitter.
    WEBHOOK_RETRY_MAX_MS: int(3_600_000, 10, 86_400_000),
    // A webhook delivery is retried until it is this old (one attempt may come after), then given up.
    WEBHOOK_RETRY_WINDOW_SECONDS: int(86_400, 1, 30 * 86_400),
    // At most one job.progress event per endpoint per job per this many seconds.
    WEBHOOK_PROGRESS_INTERVAL_SECONDS: int(10, 1, 3600),
    // Webhook endpoints one API key may register (POST /webhooks).
    WEBHOOK_MAX_ENDPOINTS_PER_KEY: int(20, 1, 1000),
    // How often each process with a dispatcher looks for finished jobs whose webhook events were never recorded (its process died in between).
    WEBHOOK_REPAIR_INTERVAL_SECONDS: int(60, 1, 3600),
    // How far back that repair sweep looks: events of jobs that finished longer ago are not repaired.
    WEBHOOK_REPAIR_LOOKBACK_SECONDS: int(3600, 60, 30 * 86_400),
    // --- end webhooks ---
    // --- begin tracing (packages/runtime/src/tracing; README "Tracing") ---
    ...tracingEnvSchema.shape,
    // --- end tracing ---
    // --- begin retention and reuse (services/worker/src/retention.ts) ---
    // Days a finished job's objects are kept, and days an upload is kept;
    // unset: forever. Fractions are allowed (0.0001 days = 8.64 s, for tests).
    OUTPUT_RETENTION_DAYS: days,
    UPLOAD_RETENTION_DAYS: days,
    // Jobs the retention sweep expires (and uploads it deletes) per pass; it runs every REAPER_INTERVAL_SECONDS.
    RETENTION_BATCH_SIZE: int(100, 1, 10_000),
    // Put S3 lifecycle rules for the retention on the buckets at worker start-up (needs s3:PutLifecycleConfiguration).
    S3_LIFECYCLE_RULES: bool(false),
    // Whose earlier results a job may reuse: the same API key's (key), anybody's (global), or none (off).
    RESULT_REUSE_SCOPE: z.enum(['key', 'global', 'off']).default('key'),
    // --- end retention and reuse ---
    // --- begin metrics (packages/runtime/src/metrics) ---
    // GET /metrics on the API's port and on each worker's listener. false: the
    // API answers 404 there and workers open no listener.
    METRICS_ENABLED: bool(true),
    // Set: a scrape must send `Authorization: Bearer <METRICS_TOKEN>` (API and
    // workers). Unset: whoever reaches the port may scrape (see README, Metrics).
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    // Each worker's listener for /metrics, /healthz and /readyz; 0: none.
    WORKER_METRICS_PORT: int(9464, 0, 65535),
    // The listener's bind address.
    WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    // --- end metrics ---
    // --- begin live events (SSE; services/api/src/events) ---
    // Single-partition Kafka topic of job state changes that every API replica reads whole; default: <KAFKA_TOPIC>.events.
    KAFKA_EVENTS_TOPIC: z.string().min(1).max(249).optional(),
    // How long the events topic keeps a change (ms): resumes older than this (or than SSE_REPLAY_EVENTS) get a fresh snapshot.
    KAFKA_EVENTS_RETENTION_MS: int(3_600_000, 60_000, 7 * 86_400_000),
    // Changes each API replica keeps in memory to replay to a client resuming with Last-Event-ID.
    SSE_REPLAY_EVENTS: int(10_000, 100, 1_000_000),
    // A `: hb` comment line on every open stream this often, so proxies keep it open.
    SSE_HEARTBEAT_SECONDS: int(15, 1, 300),
    // Lifetime of a POST /events/token token: the time a client has to connect with it.
    SSE_TOKEN_TTL_SECONDS: int(60, 5, 3600),
    // Open streams one API key may hold on one replica (429 TOO_MANY_STREAMS above it).
    SSE_MAX_STREAMS_PER_KEY: int(20, 1, 10_000),
    // Open streams one API replica serves at most (429 TOO_MANY_STREAMS above it).
    SSE_MAX_STREAMS: int(2_000, 1, 1_000_000),
    // --- end live events ---
  })
  .transform((env) => {
    const dbBackend = env.DB_BACKEND ?? (env.MONGO_URL ? 'mongodb' : env.DYNAMODB_ENDPOINT ? 'dynamodb' : 'embedded');
    const queueBackend = env.QUEUE_BACKEND ?? (env.KAFKA_BOOTSTRAP_SERVERS.length > 0 ? 'kafka' : 'memory');
    const storageBackend = env.STORAGE_BACKEND ?? (env.S3_ENDPOINT ? 's3' : 'local');
    return {
      ...env,
      DB_BACKEND: dbBackend,
      QUEUE_BACKEND: queueBackend,
      STORAGE_BACKEND: storageBackend,
      DATA_DIR: path.resolve(env.DATA_DIR),
      WORKER_ID: env.WORKER_ID ?? `${os.hostname()}-${process.pid}`,
      KAFKA_DEAD_LETTER_TOPIC: env.KAFKA_DEAD_LETTER_TOPIC ?? `${env.KAFKA_TOPIC}.dead-letter`,
      KAFKA_EVENTS_TOPIC: env.KAFKA_EVENTS_TOPIC ?? `${env.KAFKA_TOPIC}.events`,
    };
  })
  .superRefine((env, ctx) => {
    if (env.DB_BACKEND === 'mongodb' && !env.MONGO_URL) {
      ctx.addIssue({ code: 'custom', path: ['MONGO_URL'], message: 'is required when DB_BACKEND=mongodb' });
    }
    if (env.QUEUE_BACKEND === 'kafka' && env.KAFKA_BOOTSTRAP_SERVERS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_BOOTSTRAP_SERVERS'],
        message: 'is required when QUEUE_BACKEND=kafka',
      });
    }
  });

export type AppConfig = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // `VAR=` in an env file means "not set", not "set to nothing".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const name = issue.path.length > 0 ? String(issue.path[0]) : '';
    // Secrets are named, never echoed: a config error ends up in logs.
    const received = /SECRET|PASSWORD|API_KEYS|TOKEN/.test(name) ? undefined : name === '' ? undefined : env[name];
    return `${variable}: ${issue.message}${received === undefined ? '' : ` (got "${received}")`}`;
  });
  throw new ConfigError(problems);
}

/** All buckets a job's source may come from. */
export function allowedSourceBuckets(config: AppConfig): string[] {
  return [...new Set([config.INPUT_BUCKET, ...config.ALLOWED_SOURCE_BUCKETS])];
}
