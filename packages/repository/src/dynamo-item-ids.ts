/**
 * The jobs table also holds items that are no jobs, told apart by their id:
 * idempotency reservations, rate-limit buckets, and bookkeeping markers.
 * None carries an index key, so only a lookup by id can meet them.
 */
export const IDEMPOTENCY_PREFIX = 'idem#';
export const RATE_LIMIT_PREFIX = 'rate#';
/** Markers such as the table rebuild's and the active-owner backfill's. */
export const MARKER_PREFIX = '#';

const RESERVED_PREFIXES = [IDEMPOTENCY_PREFIX, RATE_LIMIT_PREFIX, MARKER_PREFIX];

/** Whether an id may name a job; job ids from the API are UUIDs, which never collide with these. */
export function isJobId(id: string): boolean {
  return !RESERVED_PREFIXES.some((prefix) => id.startsWith(prefix));
}
