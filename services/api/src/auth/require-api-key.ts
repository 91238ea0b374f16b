import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '@mediaflow/domain';
import { apiRoutes } from '../openapi/routes';
import { authenticate } from './api-keys';
import type { ApiKeyEntry, BearerAuthenticator, Principal } from './api-keys';

/** Who every request runs as when authentication is switched off. */
export const ANONYMOUS_ADMIN: Principal = { keyId: 'anonymous', admin: true };

// The route registry is the one place that says which routes are public.
const PUBLIC_ROUTES = new Set(
  apiRoutes.filter((route) => route.access === 'public').map((route) => `${route.method.toUpperCase()} ${route.path}`),
);

export function isPublicRoute(method: string, path: string): boolean {
  const verb = method === 'HEAD' ? 'GET' : method;
  return PUBLIC_ROUTES.has(`${verb} ${path}`);
}

/**
 * Requires `Authorization: Bearer <credential>` on everything but the public
 * routes (health checks, docs, the accounts' sign-in routes): a configured
 * API key, or, through `people`, a person's access token (JWT) or API key.
 */
export function requireApiKey(options: {
  keys: readonly ApiKeyEntry[];
  disabled: boolean;
  /** People's credentials; absent: only configured keys authenticate. */
  people?: BearerAuthenticator;
}): RequestHandler {
  const identify = async (header: string): Promise<Principal> => {
    const match = /^Bearer ([\x21-\x7e]{1,2048})$/.exec(header);
    // Configured keys first, always compared in full (constant time); then people's credentials.
    const principal = match
      ? (authenticate(match[1], options.keys) ?? (await options.people?.authenticate(match[1])))
      : undefined;
    if (principal) return principal;
    throw new AppError(
      'UNAUTHORIZED',
      match
        ? 'the API key or access token is not valid (an access token expires: refresh it at POST /auth/refresh)'
        : 'an API key or access token is required (Authorization: Bearer <key or token>)',
    );
  };
  // Never throws nor returns a promise: callers may invoke it as a plain function (the event routes do).
  return (req, res, next) => {
    if (options.disabled) {
      res.locals.principal = ANONYMOUS_ADMIN;
      next();
      return;
    }
    if (isPublicRoute(req.method, req.path)) {
      next();
      return;
    }
    identify(req.get('authorization') ?? '').then(
      (principal) => {
        res.locals.principal = principal;
        next();
      },
      (error: unknown) => {
        if (error instanceof AppError && error.code === 'UNAUTHORIZED') {
          res.set('WWW-Authenticate', 'Bearer realm="mediaflow"');
        }
        next(error);
      },
    );
  };
}

export function principalOf(res: Response): Principal {
  const principal: unknown = res.locals.principal;
  if (!principal || typeof principal !== 'object') {
    // Every protected route runs behind requireApiKey; reaching here is a wiring bug.
    throw new Error('no principal on a protected route');
  }
  return principal as Principal;
}

export function requireAdmin(_req: Request, res: Response, next: () => void): void {
  if (!principalOf(res).admin) throw new AppError('FORBIDDEN', 'this endpoint needs an admin key');
  next();
}
