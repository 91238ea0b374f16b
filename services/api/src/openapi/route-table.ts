/**
 * The routes an Express 5 app actually serves, read from its router stack:
 * route layers carry `route.path` and `route.methods`; routers mounted with
 * `app.use(router)` appear as layers whose `handle.stack` holds their own.
 */

export interface MountedRoute {
  method: string;
  path: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isFunctionWithStack(value: unknown): value is { stack: unknown } {
  return typeof value === 'function' && 'stack' in value;
}

function walk(stack: unknown, prefix: string, found: MountedRoute[]): void {
  if (!Array.isArray(stack)) return;
  for (const layer of stack) {
    if (!isRecord(layer)) continue;
    const route = layer.route;
    if (isRecord(route) && typeof route.path === 'string' && isRecord(route.methods)) {
      for (const [method, enabled] of Object.entries(route.methods)) {
        if (enabled === true && method !== '_all') found.push({ method, path: `${prefix}${route.path}` });
      }
      continue;
    }
    if (isFunctionWithStack(layer.handle)) {
      const mount = layer.rawPath;
      if (mount !== undefined && mount !== '/' && typeof mount !== 'string') {
        throw new Error('route table: only string mount paths are supported');
      }
      walk(layer.handle.stack, mount === undefined || mount === '/' ? prefix : `${prefix}${mount}`, found);
    }
  }
}

/** Every method + path the app routes, in Express syntax (`/status/:job_id`). */
export function mountedRoutes(app: { router: unknown }): MountedRoute[] {
  const found: MountedRoute[] = [];
  const router = app.router;
  if ((isRecord(router) || typeof router === 'function') && 'stack' in router) walk(router.stack, '', found);
  return found;
}
