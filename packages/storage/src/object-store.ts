import type { Readable } from 'node:stream';
import { AppError, assertSafeKey } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';

export interface ObjectInfo {
  size: number;
  contentType: string;
  lastModified?: Date;
  /** User metadata (S3 `x-amz-meta-*`, lower-case keys), when the store reports it: head() does. */
  metadata?: Record<string, string>;
}

export interface ByteRange {
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
}

export interface ObjectStream extends ObjectInfo {
  body: Readable;
  /** The range served, when one was asked for. */
  range?: ByteRange;
}

export interface PutOptions {
  contentType: string;
  /** Known length, when the body is a stream of known size. */
  contentLength?: number;
  /** Aborts an upload in flight; a partial object is never left behind. */
  signal?: AbortSignal;
  /** User metadata stored with the object; keys and values as {@link assertValidMetadata} allows. */
  metadata?: Record<string, string>;
}

/** One object found by {@link ObjectStore.list}. */
export interface ListedObject {
  /** The object's full key (not relative to the prefix). */
  key: string;
  /** In bytes. */
  size: number;
  /** When the store reports it (S3's LastModified, the file's mtime). */
  lastModified?: Date;
}

/**
 * Checks a key prefix as {@link assertSafeKey} checks a key, except that one
 * trailing "/" is allowed (`jobs/job-1/`). An empty prefix passes only when
 * `allowEmpty` is set: it means the whole bucket.
 *
 * @throws AppError INVALID_SOURCE for a prefix no safe key could start with
 *   (`..` or empty segments, control characters, backslashes, too long).
 * @throws AppError VALIDATION_FAILED for an empty prefix without `allowEmpty`.
 */
