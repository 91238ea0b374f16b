import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '@mediaflow/domain';
import type { Metrics } from './types';

export interface MetricsEndpointOptions {
  /**
   * When set, a scrape must carry `Authorization: Bearer <token>`
   * (METRICS_TOKEN); otherwise 401. Unset: anyone who reaches the port may scrape.
   */
  token?: string;
}

/**
 * GET /metrics as a plain Node handler (Express takes it as is): the
 * exposition in Prometheus text format, 401 without the bearer token when
 * one is configured, 500 with a one-line message if collecting fails.
 */
export function metricsHandler(
  metrics: Pick<Metrics, 'render'>,
  options: MetricsEndpointOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`, 'utf8');
  return (req, res) => {
    if (expected && !sameSecret(req.headers.authorization, expected)) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="metrics"' });
      res.end('metrics need Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`could not collect metrics: ${errorMessage(error)}\n`);
      },
    );
  };
}

function sameSecret(presented: string | undefined, expected: Buffer): boolean {
  if (presented === undefined) return false;
  const given = Buffer.from(presented, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type ReadinessCheck = () => Promise<void>;

export interface OpsServerOptions extends MetricsEndpointOptions {
  port: number;
  host: string;
  /** Absent: /metrics is a 404 (METRICS_ENABLED=false), while health stays served. */
  metrics?: Pick<Metrics, 'render'>;
  /** What GET /readyz checks, by name; each gets READINESS_TIMEOUT_MS. */
  readiness: Record<string, ReadinessCheck>;
}

export interface OpsServer {
  /** The port bound (the one asked for, or the one the OS chose for 0 in tests). */
  port: number;
  close(): Promise<void>;
}

const READINESS_TIMEOUT_MS = 3_000;

/**
 * A worker's small HTTP listener for operators: GET /metrics (as
 * metricsHandler), GET /healthz (the process answers) and GET /readyz (200
 * when every check passes, else 503 naming what is down: the same shape as
 * the API's). Anything else is a 404. It serves no client data.
 *
 * @throws the listen error (EADDRINUSE, EACCES) with the port in its message.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const scrape = options.metrics ? metricsHandler(options.metrics, options) : undefined;
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'only GET' } });
    } else if (path === '/metrics' && scrape) {
      scrape(req, res);
    } else if (path === '/healthz') {
      json(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      void readiness(options.readiness).then(({ ready, checks }) =>
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', checks }),
      );
    } else {
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'try /metrics, /healthz or /readyz' } });
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new Error(`metrics listener on ${options.host}:${options.port}: ${error.message}`, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function readiness(
  checks: Record<string, ReadinessCheck>,
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const names = Object.keys(checks);
  const results = await Promise.allSettled(
    names.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)),
          READINESS_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([checks[name](), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report: Record<string, string> = {};
  results.forEach((result, index) => {
    report[names[index]] = result.status === 'fulfilled' ? 'ok' : `down: ${errorMessage(result.reason)}`;
  });
  return { ready: results.every((result) => result.status === 'fulfilled'), checks: report };
}
