import { ApiError, authHeaders, renewCredential, request } from './api';

/**
 * Uploads to the page's own origin (so the CSP's `connect-src 'self'` holds;
 * S3 part URLs of the multipart routes would be another origin):
 * - a file of one chunk or less goes in one streamed `PUT /uploads/{name}`,
 *   which keeps its name (outputs are named after it) and has nothing to
 *   resume;
 * - a larger file goes to the tus 1.0 endpoint (/uploads/tus) in 8 MiB PATCH
 *   requests. An interrupted upload (a dropped connection, a reload, a closed
 *   tab) resumes from the offset the server holds: the upload's URL is
 *   remembered per file (name, size, modification time) in localStorage until
 *   it finishes.
 */

const TUS_PATH = '/uploads/tus/';
const TUS_VERSION = '1.0.0';
/** The API's S3 store buffers PATCH bodies into 8 MiB parts; a chunk of that size fills one. */
const CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_RETRIES = 8;

export interface UploadProgress {
  sentBytes: number;
  totalBytes: number;
  /** Bytes per second over the last chunks. */
  bytesPerSecond?: number;
  resumedFrom?: number;
}

export interface UploadResult {
  /** Pass as `source` to POST /process. */
  source: string;
  sizeBytes: number;
}

function storageKey(file: File): string {
  return `mediaflow.tus:${file.name}:${file.size}:${file.lastModified}`;
}

function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function tusHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'Tus-Resumable': TUS_VERSION, ...authHeaders(), ...extra };
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('upload cancelled', 'AbortError'));
      },
      { once: true },
    );
  });
}

/** The server's offset of an earlier upload, and its source once finished; undefined when it is gone. */
async function resumePoint(url: string): Promise<{ offset: number; source?: string } | undefined> {
  try {
    const response = await request(url, { method: 'HEAD', headers: tusHeaders() });
    const offset = Number(response.headers.get('Upload-Offset'));
    if (!Number.isSafeInteger(offset)) return undefined;
    const source = response.headers.get('Mediaflow-Source') ?? undefined;
    return { offset, ...(source ? { source } : {}) };
  } catch (error) {
    if (error instanceof ApiError && [403, 404, 410].includes(error.status)) return undefined;
    throw error;
  }
}

async function create(file: File): Promise<string> {
  const metadata = [
    `filename ${base64Utf8(file.name)}`,
    `filetype ${base64Utf8(file.type === '' ? 'application/octet-stream' : file.type)}`,
  ].join(',');
  const response = await request(TUS_PATH, {
    method: 'POST',
    headers: tusHeaders({ 'Upload-Length': String(file.size), 'Upload-Metadata': metadata }),
  });
  const location = response.headers.get('Location');
  if (!location) throw new ApiError(500, 'UPLOAD_FAILED', 'the server created an upload without a Location');
  // The same origin always; the path alone survives a proxy that rewrites the host.
  return new URL(location, window.location.href).pathname;
}

interface PatchResult {
  offset: number;
  source?: string;
}

