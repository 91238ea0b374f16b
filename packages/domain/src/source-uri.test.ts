import { isAppError } from './errors';
import { assertSafeKey, parseS3Uri } from './source-uri';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isAppError(error) ? error.code : 'not an AppError';
  }
}

describe('parseS3Uri', () => {
  it('accepts ordinary keys, including non-ASCII and 255-byte segments', () => {
    expect(parseS3Uri('s3://mediaflow-input/uploads/é 😀.mp4')).toEqual({
      bucket: 'mediaflow-input',
      key: 'uploads/é 😀.mp4',
    });
    expect(codeOf(() => assertSafeKey(`a/${'b'.repeat(255)}`))).toBeUndefined();
    expect(codeOf(() => assertSafeKey(`${'é'.repeat(127)}x`))).toBeUndefined();
  });

  // These reached S3 and came back as 503 STORAGE_ERROR (the SDK cannot
  // encode a lone surrogate; a posix-backed store refuses names > 255 bytes).
  it.each([
    ['a lone high surrogate', 'uploads/\ud800.mp4'],
    ['a lone low surrogate', '\udfffx'],
    ['a segment over 255 bytes', `uploads/${'a'.repeat(256)}`],
    ['a segment over 255 bytes in UTF-8', 'é'.repeat(128)],
  ])('refuses a key with %s as INVALID_SOURCE', (_label, key) => {
    expect(codeOf(() => parseS3Uri(`s3://mediaflow-input/${key}`))).toBe('INVALID_SOURCE');
  });
});
