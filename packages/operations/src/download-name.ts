import path from 'node:path';

/**
 * A file name derived from the source's, safe for any header or file system:
 * `holiday.mov` compressed becomes `holiday_compress`. Clients download
 * outputs under this name, so it should say what the file is.
 */
export function outputBaseName(sourceName: string, suffix: string): string {
  const stem = path.posix.basename(sourceName).replace(/\.[^.]*$/, '');
  const safeStem = stem
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 80);
  return `${safeStem || 'media'}_${suffix}`;
}
