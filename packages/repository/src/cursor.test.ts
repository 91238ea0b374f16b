import { AppError } from '@mediaflow/domain';
import { decodeDeadLetterCursor, decodeListCursor, encodeDeadLetterCursor, encodeListCursor } from './cursor';

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

describe('dead-letter cursors', () => {
  it('round-trips a position', () => {
    const position = { dead_lettered_at: '2025-01-01T00:00:00.000Z', job_id: 'x' };
    expect(decodeDeadLetterCursor(encodeDeadLetterCursor(position))).toEqual(position);
  });

  it('does not accept a listing cursor, nor a listing cursor a dead-letter one', () => {
    const listCursor = encodeListCursor({ created_at: '2025-01-01T00:00:00.000Z', job_id: 'x' });
    const deadLetterCursor = encodeDeadLetterCursor({ dead_lettered_at: '2025-01-01T00:00:00.000Z', job_id: 'x' });
    expect(() => decodeDeadLetterCursor(listCursor)).toThrow(AppError);
    expect(() => decodeListCursor(deadLetterCursor)).toThrow(AppError);
  });
});

describe('owner-scoped list cursors', () => {
  const position = { created_at: '2025-01-01T00:00:00.000Z', job_id: 'job-1' };

  it('round-trips for the same owner', () => {
    const cursor = encodeListCursor(position, 'key-a');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListCursor(cursor, 'key-a')).toEqual(position);
  });

  it('does not spell out the owner id', () => {
    const cursor = encodeListCursor(position, 'key-a-secretive-name');
    expect(Buffer.from(cursor, 'base64url').toString('utf8')).not.toContain('key-a-secretive-name');
  });

  it.each([
    ['another owner', encodeListCursor(position, 'key-a'), 'key-b'],
    ['the unfiltered listing', encodeListCursor(position, 'key-a'), undefined],
    ['an owner, when it came from the unfiltered listing', encodeListCursor(position), 'key-a'],
    ['an owner, when forged with a raw owner id', encode({ ...position, owner: 'key-a' }), 'key-a'],
  ])('is rejected by %s', (_label, cursor, owner) => {
    let thrown: unknown;
    try {
      decodeListCursor(cursor, owner);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_CURSOR' });
  });

  it('is no dead-letter cursor', () => {
    expect(() => decodeDeadLetterCursor(encodeListCursor(position, 'key-a'))).toThrow(AppError);
  });
});
