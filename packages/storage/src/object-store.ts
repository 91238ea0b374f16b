import type { Readable } from 'node:stream';
import { AppError, assertSafeKey } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';

export interface ObjectInfo {
  size: number;
  contentType: string;
  lastModified?: Date;
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
}

/** Options of {@link ObjectStore.presignGet}. */
export interface PresignGetOptions {
  /** Seconds, 1 to 604800. */
  expiresInSeconds: number;
  contentType?: string;
}
