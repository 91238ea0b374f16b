import { formatContentRange, parseRangeHeader } from './range';

describe('parseRangeHeader', () => {
  const size = 1000;

  it('ignores a missing or empty header', () => {
    expect(parseRangeHeader(undefined, size)).toBeUndefined();
    expect(parseRangeHeader('', size)).toBeUndefined();
  });

  it('reads a closed range', () => {
    expect(parseRangeHeader('bytes=0-99', size)).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=100-199', size)).toEqual({ start: 100, end: 199 });
    expect(parseRangeHeader('bytes=999-999', size)).toEqual({ start: 999, end: 999 });
  });

  it('reads an open-ended range to the last byte', () => {
    expect(parseRangeHeader('bytes=100-', size)).toEqual({ start: 100, end: 999 });
    expect(parseRangeHeader('bytes=0-', size)).toEqual({ start: 0, end: 999 });
  });

  it('reads a suffix range as the final bytes', () => {
    expect(parseRangeHeader('bytes=-500', size)).toEqual({ start: 500, end: 999 });
    expect(parseRangeHeader('bytes=-1', size)).toEqual({ start: 999, end: 999 });
  });

  it('serves the whole body for a suffix longer than the representation', () => {
    expect(parseRangeHeader('bytes=-5000', size)).toEqual({ start: 0, end: 999 });
  });

  it('clamps an end past the last byte', () => {
    expect(parseRangeHeader('bytes=900-5000', size)).toEqual({ start: 900, end: 999 });
    expect(parseRangeHeader('bytes=0-99999999999999999999999', size)).toEqual({ start: 0, end: 999 });
  });

  it('is unsatisfiable when the range starts at or past the end', () => {
    expect(parseRangeHeader('bytes=1000-', size)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=1000-1100', size)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=99999999999999999999-', size)).toBe('unsatisfiable');
  });

  it('is unsatisfiable for a zero-length suffix', () => {
    expect(parseRangeHeader('bytes=-0', size)).toBe('unsatisfiable');
  });

  it('is unsatisfiable for any range of an empty representation', () => {
    expect(parseRangeHeader('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=0-10', 0)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=-10', 0)).toBe('unsatisfiable');
  });

  it('treats the unit case-insensitively and tolerates surrounding whitespace', () => {
    expect(parseRangeHeader('Bytes=0-9', size)).toEqual({ start: 0, end: 9 });
    expect(parseRangeHeader('  bytes=0-9 ', size)).toEqual({ start: 0, end: 9 });
  });

  it('serves the whole body for several ranges', () => {
    expect(parseRangeHeader('bytes=0-99,200-299', size)).toBeUndefined();
    expect(parseRangeHeader('bytes=0-99, -100', size)).toBeUndefined();
  });

  it.each([
    'bytes=-',
    'bytes=',
    'bytes=abc-def',
    'bytes=1-2-3',
    'bytes=+1-2',
    'bytes=1.5-2',
    'bytes = 0-99',
    'items=0-99',
    '0-99',
    'bytes=200-100',
  ])('ignores the invalid header %p', (header) => {
    expect(parseRangeHeader(header, size)).toBeUndefined();
  });
});

describe('formatContentRange', () => {
  it('names the range and the full size', () => {
    expect(formatContentRange({ start: 0, end: 99 }, 1000)).toBe('bytes 0-99/1000');
  });
});
