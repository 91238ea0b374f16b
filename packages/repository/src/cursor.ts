import { AppError } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';

/** Where a newest-first listing stopped: the last job returned. */
export type ListPosition = Pick<Job, 'created_at' | 'job_id'>;

const FIELDS = ['created_at', 'job_id'] as const;

/**
 * Page cursors are opaque to clients: base64url-encoded JSON of the last
 * job's position. Both adapters use the same format, so a cursor stays
 * meaningful whichever database is behind the API.
 */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ created_at: position.created_at, job_id: position.job_id }), 'utf8').toString(
    'base64url',
  );
}

/** Decodes a cursor from a query string, which makes it untrusted input: anything unexpected is INVALID_CURSOR. */
export function decodeListCursor(cursor: string): ListPosition {
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
  if (Object.keys(record).length !== FIELDS.length) throw invalid();
  const { created_at, job_id } = record;
  if (typeof created_at !== 'string' || Number.isNaN(Date.parse(created_at))) throw invalid();
  if (typeof job_id !== 'string' || job_id.length === 0) throw invalid();
  return { created_at, job_id };
}
