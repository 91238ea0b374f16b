import type { RequestHandler } from 'express';
import { AppError } from '@mediaflow/domain';

/** Helmet-style defaults for a JSON API: nothing here is meant to be framed, sniffed or scripted. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-site',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  });
  next();
};

/**
 * CORS is off unless origins are configured; then only those origins are
 * allowed. Players on those origins fetch /play URLs with GET or HEAD and a
 * `Range` header, and read Content-Range, Content-Length and Accept-Ranges.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    // On every response, allowed origin or not: /play responses are publicly
    // cacheable, and a cache must not hand one origin's answer to another.
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin && allowed.has(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Idempotency-Key, Range',
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, OPTIONS',
        'Access-Control-Expose-Headers':
          'Content-Range, Content-Length, Accept-Ranges, Content-Disposition, Retry-After, Location, ' +
          'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy',
        // Players preflight every ranged request; ten minutes spares most of those round trips.
        'Access-Control-Max-Age': '600',
      });
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

const BODY_ROUTES = new Set(['POST /process', 'POST /dead-letters/replay', 'POST /uploads']);
/** Methods that carry file bytes under /uploads/: streamed PUT, parts, tus PATCH and creation-with-upload. */
const UPLOAD_BODY_METHODS = new Set(['PUT', 'PATCH', 'POST']);
const SMALL_BODY_LIMIT = 64 * 1024;

/**
 * Routes other than uploads take small JSON bodies or none. A request that
 * announces a larger body is refused before anything reads it.
 */
export const bodySizeGuard: RequestHandler = (req, _res, next) => {
  // Their handlers enforce their own limits (UPLOAD_MAX_BYTES, part sizes, 1 MiB completion bodies).
  if (UPLOAD_BODY_METHODS.has(req.method) && req.path.startsWith('/uploads/')) {
    next();
    return;
  }
  const declared = Number(req.get('content-length') ?? '0');
  const limit = BODY_ROUTES.has(`${req.method} ${req.path}`) ? SMALL_BODY_LIMIT : 1024;
  if (!Number.isFinite(declared) || declared > limit) {
    throw new AppError('PAYLOAD_TOO_LARGE', `request body larger than ${limit} bytes`);
  }
  next();
};
