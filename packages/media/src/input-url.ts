import path from 'node:path';

/**
 * FFmpeg reads a bare argument as an option when it starts with '-' and as a
 * protocol URL when it contains "proto:". An absolute path behind an explicit
 * `file:` prefix is neither, whatever the file is called.
 */
export function fileUrl(filePath: string): string {
  if (!path.isAbsolute(filePath)) {
    throw new Error(`FFmpeg paths must be absolute, got "${filePath}"`);
  }
  return `file:${filePath}`;
}
