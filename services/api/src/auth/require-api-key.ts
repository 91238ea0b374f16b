import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '@mediaflow/domain';
import { apiRoutes } from '../openapi/routes';
import { authenticate } from './api-keys';
import type { ApiKeyEntry, Principal } from './api-keys';

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

/** Requires `Authorization: Bearer <key>` on everything but health checks and docs. */
export function requireApiKey(options: { keys: readonly ApiKeyEntry[]; disabled: boolean }): RequestHandler {
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
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    const principal = match ? authenticate(match[1], options.keys) : undefined;
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer realm="mediaflow"');
      throw new AppError(
        'UNAUTHORIZED',
        match ? 'the API key is not valid' : 'an API key is required (Authorization: Bearer <key>)',
      );
    }
    res.locals.principal = principal;
    next();
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
