import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, assertSafeKey, formatS3Uri } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import { DEFAULT_CONTENT_TYPE } from './content-type';
import { assertSafePrefix, assertValidMetadata, MAX_PARTS, MIN_PART_BYTES, ObjectStore } from './object-store';
import type {
  ByteRange,
  ListedObject,
  MultipartOptions,
  ObjectInfo,
  ObjectStream,
  OpenMultipartUpload,
  PartETag,
  PutOptions,
  UploadedPart,
} from './object-store';
import { abortedError, failureReason } from './store-errors';

// Bucket names cannot start with a dot, so these never collide with a bucket.
const META_DIR = '.meta';
const TMP_DIR = '.tmp';
const META_SUFFIX = '.meta.json';
const MULTIPART_DIR = '.multipart';
const MULTIPART_MANIFEST = 'upload.json';
const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/;
/** `p-<part number, 5 digits>-<md5 hex>`: the ETag is in the name, so it can never disagree with the bytes. */
const PART_FILE = /^p-(\d{5})-([0-9a-f]{32})$/;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

interface Sidecar {
  contentType: string;
  metadata?: Record<string, string>;
}

/** `.multipart/<upload id>/upload.json`: what the upload will become. */
interface MultipartManifest {
  bucket: string;
  key: string;
  contentType: string;
  metadata?: Record<string, string>;
  initiated: string;
}

interface Located {
  file: string;
  sidecar: string;
}

/** Where the keys under a prefix live, split at the prefix's last "/". */
interface LocatedPrefix {
  /** `<bucket>/<prefix up to its last "/">`: every matching key is below it. */
  dir: string;
  /** The same directory in the sidecar tree. */
  metaDir: string;
  /** The key of `dir` within the bucket: "" or ending in "/". */
  dirKey: string;
  /** The rest of the prefix: matching entries of `dir` start with it. */
  namePrefix: string;
  /** The sidecar tree's root for the bucket. */
  metaRoot: string;
  /** The prefix's parent directory, where pruning empty directories stops. */
  stopDir: string;
  metaStopDir: string;
}

interface WalkedFile {
  key: string;
  file: string;
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
    if (options.metadata) assertValidMetadata(options.metadata);
    try {
      await this.requireBucket(ref);
      await mkdir(tmpDir, { recursive: true });
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(tmpFile, { flags: 'wx' }), signal ? { signal } : {});
      const written = await stat(tmpFile);
      const meta: Sidecar = {
        contentType: options.contentType,
        ...(options.metadata ? { metadata: options.metadata } : {}),
      };
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
    const meta = await readSidecar(sidecar);
    return {
      size: stats.size,
      contentType: meta.contentType,
      lastModified: stats.mtime,
      metadata: meta.metadata ?? {},
    };
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

