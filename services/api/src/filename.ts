import { AppError } from '@mediaflow/domain';

const MAX_FILENAME_LENGTH = 200;

/**
 * Reduces an uploaded file's name to a safe object-key segment: letters,
 * digits, dot, dash and underscore, no leading dot, bounded length. Names
 * with nothing usable left are refused rather than invented.
 */
export function sanitizeUploadFilename(raw: string): string {
  const normalized = raw.normalize('NFKC');
  const cleaned = normalized
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+/, '');
  if (cleaned === '' || /^[_.]*$/.test(cleaned)) {
    throw new AppError('INVALID_FILENAME', 'filename must contain letters or digits');
  }
  if (cleaned.length <= MAX_FILENAME_LENGTH) return cleaned;
  const extension = /\.[A-Za-z0-9]{1,8}$/.exec(cleaned)?.[0] ?? '';
  return cleaned.slice(0, MAX_FILENAME_LENGTH - extension.length) + extension;
}
