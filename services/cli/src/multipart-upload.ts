import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { contentTypeFor } from './api-client';
import type { MediaflowClient, PartUrl, UploadResult } from './api-client';
import { ApiError, InterruptedError, NetworkError } from './exit-codes';

export interface MultipartOptions {
  /** Parts in flight at once. */
  concurrency: number;
  /** Attempts per part before the upload fails (network errors, 5xx, an expired URL). */
  attempts: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export const DEFAULT_MULTIPART: MultipartOptions = { concurrency: 4, attempts: 3 };

// GET /uploads/{id}/parts hands out at most this many URLs at once.
const URL_BATCH = 100;

/** Worth another attempt: the connection broke, the store failed (5xx), or the URL expired or was refused (403). */
function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status >= 500 || error.status === 403 || error.status === 429);
}

/**
 * Uploads a file through the presigned multipart route (`POST /uploads`,
 * a PUT per part, `POST /uploads/{id}/complete`): parts in parallel, each
 * retried on its own, so a large file does not start over after one broken
 * connection. An upload that fails is aborted so its parts are freed.
 *
 * Each part is read into memory (the API's part size, 8 MiB or more): a
 * presigned S3 URL signs the Content-Length, which a streamed body lacks.
 *
 * @throws ApiError when the API refuses (413 above UPLOAD_MAX_BYTES, 415);
 *   NetworkError when a part keeps failing; InterruptedError on Ctrl-C.
 */
export async function multipartUpload(
  client: Pick<MediaflowClient, 'createUpload' | 'partUrls' | 'putPart' | 'completeUpload' | 'abortUpload'>,
  filePath: string,
  options: MultipartOptions = DEFAULT_MULTIPART,
): Promise<UploadResult> {
  const { size } = await stat(filePath);
  const created = await client.createUpload({
    filename: path.basename(filePath),
    size_bytes: size,
    content_type: contentTypeFor(filePath),
  });
  const urls = new Map<number, PartUrl>(created.parts.map((part) => [part.part_number, part]));
  const etags = new Map<number, string>();
  const file = await open(filePath, 'r');
  let sent = 0;
  let next = 1;
  options.onProgress?.(0, size);

  const urlFor = async (partNumber: number, fresh: boolean): Promise<PartUrl> => {
    const known = urls.get(partNumber);
    if (known && !fresh) return known;
    for (const part of await client.partUrls(created.upload_id, partNumber, URL_BATCH))
      urls.set(part.part_number, part);
    const fetched = urls.get(partNumber);
    if (!fetched) throw new NetworkError(`the API gave no URL for part ${partNumber}`, 'NO_PART_URL');
    return fetched;
  };

  const sendPart = async (partNumber: number): Promise<void> => {
    const offset = (partNumber - 1) * created.part_size_bytes;
    const length = Math.min(created.part_size_bytes, size - offset);
    const bytes = new Uint8Array(length);
    const { bytesRead } = await file.read(bytes, 0, length, offset);
    if (bytesRead !== length) throw new Error(`${filePath} changed while it was uploaded`);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await urlFor(partNumber, attempt > 1);
        etags.set(partNumber, await client.putPart(url.url, bytes, options.signal));
        sent += length;
        options.onProgress?.(sent, size);
        return;
      } catch (error) {
        if (options.signal?.aborted || attempt >= options.attempts || !isRetryable(error)) throw error;
      }
    }
  };

  // The first failure stops every worker from taking another part; parts in flight finish.
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next <= created.part_count) {
      const partNumber = next;
      next += 1;
      try {
        await sendPart(partNumber);
      } catch (error) {
        failure ??= { error };
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, created.part_count) }, worker));
    if (failure !== undefined) throw failure.error;
    const parts = [...etags.entries()].sort(([a], [b]) => a - b).map(([part_number, etag]) => ({ part_number, etag }));
    const completed = await client.completeUpload(created.upload_id, parts);
    return {
      source: completed.source,
      size_bytes: completed.size_bytes,
      content_type: completed.content_type,
      sha256: completed.sha256,
    };
  } catch (error) {
    // Free the parts; the Ctrl-C signal is spent, so the abort gets its own short deadline.
    await client.abortUpload(created.upload_id, AbortSignal.timeout(10_000)).catch(() => undefined);
    throw options.signal?.aborted ? new InterruptedError() : error;
  } finally {
    await file.close();
  }
}
