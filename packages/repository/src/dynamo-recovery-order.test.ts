import { queuedRanges, queuedSortKey } from './dynamo-recovery-order';
import type { QueuedRange } from './dynamo-recovery-order';

/** Evaluates a range's key condition the way DynamoDB compares strings. */
function inRange(range: QueuedRange, key: string): boolean {
  if (key === range.exclude) return false;
  const { ':from': from, ':to': to } = range.values;
  if (range.condition.includes('BETWEEN')) return from <= key && key <= to;
  if (range.condition.includes('<=')) return key <= to;
  if (range.condition.includes('>=')) return key >= from;
  throw new Error(`unexpected condition ${range.condition}`);
}

describe('queued sort keys', () => {
  const now = '2025-06-01T12:00:00.000Z';
  const keys = {
    unpublished: queuedSortKey({ needs_publish: true, queuedAt: '2025-06-01T11:59:00.000Z' }),
    unpublishedRetry: queuedSortKey({ needs_publish: true, retry_at: '2025-06-02T00:00:00.000Z', queuedAt: now }),
    overdueRetry: queuedSortKey({ retry_at: '2025-06-01T11:00:00.000Z', queuedAt: now }),
    retryDueNow: queuedSortKey({ retry_at: now, queuedAt: now }),
    oldWaiting: queuedSortKey({ queuedAt: '2025-01-01T00:00:00.000Z' }),
    newWaiting: queuedSortKey({ queuedAt: '2025-06-01T11:30:00.000Z' }),
    // A queued job as earlier versions stored it: a bare creation time.
    legacy: '2024-12-31T00:00:00.000Z',
    laterRetry: queuedSortKey({ retry_at: '2025-06-01T12:00:00.001Z', queuedAt: now }),
  };

  it('puts every queued job in exactly one range, in recovery order', () => {
    const ranges = queuedRanges(now);
    const sorted = Object.entries(keys).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
    const read = ranges.flatMap((range) => sorted.filter(([, key]) => inRange(range, key)).map(([name]) => name));
    expect(read).toEqual([
      'unpublished',
      'unpublishedRetry',
      'overdueRetry',
      'retryDueNow',
      'oldWaiting',
      'newWaiting',
      'legacy',
      'laterRetry',
    ]);
  });
});
