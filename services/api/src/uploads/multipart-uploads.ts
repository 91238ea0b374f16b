import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, formatS3Uri, issuesToDetails } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import { hashObject, MAX_PARTS, OWNER_METADATA_KEY, SHA256_METADATA_KEY, uploadInfo } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import type { z } from 'zod';
import type { Principal } from '../auth/api-keys';
import { sanitizeUploadFilename } from '../filename';
import { completeUploadBodySchema, createUploadBodySchema } from '../openapi/schemas';
import type { completedUploadSchema, partUrlSchema, uploadStatusSchema } from '../openapi/schemas';
import { isUploadableContentType, uploadableContentType } from './content-types';
import { openUploadId, sealUploadId, signPartToken, verifyPartToken } from './upload-tokens';
import type { UploadKeys, UploadState } from './upload-tokens';

const MiB = 1024 * 1024;
/** The smallest part this API hands out; S3's own minimum is 5 MiB. */
export const MIN_CHOSEN_PART_BYTES = 8 * MiB;
/** URLs in the creation answer; the rest come from GET /uploads/{id}/parts. */
const FIRST_URL_BATCH = 100;

export type PartUrl = z.output<typeof partUrlSchema>;
export type CompletedUpload = z.output<typeof completedUploadSchema>;
export type UploadStatus = z.output<typeof uploadStatusSchema>;

export interface MultipartUploadsDeps {
  store: ObjectStore;
  keys: UploadKeys;
  inputBucket: string;
  /** UPLOAD_MAX_BYTES. */
  maxBytes: number;
  /** UPLOAD_PART_URL_TTL_SECONDS. */
  partUrlTtlSeconds: number;
}

/**
 * Bytes per part for a file: at least 8 MiB, in whole MiB, and large enough
 * that the file needs at most 10,000 parts.
 */
export function partSizeFor(sizeBytes: number): number {
  const needed = Math.ceil(sizeBytes / MAX_PARTS / MiB) * MiB;
  return Math.max(MIN_CHOSEN_PART_BYTES, needed);
}

function partCount(state: Pick<UploadState, 'size' | 'partSize'>): number {
  return Math.max(1, Math.ceil(state.size / state.partSize));
}

/** The exact size of part `n` (1-based). */
export function expectedPartSize(state: Pick<UploadState, 'size' | 'partSize'>, partNumber: number): number {
  const count = partCount(state);
  return partNumber < count ? state.partSize : state.size - state.partSize * (count - 1);
}

/**
 * Presigned multipart uploads: the client PUTs parts straight to S3 (or, in
 * the embedded mode, to this API), then asks for completion, where the size
 * is checked, the SHA-256 computed and recorded as object metadata.
 */
export class MultipartUploads {
  constructor(private readonly deps: MultipartUploadsDeps) {}

  /**
   * @param baseUrl `http(s)://host` the client reached, for embedded-mode part URLs.
   * @throws AppError VALIDATION_FAILED for a malformed body, INVALID_FILENAME for a name with no letter or digit.
   * @throws AppError PAYLOAD_TOO_LARGE (413) when size_bytes exceeds UPLOAD_MAX_BYTES.
   * @throws AppError UNSUPPORTED_MEDIA_TYPE (415) for a content type that is not video, audio or octet-stream.
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  async create(
    principal: Principal,
    body: unknown,
    baseUrl: string,
  ): Promise<{ upload_id: string; part_size_bytes: number; part_count: number; parts: PartUrl[]; source: string }> {
    const parsed = createUploadBodySchema.safeParse(body);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid upload request', {
        details: issuesToDetails(parsed.error.issues),
      });
    }
    const { filename, size_bytes: size, content_type: rawType } = parsed.data;
    if (size > this.deps.maxBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `upload exceeds ${this.deps.maxBytes} bytes`, {
        details: { limit: this.deps.maxBytes },
      });
    }
    const contentType = uploadableContentType(rawType);
    const ref = { bucket: this.deps.inputBucket, key: `uploads/${randomUUID()}/${sanitizeUploadFilename(filename)}` };
    const uploadId = await this.deps.store.createMultipartUpload(ref, {
      contentType,
      metadata: { [OWNER_METADATA_KEY]: principal.keyId },
    });
    const state: UploadState = {
      ...ref,
      uploadId,
      owner: principal.keyId,
      size,
      contentType,
      partSize: partSizeFor(size),
      createdAt: Math.floor(Date.now() / 1000),
    };
    const id = sealUploadId(this.deps.keys, state);
    return {
      upload_id: id,
      part_size_bytes: state.partSize,
      part_count: partCount(state),
      parts: await this.urls(id, state, 1, FIRST_URL_BATCH, baseUrl),
      source: formatS3Uri(ref),
    };
  }

  /**
   * Fresh URLs for parts `from` to `from + count - 1` (those that exist).
   *
   * @throws AppError UPLOAD_NOT_FOUND (404) for an id that is not this key's (admins: any key's).
   */
  async partUrls(principal: Principal, id: string, from: number, count: number, baseUrl: string): Promise<PartUrl[]> {
    const state = this.open(principal, id);
    return this.urls(id, state, from, count, baseUrl);
  }

