import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, assertSafeKey, formatS3Uri } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import { DEFAULT_CONTENT_TYPE } from './content-type';
import { ObjectStore } from './object-store';
import type { ByteRange, ObjectInfo, ObjectStream, PutOptions } from './object-store';
import { abortedError, failureReason } from './store-errors';

// Bucket names cannot start with a dot, so these never collide with a bucket.
const META_DIR = '.meta';
const TMP_DIR = '.tmp';
const META_SUFFIX = '.meta.json';
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

interface Sidecar {
  contentType: string;
}

interface Located {
  file: string;
  sidecar: string;
}

/**
 * Objects as files under `<rootDir>/<bucket>/<key>` for the embedded mode.
 * Content types live in a parallel `<rootDir>/.meta/<bucket>/<key>.meta.json`
 * tree so no key can collide with a sidecar. Writes land in a temp file that
 * is renamed into place, so readers never see half an object.
 *
 * Unlike S3, a key cannot be both an object and a "folder" (`a` and `a/b`).
 */
export class LocalDiskObjectStore extends ObjectStore {
  private readonly root: string;

  constructor(rootDir: string) {
    super();
    this.root = path.resolve(rootDir);
  }

  async ensureBucket(bucket: string): Promise<void> {
    const ref = { bucket, key: '' };
    try {
      await mkdir(this.bucketDir(bucket), { recursive: true });
      await mkdir(path.join(this.root, META_DIR, bucket), { recursive: true });
      await mkdir(path.join(this.root, TMP_DIR), { recursive: true });
    } catch (error) {
      throw this.storageError(error, 'create bucket', ref);
    }
  }

  async ping(bucket: string): Promise<void> {
    try {
      await access(this.bucketDir(bucket), fsConstants.R_OK | fsConstants.W_OK);
    } catch (error) {
      throw new AppError('STORAGE_ERROR', `bucket directory for "${bucket}" is missing or not writable`, {
        cause: error,
      });
    }
  }

  async put(ref: ObjectRef, body: Readable | Buffer, options: PutOptions): Promise<ObjectInfo> {
    const { signal } = options;
    const { file, sidecar } = this.locate(ref);
    if (signal?.aborted) throw abortedError('upload', ref, signal);
    const tmpDir = path.join(this.root, TMP_DIR);
    const tmpFile = path.join(tmpDir, `${randomUUID()}.part`);
    const tmpSidecar = `${tmpFile}${META_SUFFIX}`;
    try {
      await this.requireBucket(ref);
      await mkdir(tmpDir, { recursive: true });
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(tmpFile, { flags: 'wx' }), signal ? { signal } : {});
      const written = await stat(tmpFile);
      const meta: Sidecar = { contentType: options.contentType };
      await writeFile(tmpSidecar, JSON.stringify(meta), { flag: 'wx' });
      await mkdir(path.dirname(file), { recursive: true });
      await mkdir(path.dirname(sidecar), { recursive: true });
      // Sidecar first: a reader that sees the new bytes also sees their type.
      await rename(tmpSidecar, sidecar);
      await rename(tmpFile, file);
      return { size: written.size, contentType: options.contentType, lastModified: written.mtime };
    } catch (error) {
      await Promise.all([rm(tmpFile, { force: true }), rm(tmpSidecar, { force: true })]);
      if (signal?.aborted) throw abortedError('upload', ref, signal);
      throw this.storageError(error, 'write', ref);
    }
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | null> {
    const { file, sidecar } = this.locate(ref);
    let stats: Stats;
    try {
      stats = await stat(file);
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.storageError(error, 'inspect', ref);
    }
    if (!stats.isFile()) return null;
    return { size: stats.size, contentType: await readContentType(sidecar), lastModified: stats.mtime };
  }