/** One streamed PUT /uploads/{name}, through XMLHttpRequest for its progress events. */
async function putWhole(file: File, onSent: (bytes: number) => void, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/uploads/${encodeURIComponent(file.name)}`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Content-Type', file.type === '' ? 'application/octet-stream' : file.type);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    const abort = (): void => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onload = () => {
      signal.removeEventListener('abort', abort);
      try {
        const body = JSON.parse(xhr.responseText) as { source?: string; error?: { code: string; message: string } };
        if (xhr.status === 201 && body.source) {
          resolve(body.source);
          return;
        }
        reject(
          new ApiError(xhr.status, body.error?.code ?? `HTTP_${xhr.status}`, body.error?.message ?? 'upload refused'),
        );
      } catch {
        reject(new ApiError(xhr.status, `HTTP_${xhr.status}`, `the upload was refused (${xhr.status})`));
      }
    };
    xhr.onerror = () => {
      signal.removeEventListener('abort', abort);
      reject(new TypeError('network error during the upload'));
    };
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
    xhr.send(file);
  });
}

/** A small file in one request; 401 gets one refresh, a network error a few retries. */
async function uploadWhole(
  file: File,
  onProgress: (progress: UploadProgress) => void,
  signal: AbortSignal,
): Promise<UploadResult> {
  const started = performance.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const source = await putWhole(
        file,
        (sent) => {
          const seconds = (performance.now() - started) / 1000;
          onProgress({
            sentBytes: Math.min(file.size, sent),
            totalBytes: file.size,
            ...(seconds > 0.5 ? { bytesPerSecond: sent / seconds } : {}),
          });
        },
        signal,
      );
      onProgress({ sentBytes: file.size, totalBytes: file.size });
      return { source, sizeBytes: file.size };
    } catch (error) {
      if (signal.aborted || (error instanceof DOMException && error.name === 'AbortError')) throw error;
      if (error instanceof ApiError && error.status === 401 && attempt === 1 && (await renewCredential())) continue;
      const retryable = !(error instanceof ApiError) || error.status >= 500;
      if (!retryable || attempt > 3) throw error;
      await sleep(1000 * attempt, signal);
    }
  }
}

/** One PATCH through XMLHttpRequest, whose upload events give progress within the chunk. */
async function patch(
  url: string,
  offset: number,
  chunk: Blob,
  onSent: (bytes: number) => void,
  signal: AbortSignal,
): Promise<PatchResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', url);
    for (const [name, value] of Object.entries(
      tusHeaders({ 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }),
    )) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    const abort = (): void => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onload = () => {
      signal.removeEventListener('abort', abort);
      if (xhr.status === 204 || xhr.status === 200) {
        const next = Number(xhr.getResponseHeader('Upload-Offset'));
        const source = xhr.getResponseHeader('Mediaflow-Source') ?? undefined;
        resolve({ offset: next, ...(source ? { source } : {}) });
        return;
      }
      let code = `HTTP_${xhr.status}`;
      let message = xhr.responseText.trim() || `the upload was refused (${xhr.status})`;
      try {
        const body = JSON.parse(xhr.responseText) as { error?: { code: string; message: string } };
        if (body.error) ({ code, message } = body.error);
      } catch {
        // tus answers some errors in plain text.
      }
      reject(new ApiError(xhr.status, code, message));
    };
    xhr.onerror = () => {
      signal.removeEventListener('abort', abort);
      reject(new TypeError('network error during the upload'));
    };
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
    xhr.send(chunk);
  });
}

/**
 * Uploads a file: in one request when small, else resumably (or resuming an earlier attempt).
 * @throws ApiError the API's refusal (UPLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, RATE_LIMITED, …).
 * @throws DOMException AbortError when `signal` aborts.
 */
export async function uploadFile(
  file: File,
  onProgress: (progress: UploadProgress) => void,
  signal: AbortSignal,
): Promise<UploadResult> {
  if (file.size <= CHUNK_BYTES) return uploadWhole(file, onProgress, signal);
  const key = storageKey(file);
  let url = localStorage.getItem(key) ?? undefined;
  let offset = 0;
  let resumedFrom: number | undefined;
  if (url !== undefined) {
    const point = await resumePoint(url);
    if (point === undefined) {
      url = undefined;
      localStorage.removeItem(key);
    } else {
      if (point.source !== undefined && point.offset === file.size) {
        localStorage.removeItem(key);
        onProgress({ sentBytes: file.size, totalBytes: file.size, resumedFrom: file.size });
        return { source: point.source, sizeBytes: file.size };
      }
      offset = point.offset;
      resumedFrom = offset;
    }
  }
  if (url === undefined) {
    url = await create(file);
    localStorage.setItem(key, url);
  }
  onProgress({ sentBytes: offset, totalBytes: file.size, ...(resumedFrom ? { resumedFrom } : {}) });

  let failures = 0;
  let source: string | undefined;
  const started = performance.now();
  const startOffset = offset;
  while (offset < file.size || (file.size === 0 && source === undefined)) {
    const chunk = file.slice(offset, offset + CHUNK_BYTES);
    try {
      const base = offset;
      const result = await patch(
        url,
        offset,
        chunk,
        (sent) => {
          const seconds = (performance.now() - started) / 1000;
          const sentBytes = Math.min(file.size, base + sent);
          onProgress({
            sentBytes,
            totalBytes: file.size,
            ...(seconds > 0.5 ? { bytesPerSecond: (sentBytes - startOffset) / seconds } : {}),
            ...(resumedFrom ? { resumedFrom } : {}),
          });
        },
        signal,
      );
      offset = result.offset;
      source = result.source ?? source;
      failures = 0;
      if (file.size === 0) break;
    } catch (error) {
      if (signal.aborted || (error instanceof DOMException && error.name === 'AbortError')) throw error;
      if (error instanceof ApiError && error.status === 401 && (await renewCredential())) continue;
      const retryable = !(error instanceof ApiError) || error.status === 409 || error.status >= 500;
      failures += 1;
      if (!retryable || failures > MAX_RETRIES) throw error;
      await sleep(Math.min(30_000, 500 * 2 ** failures), signal);
      // Where the server is now: a chunk may have arrived in part before the connection dropped.
      const point = await resumePoint(url);
      if (point === undefined) throw new ApiError(404, 'UPLOAD_NOT_FOUND', 'the upload expired; start again');
      offset = point.offset;
      source = point.source ?? source;
    }
  }
  if (source === undefined) source = (await resumePoint(url))?.source;
  localStorage.removeItem(key);
  if (source === undefined) throw new ApiError(500, 'UPLOAD_FAILED', 'the upload finished but named no source');
  onProgress({ sentBytes: file.size, totalBytes: file.size });
  return { source, sizeBytes: file.size };
}