  /**
   * Walks the bucket's directory tree below the prefix, in key order. Only
   * regular files are objects: symbolic links and empty directories are not.
   */
  async *list(prefix: ObjectRef): AsyncGenerator<ListedObject> {
    const located = this.locatePrefix(prefix, { allowEmpty: true });
    try {
      await this.requireBucket(prefix);
      for await (const { key, file } of walk(located.dir, located.dirKey, located.namePrefix)) {
        const stats = await stat(file).catch((error: unknown) => {
          // Deleted since its directory was read.
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (stats?.isFile()) yield { key, size: stats.size, lastModified: stats.mtime };
      }
    } catch (error) {
      throw this.storageError(error, 'list', prefix);
    }
  }

  /**
   * Removes the files, their sidecars, and directories left empty below the
   * prefix's parent (which is kept, as is the bucket). A put racing into a
   * directory being pruned can fail with a (retryable) STORAGE_ERROR.
   */
  async deletePrefix(prefix: ObjectRef): Promise<number> {
    const located = this.locatePrefix(prefix, { allowEmpty: false });
    try {
      await this.requireBucket(prefix);
      // Collected first, so the walk never reads a directory being removed.
      const objects: WalkedFile[] = [];
      for await (const object of walk(located.dir, located.dirKey, located.namePrefix)) objects.push(object);
      let deleted = 0;
      for (const { key, file } of objects) {
        if (await removeFile(file)) deleted += 1;
        await rm(path.join(located.metaRoot, `${key}${META_SUFFIX}`), { force: true });
      }
      await pruneEmptyDirs(located.dir, located.namePrefix, located.stopDir);
      await pruneEmptyDirs(located.metaDir, located.namePrefix, located.metaStopDir);
      return deleted;
    } catch (error) {
      throw this.storageError(error, 'delete objects under', prefix);
    }
  }

  async close(): Promise<void> {
    return Promise.resolve();
  }

  /** Files on a local disk have no URL of their own: callers serve the bytes. */
  override async presignGet(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  /**
   * The file that holds an object, for a component that must write objects
   * with its own file I/O (the tus file store in the embedded mode).
   *
   * @throws AppError INVALID_SOURCE for a key that is not safe or escapes its bucket.
   */
  localPath(ref: ObjectRef): string {
    return this.locate(ref).file;
  }

  /** Rewrites the sidecar (temp file, then rename): the bytes are untouched. */
  async replaceMetadata(ref: ObjectRef, metadata: Record<string, string>): Promise<void> {
    assertValidMetadata(metadata);
    const { file, sidecar } = this.locate(ref);
    const stats = await stat(file).catch((error: unknown) => {
      throw isMissing(error) ? notFound(ref, error) : this.storageError(error, 'inspect', ref);
    });
    if (!stats.isFile()) throw notFound(ref);
    const tmpSidecar = path.join(this.root, TMP_DIR, `${randomUUID()}${META_SUFFIX}`);
    try {
      const meta: Sidecar = { contentType: (await readSidecar(sidecar)).contentType, metadata };
      await mkdir(path.dirname(tmpSidecar), { recursive: true });
      await writeFile(tmpSidecar, JSON.stringify(meta), { flag: 'wx' });
      await mkdir(path.dirname(sidecar), { recursive: true });
      await rename(tmpSidecar, sidecar);
    } catch (error) {
      await rm(tmpSidecar, { force: true });
      throw this.storageError(error, 'update the metadata of', ref);
    }
  }

  /** A directory `.multipart/<upload id>/` holding a manifest and the parts received. */
  async createMultipartUpload(ref: ObjectRef, options: MultipartOptions): Promise<string> {
    this.locate(ref);
    if (options.metadata) assertValidMetadata(options.metadata);
    const uploadId = randomUUID().replaceAll('-', '');
    const manifest: MultipartManifest = {
      bucket: ref.bucket,
      key: ref.key,
      contentType: options.contentType,
      ...(options.metadata ? { metadata: options.metadata } : {}),
      initiated: new Date().toISOString(),
    };
    try {
      await this.requireBucket(ref);
      await mkdir(this.multipartDir(uploadId), { recursive: true });
      await writeFile(path.join(this.multipartDir(uploadId), MULTIPART_MANIFEST), JSON.stringify(manifest), {
        flag: 'wx',
      });
      return uploadId;
    } catch (error) {
      throw this.storageError(error, 'start a multipart upload of', ref);
    }
  }

  /**
   * Streams into a temp file while hashing (MD5, S3's ETag of a part), then
   * renames it to `p-<n>-<md5>` and removes any earlier copy of the part.
   */
  async uploadPart(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    options: { contentLength?: number; signal?: AbortSignal },
  ): Promise<UploadedPart> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError('upload', ref, signal);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw new AppError('VALIDATION_FAILED', `part number must be 1 to ${MAX_PARTS}`);
    }
    const dir = await this.openMultipart(ref, uploadId);
    if (!dir) throw new AppError('NOT_FOUND', `no multipart upload ${uploadId} for ${formatS3Uri(ref)}`);
    const tmpFile = path.join(dir, `tmp-${randomUUID()}`);
    const hasher = new HashingCounter('md5');
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, hasher, createWriteStream(tmpFile, { flags: 'wx' }), signal ? { signal } : {});
      const md5 = hasher.digest();
      const name = `p-${String(partNumber).padStart(5, '0')}-${md5}`;
      await rename(tmpFile, path.join(dir, name));
      for (const entry of await readDirents(dir)) {
        const match = PART_FILE.exec(entry.name);
        if (match && Number(match[1]) === partNumber && entry.name !== name)
          await rm(path.join(dir, entry.name), { force: true });
      }
      return { partNumber, etag: `"${md5}"`, size: hasher.bytes };
    } catch (error) {
      await rm(tmpFile, { force: true });
      if (signal?.aborted) throw abortedError('upload', ref, signal);
      throw this.storageError(error, 'upload a part of', ref);
    }
  }

  async listParts(ref: ObjectRef, uploadId: string): Promise<UploadedPart[] | null> {
    const dir = await this.openMultipart(ref, uploadId);
    if (!dir) return null;
    try {
      return await this.partsIn(dir);
    } catch (error) {
      throw this.storageError(error, 'list the parts of', ref);
    }
  }

  /** Checks the list as S3 does, then streams the parts, in order, into the object through put(). */
  async completeMultipartUpload(ref: ObjectRef, uploadId: string, parts: readonly PartETag[]): Promise<void> {
    const dir = await this.openMultipart(ref, uploadId);
    if (!dir) throw new AppError('NOT_FOUND', `no multipart upload ${uploadId} for ${formatS3Uri(ref)}`);
    const manifest = await readManifest(dir);
    const held = new Map((await this.partsIn(dir)).map((part) => [part.partNumber, part]));
    if (parts.length === 0) throw new AppError('VALIDATION_FAILED', 'the part list is empty');
    const files: string[] = [];
    parts.forEach((part, index) => {
      const found = held.get(part.partNumber);
      if (index > 0 && part.partNumber <= parts[index - 1].partNumber) {
        throw new AppError('VALIDATION_FAILED', 'the part list does not match the uploaded parts (InvalidPartOrder)');
      }
      if (!found || found.etag !== normaliseETag(part.etag)) {
        throw new AppError('VALIDATION_FAILED', 'the part list does not match the uploaded parts (InvalidPart)');
      }
      if (index < parts.length - 1 && found.size < MIN_PART_BYTES) {
        throw new AppError('VALIDATION_FAILED', 'the part list does not match the uploaded parts (EntityTooSmall)');
      }
      files.push(path.join(dir, `p-${String(part.partNumber).padStart(5, '0')}-${found.etag.slice(1, -1)}`));
    });
    await this.put(ref, Readable.from(concatenate(files)), {
      contentType: manifest?.contentType ?? DEFAULT_CONTENT_TYPE,
      ...(manifest?.metadata ? { metadata: manifest.metadata } : {}),
    });
    await rm(dir, { recursive: true, force: true });
  }

  async abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void> {
    const dir = await this.openMultipart(ref, uploadId);
    if (!dir) return;
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      throw this.storageError(error, 'abort the multipart upload of', ref);
    }
  }

  async *listMultipartUploads(prefix: ObjectRef): AsyncGenerator<OpenMultipartUpload> {
    assertSafePrefix(prefix.key, { allowEmpty: true });
    await this.requireBucket(prefix);
    for (const entry of await readDirents(path.join(this.root, MULTIPART_DIR))) {
      if (!entry.isDirectory() || !UPLOAD_ID_PATTERN.test(entry.name)) continue;
      const manifest = await readManifest(this.multipartDir(entry.name));
      if (!manifest || manifest.bucket !== prefix.bucket || !manifest.key.startsWith(prefix.key)) continue;
      yield { key: manifest.key, uploadId: entry.name, initiated: new Date(manifest.initiated) };
    }
  }

  private multipartDir(uploadId: string): string {
    return path.join(this.root, MULTIPART_DIR, uploadId);
  }

  /** The upload's directory when it exists and was started for `ref`; undefined otherwise. */
  private async openMultipart(ref: ObjectRef, uploadId: string): Promise<string | undefined> {
    this.locate(ref);
    if (!UPLOAD_ID_PATTERN.test(uploadId)) return undefined;
    const dir = this.multipartDir(uploadId);
    const manifest = await readManifest(dir);
    return manifest?.bucket === ref.bucket && manifest.key === ref.key ? dir : undefined;
  }

  private async partsIn(dir: string): Promise<UploadedPart[]> {
    const parts = new Map<number, UploadedPart>();
    for (const entry of await readDirents(dir)) {
      const match = PART_FILE.exec(entry.name);
      if (!match) continue;
      const stats = await stat(path.join(dir, entry.name)).catch(() => undefined);
      if (!stats) continue;
      const part = { partNumber: Number(match[1]), etag: `"${match[2]}"`, size: stats.size, lastModified: stats.mtime };
      const earlier = parts.get(part.partNumber);
      // Two uploads of one part racing: the newer one is what S3 would keep.
      if (!earlier || (earlier.lastModified ?? 0) < part.lastModified) parts.set(part.partNumber, part);
    }
    return [...parts.values()].sort((a, b) => a.partNumber - b.partNumber);
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

  /** As locate(), for a key prefix: one trailing "/" is allowed, and "" when `allowEmpty`. */
  private locatePrefix(ref: ObjectRef, options: { allowEmpty: boolean }): LocatedPrefix {
    assertSafePrefix(ref.key, options);
    const bucketDir = this.bucketDir(ref.bucket);
    const metaRoot = path.join(this.root, META_DIR, ref.bucket);
    const dirKey = ref.key.slice(0, ref.key.lastIndexOf('/') + 1);
    const namePrefix = ref.key.slice(dirKey.length);
    const trimmed = ref.key.endsWith('/') ? ref.key.slice(0, -1) : ref.key;
    const parentKey = trimmed.slice(0, trimmed.lastIndexOf('/') + 1);
    const located = {
      dir: path.resolve(bucketDir, dirKey),
      metaDir: path.resolve(metaRoot, dirKey),
      dirKey,
      namePrefix,
      metaRoot,
      stopDir: path.resolve(bucketDir, parentKey),
      metaStopDir: path.resolve(metaRoot, parentKey),
    };
    const confined =
      isWithin(located.dir, bucketDir) &&
      isWithin(located.stopDir, bucketDir) &&
      isWithin(located.metaDir, metaRoot) &&
      isWithin(located.metaStopDir, metaRoot);
    if (!confined) {
      throw new AppError('INVALID_SOURCE', 'object key prefix escapes its bucket');
    }
    return located;
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

function isWithin(target: string, dir: string): boolean {
  return target === dir || target.startsWith(dir + path.sep);
}

async function readDirents(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * The files below `dir` whose names (at the top level only) start with
 * `namePrefix`, in key order: names sort by their UTF-8 bytes, a directory
 * as its name plus "/", so `a-b` comes before the keys under `a/`, as on S3.
 */
async function* walk(dir: string, dirKey: string, namePrefix = ''): AsyncGenerator<WalkedFile> {
  const entries = (await readDirents(dir))
    .filter((entry) => entry.name.startsWith(namePrefix) && (entry.isFile() || entry.isDirectory()))
    .map((entry) => ({ entry, order: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name) }))
    .sort((a, b) => Buffer.compare(a.order, b.order));
  for (const { entry } of entries) {
    const file = path.join(dir, entry.name);
    const key = `${dirKey}${entry.name}`;
    if (entry.isDirectory()) yield* walk(file, `${key}/`);
    else yield { key, file };
  }
}

/** False when the file was already gone. */
async function removeFile(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** False when the directory is not empty or not there. */
async function removeDirIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || isMissing(error)) return false;
    throw error;
  }
}

