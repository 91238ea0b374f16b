import { AppError } from '@mediaflow/domain';
import { decodeListCursor, encodeListCursor } from './cursor';

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('list cursors', () => {
  it('round-trips a position as URL-safe text', () => {
    const position = { created_at: '2025-01-01T00:00:00.000Z', job_id: 'a/b+c?' };
    const cursor = encodeListCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListCursor(cursor)).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['non-base64url characters', 'abc=='],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['null', encode(null)],
    ['a string', encode('x')],
    ['an array', encode(['2025-01-01T00:00:00.000Z', 'x'])],
    ['a missing job_id', encode({ created_at: '2025-01-01T00:00:00.000Z' })],
    ['an empty job_id', encode({ created_at: '2025-01-01T00:00:00.000Z', job_id: '' })],
    ['a numeric created_at', encode({ created_at: 1, job_id: 'x' })],
    ['a created_at that is no date', encode({ created_at: 'yesterday', job_id: 'x' })],
    ['an extra field', encode({ created_at: '2025-01-01T00:00:00.000Z', job_id: 'x', skip: '1' })],
    ['excessive length', 'A'.repeat(4096)],
  ])('rejects %s with INVALID_CURSOR', (_label, cursor) => {
    let thrown: unknown;
    try {
      decodeListCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'INVALID_CURSOR', status: 400 });
  });
});