  /**
   * The parts received so far, or, once complete, the object's source, size and SHA-256.
   *
   * @throws AppError UPLOAD_NOT_FOUND (404) for an id that is not this key's, or an upload aborted or expired.
   */
  async status(principal: Principal, id: string): Promise<UploadStatus> {
    const state = this.open(principal, id);
    const ref = refOf(state);
    const parts = await this.deps.store.listParts(ref, state.uploadId);
    if (parts === null) {
      const done = await this.completed(state);
      if (!done) throw notFound();
      return done;
    }
    return {
      status: 'in_progress',
      source: formatS3Uri(ref),
      size_bytes: state.size,
      content_type: state.contentType,
      part_size_bytes: state.partSize,
      part_count: partCount(state),
      received_bytes: parts.reduce((sum, part) => sum + part.size, 0),
      parts: parts.map((part) => ({ part_number: part.partNumber, etag: part.etag, size_bytes: part.size })),
      created_at: new Date(state.createdAt * 1000).toISOString(),
    };
  }

  /**
   * Joins the parts, checks the object against what was declared, and
   * records its SHA-256 (one streamed read of the object). Repeating a
   * completion that succeeded returns the same answer.
   *
   * @throws AppError UPLOAD_NOT_FOUND (404) for an id that is not this key's, or an upload aborted or expired.
   * @throws AppError UPLOAD_INCOMPLETE (409) when the named parts do not add up to size_bytes (nothing is completed).
   * @throws AppError VALIDATION_FAILED when a part is unknown, its ETag wrong, or the list out of order.
   * @throws AppError UNSUPPORTED_MEDIA_TYPE / PAYLOAD_TOO_LARGE when the completed object breaks the limits
   *   (it is then deleted).
   */
  async complete(principal: Principal, id: string, body: unknown): Promise<CompletedUpload> {
    const state = this.open(principal, id);
    const parsed = completeUploadBodySchema.safeParse(body);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid completion request', {
        details: issuesToDetails(parsed.error.issues),
      });
    }
    const named = parsed.data.parts;
    const ref = refOf(state);
    const held = await this.deps.store.listParts(ref, state.uploadId);
    if (held === null) {
      // Completed by an earlier request whose answer was lost, or gone.
      const done = await this.completed(state);
      if (!done) throw notFound();
      return done;
    }
    const sizes = new Map(held.map((part) => [part.partNumber, part.size]));
    const missing = named.filter((part) => !sizes.has(part.part_number)).map((part) => part.part_number);
    const received = named.reduce((sum, part) => sum + (sizes.get(part.part_number) ?? 0), 0);
    if (missing.length > 0 || received !== state.size) {
      throw new AppError('UPLOAD_INCOMPLETE', `the named parts hold ${received} of ${state.size} bytes`, {
        details: { received_bytes: received, size_bytes: state.size, missing_parts: missing.slice(0, 100) },
      });
    }
    await this.deps.store.completeMultipartUpload(
      ref,
      state.uploadId,
      named.map((part) => ({ partNumber: part.part_number, etag: part.etag })),
    );
    const info = await this.deps.store.head(ref);
    if (!info) throw notFound();
    // A part replaced between the listing and the completion could still change the size.
    if (info.size !== state.size || !isUploadableContentType(info.contentType)) {
      await this.deps.store.delete(ref);
      throw info.size !== state.size
        ? new AppError('UPLOAD_INCOMPLETE', `the completed object holds ${info.size} of ${state.size} bytes`)
        : new AppError('UNSUPPORTED_MEDIA_TYPE', 'the completed object has a content type that is not allowed');
    }
    return this.finish(state);
  }

  /**
   * Aborts the upload and frees its parts; for a completed upload, deletes
   * the object (jobs that used it keep their outputs).
   *
   * @throws AppError UPLOAD_NOT_FOUND (404) for an id that is not this key's.
   */
  async abort(principal: Principal, id: string): Promise<void> {
    const state = this.open(principal, id);
    const ref = refOf(state);
    await this.deps.store.abortMultipartUpload(ref, state.uploadId);
    const info = await uploadInfo(this.deps.store, ref);
    if (info?.owner === state.owner) await this.deps.store.delete(ref);
  }

  /**
   * Embedded mode: stores one part sent to the URL {@link partUrls} gave,
   * authorised by its token rather than an API key.
   *
   * @param contentLength The request's Content-Length; it must equal the part's size.
   * @returns The part's ETag.
   * @throws AppError UPLOAD_URL_INVALID / UPLOAD_URL_EXPIRED (403) for a bad or old token.
   * @throws AppError VALIDATION_FAILED for a body whose length is not the part's size.
   * @throws AppError UPLOAD_NOT_FOUND (404) when the upload was aborted, completed or expired.
   */
  async receivePart(
    id: string,
    partNumber: number,
    token: unknown,
    body: Readable,
    contentLength: number | undefined,
    signal: AbortSignal,
  ): Promise<string> {
    verifyPartToken(this.deps.keys, token, id, partNumber, Math.floor(Date.now() / 1000));
    const state = openUploadId(this.deps.keys, id);
    if (!state) throw new AppError('UPLOAD_URL_INVALID', 'the part URL is not valid');
    const expected = expectedPartSize(state, partNumber);
    if (partNumber > partCount(state) || contentLength !== expected) {
      throw new AppError('VALIDATION_FAILED', `part ${partNumber} must be sent with Content-Length: ${expected}`);
    }
    const ref = refOf(state);
    if ((await this.deps.store.listParts(ref, state.uploadId)) === null) throw notFound();
    const part = await this.deps.store.uploadPart(ref, state.uploadId, partNumber, body, { contentLength, signal });
    if (part.size !== expected) {
      throw new AppError('VALIDATION_FAILED', `part ${partNumber} held ${part.size} bytes, not ${expected}`);
    }
    return part.etag;
  }

  private open(principal: Principal, id: string): UploadState {
    const state = openUploadId(this.deps.keys, id);
    // Another key's upload is as unknown as one that never existed.
    if (!state || state.bucket !== this.deps.inputBucket || (state.owner !== principal.keyId && !principal.admin)) {
      throw notFound();
    }
    return state;
  }

  private async urls(id: string, state: UploadState, from: number, count: number, baseUrl: string): Promise<PartUrl[]> {
    const last = Math.min(partCount(state), from + count - 1);
    const expiresAt = Math.floor(Date.now() / 1000) + this.deps.partUrlTtlSeconds;
    const urls: PartUrl[] = [];
    for (let partNumber = from; partNumber <= last; partNumber += 1) {
      const size = expectedPartSize(state, partNumber);
      const presigned = await this.deps.store.presignUploadPart(refOf(state), state.uploadId, partNumber, {
        expiresInSeconds: this.deps.partUrlTtlSeconds,
        contentLength: size,
      });
      const url =
        presigned ??
        `${baseUrl}/uploads/${id}/parts/${partNumber}?token=${signPartToken(this.deps.keys, id, partNumber, expiresAt)}`;
      urls.push({
        part_number: partNumber,
        size_bytes: size,
        url,
        expires_at: new Date(expiresAt * 1000).toISOString(),
      });
    }
    return urls;
  }

  /** The completed object's answer, hashing it first if an earlier completion stopped short of that. */
  private async completed(state: UploadState): Promise<CompletedUpload | undefined> {
    const info = await uploadInfo(this.deps.store, refOf(state));
    if (!info || info.owner !== state.owner || info.size !== state.size) return undefined;
    if (info.sha256 !== undefined) return answer(state, info.sha256);
    return this.finish(state);
  }

  private async finish(state: UploadState): Promise<CompletedUpload> {
    const ref = refOf(state);
    const { sha256 } = await hashObject(this.deps.store, ref);
    await this.deps.store.replaceMetadata(ref, { [OWNER_METADATA_KEY]: state.owner, [SHA256_METADATA_KEY]: sha256 });
    return answer(state, sha256);
  }
}

function refOf(state: UploadState): ObjectRef {
  return { bucket: state.bucket, key: state.key };
}

function answer(state: UploadState, sha256: string): CompletedUpload {
  return {
    status: 'complete',
    source: formatS3Uri(refOf(state)),
    size_bytes: state.size,
    content_type: state.contentType,
    sha256,
  };
}

function notFound(): AppError {
  return new AppError('UPLOAD_NOT_FOUND', 'no such upload');
}
