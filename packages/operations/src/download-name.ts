import path from 'node:path';
import { toSafeNameCharacters, truncateUtf8 } from '@mediaflow/domain';

/**
 * Longest stem, in UTF-8 bytes: with `_<suffix>.<ext>` the name stays well
 * under the 255-byte file-name limit of file-system-backed stores (and the
 * key far under S3's 1024), in any script.
 */
export const MAX_STEM_BYTES = 120;

/**
 * A file name derived from the source's, safe for any header, object key or
 * file system: `holiday.mov` compressed becomes `holiday_compress`,
 * `日本語の動画.MOV` becomes `日本語の動画_compress`. Clients download outputs
 * under this name, so it should say what the file is: letters and digits of
 * every script are kept (NFC), any other run of characters becomes `_`, and
 * the stem never starts with `.`, `_` or `-`.
 */
export function outputBaseName(sourceName: string, suffix: string): string {
  const stem = path.posix.basename(sourceName).replace(/\.[^.]*$/, '');
  const safeStem = truncateUtf8(toSafeNameCharacters(stem).replace(/^[._-]+/, ''), MAX_STEM_BYTES);
  return `${safeStem || 'media'}_${suffix}`;
}
