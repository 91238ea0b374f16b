import express from 'express';
import type { Express } from 'express';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { allowedSourceBuckets } from '@mediaflow/domain';
import { checkWebhookUrl as checkWebhookUrlWith, metricsHandler, noMetrics, retentionMs } from '@mediaflow/runtime';
import type { Infrastructure, Metrics } from '@mediaflow/runtime';
import { errorHandler, notFoundHandler } from './http/errors';
import { accessLog } from './http/access-log';
import { httpMetrics } from './http/http-metrics';
import { bodySizeGuard, cors, securityHeaders } from './http/security-headers';
import type { ApiKeyEntry } from './auth/api-keys';
import { rateLimit, takeToken } from './auth/rate-limit';
import { requireApiKey } from './auth/require-api-key';
import { accountDeps, accountRoutes } from './accounts/account-routes';
import { PeopleAuthenticator } from './accounts/people-auth';
import { JobEventHub } from './events/event-hub';
import { JobService } from './job-service';
import { apiRoutes, apiVersion, buildOpenApiDocument, openApiRoutes } from './openapi';
import { playbackSigningKey } from './playback-token';
import { dashboardRoutes } from './routes/dashboard';
import { downloadRoutes } from './routes/download';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { jobFileRoutes, playRoutes } from './routes/job-files';
import type { JobFileDeps } from './routes/job-files';
import { jobRoutes } from './routes/jobs';
import { operationRoutes } from './routes/operations';
import { processRoutes } from './routes/process';
import { statusRoutes } from './routes/status';
import { webhookRoutes } from './routes/webhooks';
import { uploadPartRoutes, uploadRoutes } from './routes/uploads';
import { MultipartUploads } from './uploads/multipart-uploads';
import { tusUploads, TUS_PATH } from './uploads/tus-uploads';
import { uploadKeys } from './uploads/upload-tokens';

export interface AppDeps {
  config: AppConfig;
  infrastructure: Pick<Infrastructure, 'repository' | 'store' | 'publisher' | 'rateLimits'> &
    /** Absent (some test harnesses): no webhook routes, and a job's webhook_url is refused. */
    Partial<Pick<Infrastructure, 'webhooks' | 'webhookPolicy' | 'accounts'>>;
  logger: Logger;
  /** The accepted API keys; authentication is off when `authDisabled`. */
  apiKeys: readonly ApiKeyEntry[];
  authDisabled: boolean;
  /** Signs people's access tokens (see resolveAuth); absent, or without `infrastructure.accounts`: accounts are off. */
  accountTokenSecret?: Uint8Array;
  /** `ffmpeg -version` found at start-up, part of result-reuse keys; undefined turns result reuse off. */
  ffmpegVersion?: string;
  /**
   * What the process reports; GET /metrics serves it when METRICS_ENABLED
   * (before authentication: METRICS_TOKEN guards it, not the API keys).
   * Absent: nothing is counted, and /metrics serves an empty exposition.
   */
  metrics?: Metrics;
  /**
   * This replica's job-change reader for the event streams (started and
   * closed by the caller: close it before the HTTP server, it ends the
   * streams). Absent: one without a feed (snapshots and heartbeats only).
   */
  events?: JobEventHub;
}

