import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, InterruptedError, NetworkError } from './exit-codes';

// ------------------------------------------------------------ wire shapes
// What the API answers (services/api/src/openapi/schemas.ts is the source of
// truth; /openapi.json serves it). Only the fields the CLI reads are typed as
// required; the rest are optional so an older or newer server still parses.

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface JobOutput {
  kind: string;
  path: string;
  content_type: string;
  size_bytes?: number;
  primary?: boolean;
  /** Multi-step jobs: the index of the step that wrote it. */
  step?: number;
  url: string;
}

export interface JobView {
  job_id: string;
  status: JobStatus;
  method_name: string;
  output_format: string;
  params: Record<string, unknown>;
  source: string;
  /** Every input in order, for a job submitted with several. */
  sources?: string[];
  /** A multi-step job's chain; method_name, output_format and params repeat the first step. */
  steps?: { method_name: string; output_format: string; params: Record<string, unknown> }[];
  completed_steps?: number[];
  progress: number;
  speed?: number;
  eta_seconds?: number;
  attempts: number;
  retry_at?: string;
  cancel_requested?: true;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: { code: string; message: string } | null;
  warnings?: { code: string; message: string }[];
  outputs: JobOutput[];
}

export interface JobPage {
  jobs: JobView[];
  count: number;
  limit: number;
  skip?: number;
  next_cursor: string | null;
}

export interface UploadResult {
  source: string;
  size_bytes: number;
  content_type: string;
  sha256: string;
}

/** A presigned (or, in the embedded mode, token-signed) URL for one part of a multipart upload. */
export interface PartUrl {
  part_number: number;
  size_bytes: number;
  url: string;
  expires_at: string;
}

export interface CreatedUpload {
  upload_id: string;
  part_size_bytes: number;
  part_count: number;
  /** URLs for the first parts (up to 100); partUrls() gives the others. */
  parts: PartUrl[];
  source: string;
}

export interface CompletedUpload extends UploadResult {
  status: 'complete';
}

export interface SubmitResult {
  job_id: string;
  status: JobStatus;
}

export interface JobActionResult {
  job_id: string;
  status: JobStatus;
  cancel_requested?: boolean;
}

/** One step of a multi-step submit. */
export interface SubmitStep {
  method_name: string;
  output_format?: string;
  params?: Record<string, unknown>;
}

/**
 * POST /process: `source` or `sources`, and one operation (`method_name`),
 * a `preset`, or `steps`.
 */
export interface SubmitRequest {
  source?: string;
  sources?: string[];
  method_name?: string;
  output_format?: string;
  preset?: string;
  steps?: SubmitStep[];
  params?: Record<string, unknown>;
}

/** GET /process filters, as the API names them; undefined ones are left out. */
export interface ListQuery {
  limit?: number;
  skip?: number;
  cursor?: string;
  status?: string;
  method_name?: string;
  created_after?: string;
  created_before?: string;
}

/** The parts of an OpenAPI 3.1 document the CLI reads (JSON Schema subset). */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
export interface OpenApiDocument {
  components?: { schemas?: Record<string, JsonSchema> };
}

/** A download as it arrives: the body stream, its size when known, and the name the server suggests. */
export interface DownloadStream {
  body: ReadableStream<Uint8Array>;
  sizeBytes: number | undefined;
  filename: string | undefined;
  contentType: string | undefined;
}

export interface ClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8000 (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; omitted when undefined (a server running open). */
  apiKey?: string;
  /** Aborts every request in flight (Ctrl-C). */
  signal?: AbortSignal;
}

// Content types the upload route keeps; anything else goes as octet-stream and the server probes it.
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.ts': 'video/mp2t',
  '.mts': 'video/mp2t',
  '.m2ts': 'video/mp2t',
  '.3gp': 'video/3gpp',
  '.ogv': 'video/ogg',
  '.gif': 'image/gif',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
};

