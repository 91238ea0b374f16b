/**
 * Sort keys of queued jobs in the `by_status` index, which decide the order
 * in which recovery sees them. One timestamp for all queued jobs would let a
 * long backlog of ordinary jobs (which have their queue message) hide the few
 * that certainly lack one, so queued jobs fall into tiers, each sorted by
 * its own time:
 *
 *   `0#<flagged at>`  needs_publish: stored, but the message may never have gone out
 *   `1#<retry_at>`    released for a retry: due once retry_at has passed
 *   `2#<queued at>`   everything else, longest waiting first
 *
 * '#' sorts before every digit, so tables written by earlier versions, whose
 * queued jobs carry a bare creation time (`2025-…`), sort those behind tier 2
 * and recovery still finds them (the `waiting` range below covers both).
 * Processing jobs keep a bare lease expiry in their own partition.
 */
const PUBLISH = '0#';
const RETRY = '1#';
const WAITING = '2#';

export interface QueuedState {
  needs_publish?: boolean;
  retry_at?: string;
  /** When the job entered the queue or was last published. */
  queuedAt: string;
}

export function queuedSortKey(state: QueuedState): string {
  if (state.needs_publish) return `${PUBLISH}${state.queuedAt}`;
  if (state.retry_at !== undefined) return `${RETRY}${state.retry_at}`;
  return `${WAITING}${state.queuedAt}`;
}

/** A sort-key range of the queued partition, as part of a KeyConditionExpression on `lease_sort`. */
export interface QueuedRange {
  condition: string;
  values: Record<string, string>;
  /** A key the range includes but an earlier range already returned. */
  exclude?: string;
}

/** The ranges recovery reads, in this order. */
export function queuedRanges(now: string): QueuedRange[] {
  const dueNow = `${RETRY}${now}`;
  return [
    // needs_publish, then the retries due by now, earliest first.
    { condition: 'lease_sort <= :to', values: { ':to': dueNow } },
    // Ordinary queued jobs, and the bare creation times of earlier versions.
    { condition: 'lease_sort >= :from', values: { ':from': WAITING.slice(0, 1) } },
    // Retries not yet due. '$' follows '#', so '1$' bounds tier 1; BETWEEN includes dueNow, read above already.
    { condition: 'lease_sort BETWEEN :from AND :to', values: { ':from': dueNow, ':to': '1$' }, exclude: dueNow },
  ];
}
