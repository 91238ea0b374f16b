import { AppError } from '@mediaflow/domain';

/**
 * Page cursors are opaque to clients: base64url-encoded JSON. Decoding treats
 * the text as untrusted input, since it comes straight from a query string.
 */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Returns the decoded object only when every expected field is a non-empty string and nothing else is present. */
export function decodeCursor<K extends string>(cursor: string, fields: readonly K[]): Record<K, string> {
  const invalid = (): AppError => new AppError('INVALID_CURSOR', 'cursor is malformed or was not issued by this service');
  if (cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  if (entries.length !== fields.length) throw invalid();
  const position: Partial<Record<K, string>> = {};
  for (const field of fields) {
    const value: unknown = (parsed as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value.length === 0) throw invalid();
    position[field] = value;
  }
  return position as Record<K, string>;
}
