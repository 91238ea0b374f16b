import type { Readable } from 'node:stream';
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

  abstract close(): Promise<void>;
}