/** The Content-Type an upload of this file is sent with. */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The file name a Content-Disposition header suggests (RFC 6266: `filename*`
 * in UTF-8 first, else `filename`), reduced to a base name so a hostile
 * server cannot write outside the directory; undefined when there is none.
 */
export function filenameFromDisposition(header: string | null): string | undefined {
  if (!header) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
    name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  }
  if (name === undefined) return undefined;
  const base = path.basename(name.replace(/\\/g, '/'));
  return base === '' || base === '.' || base === '..' ? undefined : base;
}

/**
 * A typed client for the mediaflow HTTP API over Node's global fetch.
 * Every method throws ApiError for an error status (with the API's
 * `error.code`), NetworkError when the server cannot be reached or the
 * connection breaks, and InterruptedError when `signal` aborts.
 */
export class MediaflowClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** PUT /uploads/{name}: streams the file, reporting bytes sent; 201 with the source to submit. */
  async upload(filePath: string, onProgress?: (sentBytes: number, totalBytes: number) => void): Promise<UploadResult> {
    const { size } = await stat(filePath);
    const file = createReadStream(filePath, { highWaterMark: 1024 * 1024 });
    const chunks = file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let sent = 0;
    // A pull-based stream: the next chunk is read only when fetch asks for it,
    // so the bytes counted are the bytes handed to the socket, not to a buffer.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) {
          controller.close();
          return;
        }
        sent += next.value.length;
        controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.length));
        onProgress?.(sent, size);
      },
      cancel() {
        file.destroy();
      },
    });
    onProgress?.(0, size);
    try {
      const response = await this.send('PUT', `/uploads/${encodeURIComponent(path.basename(filePath))}`, {
        body,
        headers: { 'Content-Type': contentTypeFor(filePath) },
      });
      return await this.json<UploadResult>(response);
    } finally {
      file.destroy();
    }
  }

  /** POST /uploads: starts a multipart upload of `size_bytes` bytes. */
  async createUpload(request: { filename: string; size_bytes: number; content_type: string }): Promise<CreatedUpload> {
    const response = await this.send('POST', '/uploads', {
      body: JSON.stringify(request),
      headers: { 'Content-Type': 'application/json' },
    });
    return this.json<CreatedUpload>(response);
  }

  /** GET /uploads/{id}/parts: fresh URLs for `count` parts from part `from`. */
  async partUrls(uploadId: string, from: number, count: number): Promise<PartUrl[]> {
    const route = `/uploads/${encodeURIComponent(uploadId)}/parts?from=${from}&count=${count}`;
    return (await this.json<{ parts: PartUrl[] }>(await this.send('GET', route))).parts;
  }

  /**
   * PUT of one part's exact bytes to its URL, which carries its own
   * authorisation: no API key goes with it (a presigned S3 URL would reject
   * the extra header, and the key must not leak to the object store).
   *
   * @returns the part's ETag, for completion.
   */
  async putPart(url: string, bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    const partSignal = signal ?? this.options.signal;
    let response: Response;
    try {
      response = await fetch(new URL(url, `${this.baseUrl}/`), { method: 'PUT', body: bytes, signal: partSignal });
    } catch (error) {
      throw this.transportError(error, partSignal);
    }
    if (!response.ok) throw await this.apiError(response);
    await response.body?.cancel();
    const etag = response.headers.get('etag');
    if (!etag) throw new NetworkError('the part upload answered without an ETag', 'NO_ETAG');
    return etag;
  }

  /** POST /uploads/{id}/complete: checks sizes, hashes the file, and answers with the source to submit. */
  async completeUpload(uploadId: string, parts: { part_number: number; etag: string }[]): Promise<CompletedUpload> {
    const response = await this.send('POST', `/uploads/${encodeURIComponent(uploadId)}/complete`, {
      body: JSON.stringify({ parts }),
      headers: { 'Content-Type': 'application/json' },
    });
    return this.json<CompletedUpload>(response);
  }

  /** DELETE /uploads/{id}: frees an unfinished upload's parts. */
  async abortUpload(uploadId: string, signal?: AbortSignal): Promise<void> {
    const response = await this.send('DELETE', `/uploads/${encodeURIComponent(uploadId)}`, signal ? { signal } : {});
    await response.body?.cancel();
  }

  /** POST /process: 202 with the job id. The idempotency key makes a resent submit return the same job. */
  async submit(request: SubmitRequest, idempotencyKey?: string): Promise<SubmitResult> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const response = await this.send('POST', '/process', { body: JSON.stringify(request), headers });
    return this.json<SubmitResult>(response);
  }

  /** GET /status/{id}: the job with progress, speed and ETA. */
  async status(jobId: string): Promise<JobView> {
    return this.json<JobView>(await this.send('GET', `/status/${encodeURIComponent(jobId)}`));
  }

  /** GET /process: one page of jobs, newest first. */
  async list(query: ListQuery): Promise<JobPage> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) search.set(key, String(value));
    }
    const suffix = search.size > 0 ? `?${search.toString()}` : '';
    return this.json<JobPage>(await this.send('GET', `/process${suffix}`));
  }

  /** POST /jobs/{id}/cancel: 202; a running job stops within about a second. */
  async cancel(jobId: string, signal?: AbortSignal): Promise<JobActionResult> {
    return this.json<JobActionResult>(
      await this.send('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`, signal ? { signal } : {}),
    );
  }

  /** POST /jobs/{id}/retry: a failed or cancelled job queued again. */
  async retry(jobId: string): Promise<JobActionResult> {
    return this.json<JobActionResult>(await this.send('POST', `/jobs/${encodeURIComponent(jobId)}/retry`));
  }

  /**
   * GET /download/{id}[?output=kind]: the primary output, or the output of
   * that kind (`log` is the FFmpeg log, served for failed and cancelled jobs too).
   */
  async download(jobId: string, output?: string): Promise<DownloadStream> {
    const suffix = output === undefined ? '' : `?output=${encodeURIComponent(output)}`;
    const response = await this.send('GET', `/download/${encodeURIComponent(jobId)}${suffix}`);
    if (!response.body) throw new NetworkError('the download had no body', 'EMPTY_RESPONSE');
    const length = Number(response.headers.get('content-length'));
    return {
      body: response.body,
      sizeBytes: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
      filename: filenameFromDisposition(response.headers.get('content-disposition')),
      contentType: response.headers.get('content-type') ?? undefined,
    };
  }

  /** GET /openapi.json: the API's description, including each operation's params schema. */
  async openApi(): Promise<OpenApiDocument> {
    return this.json<OpenApiDocument>(await this.send('GET', '/openapi.json'));
  }

  private async send(
    method: string,
    route: string,
    init: { body?: RequestInit['body']; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    const signal = init.signal ?? this.options.signal;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${route}`, {
        method,
        headers,
        body: init.body,
        signal,
        // A streamed body needs half-duplex: the request is sent before the response is read.
        ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
      });
    } catch (error) {
      throw this.transportError(error, signal);
    }
    if (!response.ok) throw await this.apiError(response);
    return response;
  }

  private async json<T>(response: Response): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw this.transportError(error, this.options.signal);
    }
  }

  /** An error status as an ApiError with the API's machine-readable code when the body has one. */
  private async apiError(response: Response): Promise<ApiError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new ApiError(response.status, error.code, error.message, error.details);
    }
    return new ApiError(response.status, `HTTP_${response.status}`, `${response.status} ${response.statusText}`.trim());
  }

  private transportError(error: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return new InterruptedError();
    // Duck-typed, not instanceof: fetch's errors may come from another realm (a test VM).
    const cause = isRecord(error) && isRecord(error.cause) ? error.cause : undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const message = (value: unknown): string | undefined =>
      isRecord(value) && typeof value.message === 'string' && value.message !== '' ? value.message : undefined;
    const reason = message(cause) ?? message(error) ?? String(error);
    return new NetworkError(`cannot reach ${this.baseUrl}: ${reason}`, code ?? 'UNREACHABLE');
  }
}
