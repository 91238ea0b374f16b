import { measuredDatabase, timeCalls } from './timed-port';
import type { PortCallMetrics } from './types';

abstract class Port {
  abstract get(id: string): Promise<string>;
}

class Adapter extends Port {
  #secret = 'inside';
  calls = 0;

  async get(id: string): Promise<string> {
    this.calls += 1;
    if (id === 'missing') return Promise.reject(new Error('no such thing'));
    return Promise.resolve(`${id}:${this.#secret}`);
  }

  /** Calls itself: the inner call must not be counted again. */
  async getTwice(id: string): Promise<string[]> {
    return [await this.get(id), await this.get(id)];
  }

  label(): string {
    return this.#secret;
  }
}

describe('timeCalls', () => {
  it('times every call that returns a promise, by method and outcome', async () => {
    const seen: Array<[string, string]> = [];
    const port = timeCalls(new Adapter(), (method, outcome, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      seen.push([method, outcome]);
    });
    await expect(port.get('a')).resolves.toBe('a:inside');
    await expect(port.get('missing')).rejects.toThrow('no such thing');
    await expect(port.getTwice('b')).resolves.toEqual(['b:inside', 'b:inside']);
    expect(seen).toEqual([
      ['get', 'ok'],
      ['get', 'error'],
      ['getTwice', 'ok'],
    ]);
  });

  it('leaves the object as it was: private state, plain methods, properties, instanceof', () => {
    const seen: string[] = [];
    const adapter = new Adapter();
    const port = timeCalls(adapter, (method) => seen.push(method));
    expect(port.label()).toBe('inside');
    expect(port).toBeInstanceOf(Port);
    // One wrapper per method, not one per access.
    expect(Reflect.get(port, 'get')).toBe(Reflect.get(port, 'get'));
    void port.get('x');
    expect(port.calls).toBe(1);
    expect(adapter.calls).toBe(1);
    expect(seen).toEqual([]);
  });

  it('reports database calls under their store', async () => {
    const calls: unknown[][] = [];
    const metrics: PortCallMetrics = {
      databaseCall: (...args) => calls.push(args),
      storageCall: () => undefined,
    };
    await measuredDatabase('jobs', new Adapter(), metrics).get('a');
    expect(calls).toEqual([['jobs', 'get', 'ok', expect.any(Number)]]);
    const bare = new Adapter();
    expect(measuredDatabase('jobs', bare, undefined)).toBe(bare);
  });
});