export function createApp({
  config,
  infrastructure,
  logger,
  apiKeys,
  authDisabled,
  accountTokenSecret,
  ffmpegVersion,
  metrics,
  events,
}: AppDeps): Express {
  const { repository, store, publisher, rateLimits, webhooks, webhookPolicy, accounts } = infrastructure;
  // People's accounts (README "Accounts"); when off, their routes answer ACCOUNTS_DISABLED.
  const accountSetup = accountDeps({
    store: accounts,
    rateLimits,
    secret: accountTokenSecret,
    authDisabled,
    config,
    logger,
  });
  const people = accountSetup.deps
    ? { people: new PeopleAuthenticator(accountSetup.deps.tokens, accountSetup.deps.store) }
    : {};
  const checkWebhookUrl = webhookPolicy && (async (url: string) => checkWebhookUrlWith(url, webhookPolicy));
  const jobs = new JobService({
    repository,
    publisher,
    store,
    allowedSourceBuckets: allowedSourceBuckets(config),
    inputBucket: config.INPUT_BUCKET,
    maxActiveJobsPerOwner: config.MAX_ACTIVE_JOBS_PER_KEY,
    maxSourcesPerJob: config.MAX_SOURCES_PER_JOB,
    maxSourceBytes: config.UPLOAD_MAX_BYTES,
    logger,
    ...(checkWebhookUrl === undefined ? {} : { checkWebhookUrl }),
    ...(metrics === undefined ? {} : { metrics }),
    outputFolders: { bucket: config.OUTPUT_BUCKET, prefix: config.OUTPUT_PREFIX },
    reuse: { scope: config.RESULT_REUSE_SCOPE, ...(ffmpegVersion === undefined ? {} : { ffmpegVersion }) },
    ...(config.OUTPUT_RETENTION_DAYS === undefined
      ? {}
      : { outputRetentionMs: retentionMs(config.OUTPUT_RETENTION_DAYS) }),
    // S3 lifecycle rules expire outputs by object age (see the worker's applyLifecycleRules).
    ...(config.OUTPUT_RETENTION_DAYS !== undefined && config.S3_LIFECYCLE_RULES && config.STORAGE_BACKEND === 's3'
      ? { reuseMaxAgeMs: retentionMs(config.OUTPUT_RETENTION_DAYS) }
      : {}),
  });

  const location = { bucket: config.OUTPUT_BUCKET, prefix: config.OUTPUT_PREFIX };
  const files: JobFileDeps = {
    jobs,
    store,
    logger,
    location,
    playback: {
      signingKey: playbackSigningKey(config, logger),
      ttlSeconds: config.PLAYBACK_URL_TTL_SECONDS,
      // The local store has no presigned URLs; serveObject proxies when presignGet() declines.
      delivery: config.STORAGE_BACKEND === 's3' ? config.PLAYBACK_DELIVERY : 'proxy',
    },
  };

  const multipart = new MultipartUploads({
    store,
    keys: uploadKeys(config, logger),
    inputBucket: config.INPUT_BUCKET,
    maxBytes: config.UPLOAD_MAX_BYTES,
    partUrlTtlSeconds: config.UPLOAD_PART_URL_TTL_SECONDS,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  if (metrics) app.use(httpMetrics(metrics));
  const exposition = metrics ?? noMetrics;
  app.use(accessLog(logger));
  app.use(securityHeaders);
  if (config.CORS_ORIGINS.length > 0) app.use(cors(config.CORS_ORIGINS));
  app.use(bodySizeGuard);
  if (config.METRICS_ENABLED) {
    // Before requireApiKey: scrapers hold no API key; METRICS_TOKEN guards it when set.
    const token = config.METRICS_TOKEN === undefined ? {} : { token: config.METRICS_TOKEN };
    app.get('/metrics', metricsHandler(exposition, token));
  }
  // Public: the dashboard's page and assets hold no data; it signs in and calls the API like any client.
  app.use(dashboardRoutes());
  // Before requireApiKey: a /play URL carries its own authorisation, a signed token.
  app.use(playRoutes(files));
  // Embedded-mode part URLs carry their own authorisation too, a signed token.
  app.use(uploadPartRoutes(multipart));
  const authenticate = requireApiKey({ keys: apiKeys, disabled: authDisabled, ...people });
  // Before authenticate: an event stream also accepts ?token= (EventSource sends no headers) and checks it itself.
  app.use(
    eventRoutes({
      jobs,
      hub: events ?? new JobEventHub({ ...eventHubLimits(config), logger }),
      authenticate,
      authDisabled,
      signingKey: files.playback.signingKey,
      tokenTtlSeconds: config.SSE_TOKEN_TTL_SECONDS,
      heartbeatSeconds: config.SSE_HEARTBEAT_SECONDS,
      logger,
    }),
  );
  app.use(authenticate);
  // Submissions are charged inside POST /process once they are known valid (see processRoutes).
  const submitPolicy = { name: 'submit', perMinute: config.SUBMIT_RATE_PER_MINUTE, burst: config.SUBMIT_BURST };
  const uploadLimit = rateLimit(rateLimits, {
    name: 'upload',
    perMinute: config.UPLOAD_RATE_PER_MINUTE,
    burst: config.UPLOAD_BURST,
  });
  app.put('/uploads/:filename', uploadLimit);
  app.post('/uploads', uploadLimit);
  // Before the routes below, whose /uploads/:upload_id would otherwise take /uploads/tus; tus creation is rate-limited inside.
  app.use(TUS_PATH, tusUploads({ config, store, rateLimits, logger }));

  app.use(
    healthRoutes({
      database: async () => repository.ping(),
      queue: async () => publisher.ping(),
      storage: async () => store.ping(config.INPUT_BUCKET),
    }),
  );
  app.use(processRoutes(jobs, { charge: async (res) => takeToken(rateLimits, submitPolicy, res) }));
  app.use(statusRoutes(jobs));
  app.use(jobRoutes(jobs));
  app.use(accountRoutes(accountSetup.deps, accountSetup.why ?? ''));
  app.use(operationRoutes());
  if (webhooks && checkWebhookUrl) {
    app.use(
      webhookRoutes({
        jobs,
        store: webhooks,
        checkUrl: checkWebhookUrl,
        maxEndpointsPerKey: config.WEBHOOK_MAX_ENDPOINTS_PER_KEY,
      }),
    );
  }
  app.use(downloadRoutes(jobs, store, logger, location));
  app.use(jobFileRoutes(files));
  app.use(uploadRoutes(store, multipart, { inputBucket: config.INPUT_BUCKET, maxBytes: config.UPLOAD_MAX_BYTES }));
  app.use(openApiRoutes(buildOpenApiDocument(apiRoutes, { version: apiVersion(), apiKeyAuth: !authDisabled })));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

/** The event hub's settings from the configuration (without its feed). */
export function eventHubLimits(
  config: Pick<AppConfig, 'SSE_REPLAY_EVENTS' | 'SSE_MAX_STREAMS_PER_KEY' | 'SSE_MAX_STREAMS'>,
): { replayCapacity: number; maxStreamsPerKey: number; maxStreams: number } {
  return {
    replayCapacity: config.SSE_REPLAY_EVENTS,
    maxStreamsPerKey: config.SSE_MAX_STREAMS_PER_KEY,
    maxStreams: config.SSE_MAX_STREAMS,
  };
}
