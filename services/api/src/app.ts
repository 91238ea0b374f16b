import express from 'express';
import type { Express } from 'express';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { allowedSourceBuckets } from '@mediaflow/domain';
import type { Infrastructure } from '@mediaflow/runtime';
import { errorHandler, notFoundHandler } from './http/errors';
import { accessLog } from './http/access-log';
import { bodySizeGuard, cors, securityHeaders } from './http/security-headers';
import type { ApiKeyEntry } from './auth/api-keys';
import { rateLimit } from './auth/rate-limit';
import { requireApiKey } from './auth/require-api-key';
import { JobService } from './job-service';
import { apiRoutes, apiVersion, buildOpenApiDocument, openApiRoutes } from './openapi';
import { playbackSigningKey } from './playback-token';
import { downloadRoutes } from './routes/download';
import { healthRoutes } from './routes/health';
import { jobFileRoutes, playRoutes } from './routes/job-files';
import type { JobFileDeps } from './routes/job-files';
import { jobRoutes } from './routes/jobs';
import { processRoutes } from './routes/process';
import { statusRoutes } from './routes/status';
import { uploadRoutes } from './routes/uploads';

export interface AppDeps {
  config: AppConfig;
  infrastructure: Pick<Infrastructure, 'repository' | 'store' | 'publisher' | 'rateLimits'>;
  logger: Logger;
  /** The accepted API keys; authentication is off when `authDisabled`. */
  apiKeys: readonly ApiKeyEntry[];
  authDisabled: boolean;
}

export function createApp({ config, infrastructure, logger, apiKeys, authDisabled }: AppDeps): Express {
  const { repository, store, publisher, rateLimits } = infrastructure;
  const jobs = new JobService({
    repository,
    publisher,
    store,
    allowedSourceBuckets: allowedSourceBuckets(config),
    maxActiveJobsPerOwner: config.MAX_ACTIVE_JOBS_PER_KEY,
    logger,
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

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(accessLog(logger));
  app.use(securityHeaders);
  if (config.CORS_ORIGINS.length > 0) app.use(cors(config.CORS_ORIGINS));
  app.use(bodySizeGuard);
  // Before requireApiKey: a /play URL carries its own authorisation, a signed token.
  app.use(playRoutes(files));
  app.use(requireApiKey({ keys: apiKeys, disabled: authDisabled }));
  app.post(
    '/process',
    rateLimit(rateLimits, { name: 'submit', perMinute: config.SUBMIT_RATE_PER_MINUTE, burst: config.SUBMIT_BURST }),
  );
  app.put(
    '/uploads/:filename',
    rateLimit(rateLimits, { name: 'upload', perMinute: config.UPLOAD_RATE_PER_MINUTE, burst: config.UPLOAD_BURST }),
  );

  app.use(
    healthRoutes({
      database: async () => repository.ping(),
      queue: async () => publisher.ping(),
      storage: async () => store.ping(config.INPUT_BUCKET),
    }),
  );
  app.use(processRoutes(jobs));
  app.use(statusRoutes(jobs));
  app.use(jobRoutes(jobs));
  app.use(downloadRoutes(jobs, store, logger, location));
  app.use(jobFileRoutes(files));
  app.use(uploadRoutes(store, { inputBucket: config.INPUT_BUCKET, maxBytes: config.UPLOAD_MAX_BYTES }));
  app.use(openApiRoutes(buildOpenApiDocument(apiRoutes, { version: apiVersion(), apiKeyAuth: !authDisabled })));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