  async get(ref: ObjectRef, range?: ByteRange): Promise<ObjectStream> {
    const { file, sidecar } = this.locate(ref);
    // Open first and stat the handle, so size and bytes come from the same
    // file even if a put renames a new one into place meanwhile.
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw isMissing(error) ? notFound(ref, error) : this.storageError(error, 'read', ref);
    });
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw notFound(ref);
      const contentType = await readContentType(sidecar);
      const info = { size: stats.size, contentType, lastModified: stats.mtime };
      if (!range) return { ...info, body: handle.createReadStream() };
      if (range.start < 0 || range.end < range.start || range.start >= stats.size) {
        throw new AppError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${formatS3Uri(ref)}`);
      }
      const served = { start: range.start, end: Math.min(range.end, stats.size - 1) };
      return { ...info, range: served, body: handle.createReadStream({ start: served.start, end: served.end }) };
    } catch (error) {
      await handle.close();
      throw error instanceof AppError ? error : this.storageError(error, 'read', ref);
    }
  }

  async download(ref: ObjectRef, filePath: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortedError('download', ref, signal);
    const { body } = await this.get(ref);
    try {
      await pipeline(body, createWriteStream(filePath), signal ? { signal } : {});
    } catch (error) {
      await rm(filePath, { force: true });
      if (signal?.aborted) throw abortedError('download', ref, signal);
      throw this.storageError(error, 'download', ref);
    }
  }

  async delete(ref: ObjectRef): Promise<void> {
    const { file, sidecar } = this.locate(ref);
    try {
      await rm(file, { force: true });
      await rm(sidecar, { force: true });
    } catch (error) {
      throw this.storageError(error, 'delete', ref);
    }
  }

  async close(): Promise<void> {
    return Promise.resolve();
  }

  /** As on S3, writing into a bucket nobody created is a deployment fault. */
  private async requireBucket(ref: ObjectRef): Promise<void> {
    const exists = await stat(this.bucketDir(ref.bucket)).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (!exists) throw new AppError('STORAGE_ERROR', `bucket "${ref.bucket}" does not exist`);
  }

  private bucketDir(bucket: string): string {
    if (!BUCKET_PATTERN.test(bucket)) {
      throw new AppError('INVALID_SOURCE', `bucket name "${bucket}" is not valid`);
    }
    return path.join(this.root, bucket);
  }

  /**
   * Keys are validated upstream; this refuses anything that would still
   * resolve outside the bucket's directory, in case a caller forgot.
   */
  private locate(ref: ObjectRef): Located {
    assertSafeKey(ref.key);
    const bucketDir = this.bucketDir(ref.bucket);
    const metaDir = path.join(this.root, META_DIR, ref.bucket);
    const file = path.resolve(bucketDir, ref.key);
    const sidecar = path.resolve(metaDir, `${ref.key}${META_SUFFIX}`);
    if (!file.startsWith(bucketDir + path.sep) || !sidecar.startsWith(metaDir + path.sep)) {
      throw new AppError('INVALID_SOURCE', 'object key escapes its bucket');
    }
    return { file, sidecar };
  }

  private storageError(error: unknown, action: string, ref: ObjectRef): AppError {
    if (error instanceof AppError) return error;
    return new AppError(
      'STORAGE_ERROR',
      `local object store failed to ${action} ${formatS3Uri(ref)} (${failureReason(error)})`,
      { cause: error },
    );
  }
}

function isMissing(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  // ENOTDIR: a path component is a file, as when `a` exists and `a/b` is asked for.
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function notFound(ref: ObjectRef, cause?: unknown): AppError {
  return new AppError('NOT_FOUND', `${formatS3Uri(ref)} does not exist`, { cause });
}

async function readContentType(sidecar: string): Promise<string> {
  try {
    const parsed: unknown = JSON.parse(await readFile(sidecar, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'contentType' in parsed) {
      const { contentType } = parsed;
      if (typeof contentType === 'string' && contentType !== '') return contentType;
    }
  } catch {
    // A missing or unreadable sidecar only loses the type, not the object.
  }
  return DEFAULT_CONTENT_TYPE;
}
