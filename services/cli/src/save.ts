import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DownloadStream } from './api-client';
import { InterruptedError, NetworkError } from './exit-codes';

export interface SavedFile {
  /** Where the bytes went: an absolute path, or "-" for stdout. */
  path: string;
  bytes: number;
}

/**
 * Where a download goes: `out` as given, inside it when it is an existing
 * directory, or in the working directory; named after the server's
 * suggestion, else `fallbackName`.
 */
export async function resolveTarget(
  out: string | undefined,
  suggested: string | undefined,
  fallbackName: string,
): Promise<string> {
  const name = suggested ?? fallbackName;
  if (out === undefined) return path.resolve(name);
  const isDirectory = await stat(out).then(
    (info) => info.isDirectory(),
    () => false,
  );
  return isDirectory || out.endsWith(path.sep) ? path.resolve(out, name) : path.resolve(out);
}

/**
 * Streams a download to `target` ("-" is stdout), reporting bytes received.
 * A file is written beside the target and renamed when complete, so a cut-off
 * download never leaves a truncated file under the final name.
 *
 * @throws NetworkError when the connection breaks mid-body; InterruptedError
 *   when `signal` aborts; file system errors (ENOENT, EACCES) as they are.
 */
export async function saveDownload(
  download: DownloadStream,
  target: string,
  onProgress: (receivedBytes: number, totalBytes: number | undefined) => void,
  signal?: AbortSignal,
): Promise<SavedFile> {
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      received += chunk.length;
      onProgress(received, download.sizeBytes);
      callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(download.body);
  onProgress(0, download.sizeBytes);
  const partial = target === '-' ? undefined : `${target}.part-${process.pid}`;
  // `-o results/` or `-o results/out.mp4` in a directory that does not exist yet: made, as curl --create-dirs does.
  if (partial !== undefined) await mkdir(path.dirname(target), { recursive: true });
  const sink = partial === undefined ? process.stdout : createWriteStream(partial);
  try {
    await pipeline(source, counter, sink, { end: partial !== undefined, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (partial !== undefined) await rm(partial, { force: true });
    if (signal?.aborted) throw new InterruptedError();
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    // Errors from the file side (EACCES, ENOSPC) are local; anything else broke the connection.
    if (typeof code === 'string' && code.startsWith('E') && !code.startsWith('ECONN')) throw error;
    throw new NetworkError(`the download broke off after ${received} bytes: ${String(error)}`, 'DOWNLOAD_INTERRUPTED');
  }
  if (download.sizeBytes !== undefined && received !== download.sizeBytes) {
    if (partial !== undefined) await rm(partial, { force: true });
    throw new NetworkError(`received ${received} of ${download.sizeBytes} bytes`, 'DOWNLOAD_INCOMPLETE');
  }
  if (partial !== undefined) await rename(partial, target);
  return { path: target, bytes: received };
}
