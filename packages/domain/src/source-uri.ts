import { AppError } from './errors';

export interface ObjectRef {
  bucket: string;
  key: string;
}

// S3 bucket naming rules (lower-case, digits, dots, hyphens; 3-63 chars).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_KEY_BYTES = 1024;
// Each segment becomes a file or directory name in filesystem-backed stores
// (local disk, posix S3 gateways), whose names stop at 255 bytes.
const MAX_SEGMENT_BYTES = 255;
// A UTF-16 surrogate without its partner: no UTF-8 encoding, so no S3 key.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses an `s3://bucket/key` URI. Anything else is refused: local paths and
 * other schemes would let a caller make the worker read arbitrary files and
 * serve them back through /download.
 */
export function parseS3Uri(uri: string): ObjectRef {
  if (!uri.startsWith('s3://')) {
    throw new AppError('INVALID_SOURCE', 'source must be an s3://bucket/key URI');
  }
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    throw new AppError('INVALID_SOURCE', 'source must name both a bucket and a key');
  }
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  assertSafeKey(key);
  if (!BUCKET_PATTERN.test(bucket)) {
    throw new AppError('INVALID_SOURCE', 'source bucket name is not valid');
  }
  return { bucket, key };
}

export function assertSafeKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new AppError('INVALID_SOURCE', `object key exceeds ${MAX_KEY_BYTES} bytes`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new AppError('INVALID_SOURCE', 'object key contains control characters or backslashes');
  }
  if (LONE_SURROGATE.test(key)) {
    throw new AppError('INVALID_SOURCE', 'object key is not well-formed Unicode');
  }
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new AppError('INVALID_SOURCE', 'object key must not contain empty, "." or ".." segments');
  }
  if (segments.some((segment) => Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES)) {
    throw new AppError('INVALID_SOURCE', `object key segments must not exceed ${MAX_SEGMENT_BYTES} bytes`);
  }
}

export function formatS3Uri(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}
