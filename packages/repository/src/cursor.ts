import { createHash } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';

/** Where a newest-first listing stopped: the last job returned. */
export type ListPosition = Pick<Job, 'created_at' | 'job_id'>;

/** Where a dead-letter listing stopped: the last job returned. */
export interface DeadLetterPosition {
  dead_lettered_at: string;
  job_id: string;
}

/**
 * Page cursors are opaque to clients: base64url-encoded JSON of the last
 * job's position. Both adapters use the same format, so a cursor stays
 * meaningful whichever database is behind the API.
 *
 * A listing of one owner's jobs issues cursors scoped to that owner (a hash
 * of the owner id rides along), and a cursor is accepted only by a listing
 * with the same scope: an owner's cursor is worthless to another owner and
 * to the unfiltered listing, and the other way round. The owner filter of
 * the query is what keeps other owners' jobs out; the scope makes a cursor
 * from the wrong listing fail loudly instead of paging from a foreign position.
 */
export function encodeListCursor(position: ListPosition, owner?: string): string {
  return encodePosition('created_at', position.created_at, position.job_id, owner);
}

/** Decodes a cursor from a query string, which makes it untrusted input: anything unexpected is INVALID_CURSOR. */
export function decodeListCursor(cursor: string, owner?: string): ListPosition {
  const { time, job_id } = decodePosition(cursor, 'created_at', owner);
  return { created_at: time, job_id };
}

export function encodeDeadLetterCursor(position: DeadLetterPosition): string {
  return encodePosition('dead_lettered_at', position.dead_lettered_at, position.job_id);
}

/**
 * A page of dead letters from `limit + 1` fetched jobs: the extra one only
 * tells that more follow, and the cursor points after the last job shown.
 */
export function deadLetterPage<T extends { dead_lettered_at?: string; job_id: string }>(
  fetched: readonly T[],
  limit: number,
): { jobs: T[]; next_cursor?: string } {
  const jobs = fetched.slice(0, limit);
  const last = jobs.at(-1);
  return fetched.length > limit && last?.dead_lettered_at !== undefined
    ? { jobs, next_cursor: encodeDeadLetterCursor({ dead_lettered_at: last.dead_lettered_at, job_id: last.job_id }) }
    : { jobs };
}

/** As decodeListCursor; a listing cursor is no dead-letter cursor, nor the other way round. */
export function decodeDeadLetterCursor(cursor: string): DeadLetterPosition {
  const { time, job_id } = decodePosition(cursor, 'dead_lettered_at');
  return { dead_lettered_at: time, job_id };
}

type TimeField = 'created_at' | 'dead_lettered_at';

function encodePosition(timeField: TimeField, time: string, jobId: string, owner?: string): string {
  const scope = owner === undefined ? {} : { owner: ownerScope(owner) };
  return Buffer.from(JSON.stringify({ [timeField]: time, job_id: jobId, ...scope }), 'utf8').toString('base64url');
}

/** Identifies the owner without spelling out the key id in every cursor. */
function ownerScope(owner: string): string {
  return createHash('sha256').update(owner, 'utf8').digest('base64url').slice(0, 22);
}

function decodePosition(cursor: string, timeField: TimeField, owner?: string): { time: string; job_id: string } {
  const invalid = (): AppError =>
    new AppError('INVALID_CURSOR', 'cursor is malformed or was not issued by this service');
  if (cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const record = parsed as Record<string, unknown>;
  if (Object.keys(record).length !== (owner === undefined ? 2 : 3)) throw invalid();
  if (owner !== undefined && record.owner !== ownerScope(owner)) throw invalid();
  const time = record[timeField];
  const { job_id } = record;
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) throw invalid();
  if (typeof job_id !== 'string' || job_id.length === 0) throw invalid();
  return { time, job_id };
}
