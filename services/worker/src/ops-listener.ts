import type { AppConfig, Logger } from '@mediaflow/domain';
import { errorMessage } from '@mediaflow/domain';
import { createConsumerLag } from '@mediaflow/queue';
import { startOpsServer } from '@mediaflow/runtime';
import type { Infrastructure, Metrics } from '@mediaflow/runtime';

export interface WorkerListener {
  /** The port bound; undefined when there is no listener. */
  port: number | undefined;
  close(): Promise<void>;
}

/**
 * A worker's operator listener on WORKER_METRICS_HOST:WORKER_METRICS_PORT:
 * GET /metrics (when METRICS_ENABLED; METRICS_TOKEN guards it as on the
 * API), /healthz and /readyz (database, queue, storage, as the API checks
 * them). Kafka's consumer lag is read at each scrape. Port 0: none.
 *
 * A port already taken (several workers on one host with the default port)
 * does not stop the worker: it logs an error naming WORKER_METRICS_PORT and
 * runs without the listener, since jobs matter more than their metrics.
 */
export async function startWorkerListener(deps: {
  config: AppConfig;
  logger: Logger;
  infrastructure: Pick<Infrastructure, 'repository' | 'publisher' | 'store'>;
  metrics: Metrics;
}): Promise<WorkerListener> {
  const { config, logger, infrastructure, metrics } = deps;
  const none: WorkerListener = { port: undefined, close: async () => Promise.resolve() };
  if (config.WORKER_METRICS_PORT === 0) return none;
  const lag = config.METRICS_ENABLED ? createConsumerLag(config, logger) : undefined;
  if (lag) metrics.watchConsumerLag(lag);
  try {
    const server = await startOpsServer({
      port: config.WORKER_METRICS_PORT,
      host: config.WORKER_METRICS_HOST,
      ...(config.METRICS_ENABLED ? { metrics } : {}),
      ...(config.METRICS_TOKEN === undefined ? {} : { token: config.METRICS_TOKEN }),
      readiness: {
        database: async () => infrastructure.repository.ping(),
        queue: async () => infrastructure.publisher.ping(),
        storage: async () => infrastructure.store.ping(config.INPUT_BUCKET),
      },
    });
    logger.info('metrics listener ready', { port: server.port, metrics: config.METRICS_ENABLED });
    return {
      port: server.port,
      close: async () => {
        await server.close();
        await lag?.close();
      },
    };
  } catch (error) {
    logger.error('metrics listener not started; set WORKER_METRICS_PORT to a free port, or 0 for none', {
      error: errorMessage(error),
    });
    await lag?.close();
    return none;
  }
}
