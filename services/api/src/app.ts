import express from 'express';
import type { Express } from 'express';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { allowedSourceBuckets } from '@mediaflow/domain';
import type { Infrastructure } from '@mediaflow/runtime';
import { errorHandler, notFoundHandler } from './http/errors';
import { accessLog } from './http/access-log';
import { JobService } from './job-service';
import { apiRoutes, apiVersion, buildOpenApiDocument, openApiRoutes } from './openapi';
import { downloadRoutes } from './routes/download';
import { healthRoutes } from './routes/health';
import { jobRoutes } from './routes/jobs';
import { processRoutes } from './routes/process';
import { statusRoutes } from './routes/status';
import { uploadRoutes } from './routes/uploads';

export interface AppDeps {
  config: AppConfig;
  infrastructure: Pick<Infrastructure, 'repository' | 'store' | 'publisher'>;
  logger: Logger;
}

export function createApp({ config, infrastructure, logger }: AppDeps): Express {
  const { repository, store, publisher } = infrastructure;
  const jobs = new JobService({
    repository,
    publisher,
    store,
    allowedSourceBuckets: allowedSourceBuckets(config),
    logger,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(accessLog(logger));
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });

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
  app.use(downloadRoutes(jobs, store, logger));
  app.use(uploadRoutes(store, { inputBucket: config.INPUT_BUCKET, maxBytes: config.UPLOAD_MAX_BYTES }));
  // apiKeyAuth: true once the API-key middleware guards the `access: 'apiKey'` routes.
  app.use(openApiRoutes(buildOpenApiDocument(apiRoutes, { version: apiVersion(), apiKeyAuth: false })));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