/** Removes the empty directories among the entries of `dir` named `namePrefix…`, deepest first. */
async function removeEmptySubdirs(dir: string, namePrefix = ''): Promise<void> {
  for (const entry of await readDirents(dir)) {
    if (!entry.isDirectory() || !entry.name.startsWith(namePrefix)) continue;
    const child = path.join(dir, entry.name);
    await removeEmptySubdirs(child);
    await removeDirIfEmpty(child);
  }
}

/** Then `dir` itself and its ancestors while they are empty, stopping before `stopDir`. */
async function pruneEmptyDirs(dir: string, namePrefix: string, stopDir: string): Promise<void> {
  await removeEmptySubdirs(dir, namePrefix);
  for (let current = dir; current !== stopDir && isWithin(current, stopDir); current = path.dirname(current)) {
    if (!(await removeDirIfEmpty(current))) return;
  }
}

function notFound(ref: ObjectRef, cause?: unknown): AppError {
  return new AppError('NOT_FOUND', `${formatS3Uri(ref)} does not exist`, { cause });
}

async function readContentType(sidecar: string): Promise<string> {
  return (await readSidecar(sidecar)).contentType;
}

async function readSidecar(sidecar: string): Promise<Sidecar> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(sidecar, 'utf8'));
  } catch {
    // A missing or unreadable sidecar only loses the type and metadata, not the object.
    return { contentType: DEFAULT_CONTENT_TYPE };
  }
  if (typeof parsed !== 'object' || parsed === null) return { contentType: DEFAULT_CONTENT_TYPE };
  const contentType = 'contentType' in parsed ? parsed.contentType : undefined;
  const metadata = 'metadata' in parsed ? stringRecord(parsed.metadata) : undefined;
  return {
    contentType: typeof contentType === 'string' && contentType !== '' ? contentType : DEFAULT_CONTENT_TYPE,
    ...(metadata ? { metadata } : {}),
  };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

async function readManifest(dir: string): Promise<MultipartManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, MULTIPART_MANIFEST), 'utf8')) as Partial<MultipartManifest>;
    if (typeof parsed.bucket !== 'string' || typeof parsed.key !== 'string' || typeof parsed.initiated !== 'string') {
      return undefined;
    }
    return {
      bucket: parsed.bucket,
      key: parsed.key,
      contentType: typeof parsed.contentType === 'string' ? parsed.contentType : DEFAULT_CONTENT_TYPE,
      ...(stringRecord(parsed.metadata) ? { metadata: stringRecord(parsed.metadata) } : {}),
      initiated: parsed.initiated,
    };
  } catch {
    return undefined;
  }
}

/** S3 accepts a part's ETag with or without its quotes. */
function normaliseETag(etag: string): string {
  const bare = etag.replace(/^"|"$/g, '');
  return `"${bare}"`;
}

async function* concatenate(files: readonly string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
  }
}

/** Passes bytes through, counting and hashing them. */
class HashingCounter extends Transform {
  bytes = 0;
  private readonly hash;
  constructor(algorithm: string) {
    super();
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
