import type { PortCallMetrics } from './types';

/** What timeCalls reports for each call that returned a promise. */
export type CallObserver = (method: string, outcome: 'ok' | 'error', seconds: number) => void;

/**
 * A decorator for any port object (a repository, a rate-limit store, an
 * object store): the same object, except that every method call returning a
 * promise is timed until it settles and reported to `observe` with the
 * method's name and whether it resolved. Methods run on the original object
 * (`this` is the target), so calls a port makes on itself are not counted
 * twice and private state keeps working; `instanceof` still holds. Methods
 * that return no promise, and properties, pass through untouched.
 *
 * One wrapper for every adapter: no adapter knows it is measured.
 */
export function timeCalls<T extends object>(target: T, observe: CallObserver): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      const known = wrappers.get(property);
      if (known) return known;
      const method = value as (...args: unknown[]) => unknown;
      const wrapper = function timed(...args: unknown[]): unknown {
        const started = performance.now();
        const result = method.apply(object, args);
        if (!isPromiseLike(result)) return result;
        return result.then(
          (settled) => {
            observe(property, 'ok', (performance.now() - started) / 1000);
            return settled;
          },
          (error: unknown) => {
            observe(property, 'error', (performance.now() - started) / 1000);
            throw error;
          },
        );
      };
      wrappers.set(property, wrapper);
      return wrapper;
    },
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && 'then' in value && typeof value.then === 'function';
}

/** A database port (`store`: `jobs`, `rate_limits`) reporting each call's latency; the port itself without metrics. */
export function measuredDatabase<T extends object>(store: string, port: T, metrics: PortCallMetrics | undefined): T {
  if (!metrics) return port;
  return timeCalls(port, (method, outcome, seconds) => metrics.databaseCall(store, method, outcome, seconds));
}

/** The object-store port reporting each call's latency; the port itself without metrics. */
export function measuredStorage<T extends object>(port: T, metrics: PortCallMetrics | undefined): T {
  if (!metrics) return port;
  return timeCalls(port, (method, outcome, seconds) => metrics.storageCall(method, outcome, seconds));
}
