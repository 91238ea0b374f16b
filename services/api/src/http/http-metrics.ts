import type { Request, RequestHandler } from 'express';
import type { HttpMetrics } from '@mediaflow/runtime';

/** The route label of requests no route matched (404s, and refusals before routing such as a 401). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The request's route as a bounded label: the Express route pattern it
 * matched (`/status/:job_id`, `/play/:token/*path`), never the raw path, so
 * ids and tokens never become label values. A mounted sub-application
 * without routes of its own (tus) is `<mount path>/*`.
 */
export function routeLabel(req: Request): string {
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') {
    return `${req.baseUrl}${route.path}`;
  }
  return req.baseUrl ? `${req.baseUrl}/*` : UNMATCHED_ROUTE;
}

/** Counts and times every request once its response is finished (or its connection closed first). */
export function httpMetrics(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      metrics.httpRequest({
        method: req.method,
        route: routeLabel(req),
        statusCode: res.statusCode,
        seconds: (performance.now() - started) / 1000,
      });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
