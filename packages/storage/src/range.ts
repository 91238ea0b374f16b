import type { ByteRange } from './object-store';

const SINGLE_BYTE_RANGE = /^bytes=(\d*)-(\d*)$/i;

/**
 * Reads a `Range` request header for a representation of `size` bytes
 * (RFC 9110 §14.1.2, §14.2). Only a single byte range is honoured: a
 * multi-range request, a unit other than bytes or bad syntax yield
 * `undefined`, which the RFC lets a server answer with the whole body (200).
 * `'unsatisfiable'` means 416: the range starts at or past the end.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = SINGLE_BYTE_RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;

  if (first === '') {
    // Suffix range: the final N bytes. A zero-length suffix selects nothing.
    const suffixLength = Number(last);
    if (suffixLength === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffixLength), end: size - 1 };
  }

  const start = Number(first);
  // A last position before the first makes the header invalid, so it is ignored.
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** The value of a `Content-Range` header for a served range. */
export function formatContentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