export function assertSafePrefix(prefix: string, options: { allowEmpty: boolean }): void {
  if (prefix === '') {
    if (options.allowEmpty) return;
    throw new AppError('VALIDATION_FAILED', 'an empty key prefix would name the whole bucket');
  }
  assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/**
 * Where media lives. Adapters: S3 (any S3-compatible server) and a local-disk
 * store for the embedded mode. Keys are validated by the caller.
 */
export abstract class ObjectStore {
  /** Creates the bucket if missing. */
  abstract ensureBucket(bucket: string): Promise<void>;

  /** Throws when the store cannot be reached. */
  abstract ping(bucket: string): Promise<void>;

  /** Streams a body into an object, replacing any previous one. */
  abstract put(ref: ObjectRef, body: Readable | Buffer, options: PutOptions): Promise<ObjectInfo>;

  /** Null when the object does not exist. */
  abstract head(ref: ObjectRef): Promise<ObjectInfo | null>;

  /** Opens an object, or a byte range of it. Throws NOT_FOUND when missing. */
  abstract get(ref: ObjectRef, range?: ByteRange): Promise<ObjectStream>;

  /** Copies an object to a local file. Throws NOT_FOUND when missing. */
  abstract download(ref: ObjectRef, filePath: string, signal?: AbortSignal): Promise<void>;

  abstract delete(ref: ObjectRef): Promise<void>;

  /**
   * Every object whose key starts with `prefix.key`, nested "directories"
   * included, in key order (UTF-8 byte order, as S3 sorts). The prefix is a
   * plain string prefix: `job-1` also matches `job-10/…`, so end it with "/"
   * to mean a folder. An empty prefix lists the whole bucket. Pages are
   * fetched lazily as the caller iterates; stopping early fetches no more.
   * Objects written or deleted while a listing runs may or may not appear.
   *
   * @throws AppError INVALID_SOURCE when the prefix fails {@link assertSafePrefix}.
   * @throws AppError STORAGE_ERROR when the bucket does not exist or the store fails.
   */
  abstract list(prefix: ObjectRef): AsyncGenerator<ListedObject>;

  /**
   * Deletes every object {@link list} would yield for `prefix` and returns
   * how many were deleted (0 when there were none). Not atomic: on failure
   * some objects may already be gone, and a retry deletes the rest.
   *
   * @throws AppError VALIDATION_FAILED for an empty prefix, so a bug can never
   *   empty a whole bucket.
   * @throws AppError INVALID_SOURCE when the prefix fails {@link assertSafePrefix}.
   * @throws AppError STORAGE_ERROR when the bucket does not exist, the store
   *   fails, or it refuses to delete an object (the message names the first).
   */
  abstract deletePrefix(prefix: ObjectRef): Promise<number>;

  abstract close(): Promise<void>;

  /**
   * A URL that lets anyone holding it GET the object (Range included) straight
   * from the store until it expires, so an API can answer with a redirect and
   * carry no bytes itself. The object is not checked for existence. Resolves
   * to undefined when the store has no such URLs (the local disk): the caller
   * then serves the bytes itself.
   *
   * @param options.expiresInSeconds Lifetime of the URL, 1 to 604800 (S3's limit).
   * @param options.contentType Served as the response's Content-Type, whatever the object was stored with.
   * @throws AppError STORAGE_ERROR when the URL cannot be signed (no credentials).
   */
  async presignGet(ref: ObjectRef, options: PresignGetOptions): Promise<string | undefined> {
    void ref;
    void options;
    return Promise.resolve(undefined);
  }

  // --- Multipart uploads and metadata (presigned and resumable uploads) ---

  /**
   * Replaces an object's user metadata, keeping its bytes and content type
   * (S3: a server-side copy onto itself, part by part above 5 GiB).
   *
   * @throws AppError NOT_FOUND when the object does not exist.
   * @throws AppError VALIDATION_FAILED for metadata {@link assertValidMetadata} refuses.
   * @throws AppError STORAGE_ERROR when the store fails, or the object changed during the copy.
   */
  abstract replaceMetadata(ref: ObjectRef, metadata: Record<string, string>): Promise<void>;

  /**
   * Starts a multipart upload whose object, once completed, has this content
   * type and metadata. Nothing is visible at `ref` until completion.
   *
   * @returns The store's upload id (S3's UploadId).
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  abstract createMultipartUpload(ref: ObjectRef, options: MultipartOptions): Promise<string>;

  /**
   * Stores one part (1 to 10,000); a part sent again replaces the earlier one.
   *
   * @throws AppError NOT_FOUND when there is no such upload (aborted or completed).
   * @throws AppError JOB_ABORTED when `options.signal` aborts it.
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  abstract uploadPart(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    options: { contentLength?: number; signal?: AbortSignal },
  ): Promise<UploadedPart>;

  /**
   * The parts received so far, in part-number order; null when there is no
   * such upload (never created, aborted, or completed).
   *
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  abstract listParts(ref: ObjectRef, uploadId: string): Promise<UploadedPart[] | null>;

  /**
   * Joins the named parts, in ascending part-number order, into the object
   * and ends the upload. Every part but the last must be at least
   * {@link MIN_PART_BYTES} (S3's rule).
   *
   * @throws AppError NOT_FOUND when there is no such upload.
   * @throws AppError VALIDATION_FAILED when a part is missing, its ETag does
   *   not match, the order is wrong, or a part but the last is too small.
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  abstract completeMultipartUpload(ref: ObjectRef, uploadId: string, parts: readonly PartETag[]): Promise<void>;

  /**
   * Ends an upload and frees its parts. An upload that is already gone is not an error.
   *
   * @throws AppError STORAGE_ERROR when the store fails.
   */
  abstract abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void>;

  /**
   * The multipart uploads still open under a key prefix, with when each was started.
   *
   * @throws AppError STORAGE_ERROR when the bucket does not exist or the store fails.
   */
  abstract listMultipartUploads(prefix: ObjectRef): AsyncGenerator<OpenMultipartUpload>;

  /**
   * A URL that lets anyone holding it PUT one part of a multipart upload
   * straight to the store until it expires. Resolves to undefined when the
   * store has no such URLs (the local disk): the caller then receives the
   * part itself and calls {@link uploadPart}.
   *
   * @param options.expiresInSeconds Lifetime of the URL, 1 to 604800.
   * @param options.contentLength When given, the URL accepts a body of exactly this many bytes only.
   * @throws AppError STORAGE_ERROR when the URL cannot be signed.
   */
  async presignUploadPart(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    options: { expiresInSeconds: number; contentLength?: number },
  ): Promise<string | undefined> {
    void ref;
    void uploadId;
    void partNumber;
    void options;
    return Promise.resolve(undefined);
  }
}

/** Options of {@link ObjectStore.presignGet}. */
export interface PresignGetOptions {
  /** Seconds, 1 to 604800. */
  expiresInSeconds: number;
  contentType?: string;
}

/** S3's smallest part, except the last: 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's most parts in one upload. */
export const MAX_PARTS = 10_000;

/** Options of {@link ObjectStore.createMultipartUpload}. */
export interface MultipartOptions {
  contentType: string;
  metadata?: Record<string, string>;
}

/** A part as the store holds it. */
export interface UploadedPart {
  /** 1 to 10,000. */
  partNumber: number;
  /** As the store returned it, quotes included: what completion must name. */
  etag: string;
  /** In bytes. */
  size: number;
  lastModified?: Date;
}

/** A part named for {@link ObjectStore.completeMultipartUpload}. */
export interface PartETag {
  partNumber: number;
  etag: string;
}

/** One open upload found by {@link ObjectStore.listMultipartUploads}. */
export interface OpenMultipartUpload {
  key: string;
  uploadId: string;
  /** When it was started; undefined when the store does not say. */
  initiated?: Date;
}

const METADATA_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const METADATA_VALUE = /^[\x20-\x7e]{0,1024}$/;
/** S3 allows 2 KiB of user metadata, keys and values together. */
const MAX_METADATA_BYTES = 2048;

/**
 * Checks user metadata both adapters can store as is: lower-case keys of
 * letters, digits and "-" (S3 lower-cases header names), printable ASCII
 * values (they travel as HTTP headers), at most 2 KiB in all.
 *
 * @throws AppError VALIDATION_FAILED naming the first problem.
 */
export function assertValidMetadata(metadata: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) throw new AppError('VALIDATION_FAILED', `metadata key "${key}" is not allowed`);
    if (!METADATA_VALUE.test(value)) {
      throw new AppError('VALIDATION_FAILED', `metadata value of "${key}" must be printable ASCII, at most 1024 bytes`);
    }
    bytes += key.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) throw new AppError('VALIDATION_FAILED', 'object metadata exceeds 2 KiB');
}
