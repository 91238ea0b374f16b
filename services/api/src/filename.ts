import { AppError, hasLetterOrDigit, toSafeNameCharacters, truncateUtf8, utf8Bytes } from '@mediaflow/domain';

/**
 * Longest stored name, in UTF-8 bytes. The key around it
 * (`uploads/<uuid>/`) adds 45 bytes, far inside S3's 1024; and it stays under
 * the 255-byte file-name limit of file-system-backed stores, with room for
 * the local store's `.meta.json` sidecar suffix.
 */
export const MAX_FILENAME_BYTES = 200;

// The last `.` followed by 1 to 10 letters or digits (any script): `.mp4`,
// `.MOV`, `.m2ts`. Kept exactly as typed; whoever interprets an extension
// (content types, the worker's local file name) lower-cases it first.
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

/**
 * Reduces an uploaded file's name to one safe object-key segment that still
 * reads as the user's name: Unicode NFC, the letters, marks and digits of
 * every script kept (`видео.mp4`, `日本語の動画.MOV`), every other run of
 * characters (separators, spaces, punctuation, controls, emoji) made one
 * `_`, no leading or trailing `.`, `_` or `-` (so never a dot-segment or a
 * hidden file), and at most {@link MAX_FILENAME_BYTES} bytes, cut between
 * characters with the extension kept.
 *
 * @throws AppError INVALID_FILENAME when no letter or digit is left before the extension (`...`, `💥.mp4`):
 *   refused rather than invented.
 */
export function sanitizeUploadFilename(raw: string): string {
  const normalised = raw.normalize('NFC');
  const extension = EXTENSION.exec(normalised)?.[0] ?? '';
  const stem = trimSeparators(toSafeNameCharacters(normalised.slice(0, normalised.length - extension.length)));
  if (!hasLetterOrDigit(stem)) {
    throw new AppError(
      'INVALID_FILENAME',
      'filename must contain at least one letter or digit (of any script) before its extension',
    );
  }
  // A stem cut mid-name may end in "_" or "."; trimmed again so "name_.mp4" never appears.
  const bounded = trimSeparators(truncateUtf8(stem, MAX_FILENAME_BYTES - utf8Bytes(extension)));
  return `${bounded}${extension}`;
}

function trimSeparators(text: string): string {
  return text.replace(/^[._-]+/, '').replace(/[._-]+$/, '');
}
