import { createRequire } from 'node:module';
import { isKafkajsNegativeTimeoutWarning } from './kafka-warnings';

interface RequestQueueLike {
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

const requireFromHere = createRequire(__filename);
const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** kafkajs's own request queue, as a broker connection makes it. */
function kafkajsRequestQueue(): RequestQueueLike {
  const RequestQueue = requireFromHere('kafkajs/src/network/requestQueue') as new (
    options: Record<string, unknown>,
  ) => RequestQueueLike;
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: { namespace: () => silentLogger },
  });
}

/** The delays setTimeout is called with during `run`, each with the stack of its caller (where Node would warn). */
function timersDuring(run: () => void): { delay: number; stack: string }[] {
  const calls: { delay: number; stack: string }[] = [];
  const real = global.setTimeout;
  const spy = jest.spyOn(global, 'setTimeout').mockImplementation((handler: () => void, delay?: number) => {
    calls.push({ delay: delay ?? 0, stack: new Error().stack ?? '' });
    return real(handler, 0);
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return calls;
}

describe('the TimeoutNegativeWarning of kafkajs', () => {
  it('comes from its request queue scheduling a check at throttledUntil (-1) minus now, and only that one is dropped', () => {
    const queue = kafkajsRequestQueue();
    const calls = timersDuring(() => queue.scheduleCheckPendingRequests());
    queue.destroy();
    expect(calls).toHaveLength(1);
    // About -1.8e12: Node 24 clamps it to 1 ms and warns.
    expect(calls[0].delay).toBeLessThan(-1_000_000_000_000);
    expect(isKafkajsNegativeTimeoutWarning('TimeoutNegativeWarning', calls[0].stack)).toBe(true);

    // The same warning from anywhere else, and other warnings from kafkajs, still show.
    expect(isKafkajsNegativeTimeoutWarning('TimeoutNegativeWarning', new Error().stack ?? '')).toBe(false);
    expect(isKafkajsNegativeTimeoutWarning('DeprecationWarning', calls[0].stack)).toBe(false);
  });
});
