import { createHash } from 'node:crypto';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import type { ObjectStore } from './object-store';

/** Object metadata key holding the API key id that uploaded the object. */
export const OWNER_METADATA_KEY = 'owner';
/** Object metadata key holding the object's SHA-256, 64 lower-case hex digits. */
export const SHA256_METADATA_KEY = 'sha256';
/**
 * Object metadata key holding the name the client gave the file, percent-encoded
 * (metadata values are printable ASCII; the name is already sanitised, at most
 * 200 UTF-8 bytes, so at most 600 characters here). Kept for uploads whose key
 * does not carry the name (tus: `uploads/tus/<hex>`), so outputs can still be
 * named after the user's file.
 */
export const FILENAME_METADATA_KEY = 'filename';
/** Where every upload lands in the input bucket; an object here with no owner is nobody's (admin only). */
export const UPLOADS_PREFIX = 'uploads/';

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** What an upload records about itself, read from its object's metadata. */
export interface UploadInfo {
  /** In bytes. */
  size: number;
  contentType: string;
  /** The API key id that uploaded it; absent for objects placed by an operator or uploaded before owners were recorded. */
  owner?: string;
  /** SHA-256 of the whole object (hex); absent until the upload completed, or for objects not uploaded through the API. */
  sha256?: string;
  /** The client's (sanitised) file name, decoded; absent when the key already carries it or none was given. */
  filename?: string;
}

/** The metadata entry recording a (sanitised) file name; see {@link FILENAME_METADATA_KEY}. */
export function filenameMetadata(filename: string): Record<string, string> {
  return { [FILENAME_METADATA_KEY]: encodeURIComponent(filename) };
}

function decodeFilename(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const decoded = decodeURIComponent(value);
    // A name is one path segment: anything else was not written by filenameMetadata.
    return decoded.includes('/') || decoded.includes('\\') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/**
 * The name a job's outputs are derived from: the file name recorded with the
 * upload when there is one (a tus upload's key is only an id), else the
 * key's last segment.
 */
export function sourceFileName(ref: ObjectRef, info: Pick<UploadInfo, 'filename'> | null): string {
  return info?.filename ?? ref.key.slice(ref.key.lastIndexOf('/') + 1);
}

/**
 * An object's size, owner and SHA-256, from one HEAD: null when it does not exist.
 *
 * @throws AppError STORAGE_ERROR when the store fails.
 */
export async function uploadInfo(store: ObjectStore, ref: ObjectRef): Promise<UploadInfo | null> {
  const info = await store.head(ref);
  if (!info) return null;
  const owner = info.metadata?.[OWNER_METADATA_KEY];
  const sha256 = info.metadata?.[SHA256_METADATA_KEY];
  const filename = decodeFilename(info.metadata?.[FILENAME_METADATA_KEY]);
  return {
    size: info.size,
    contentType: info.contentType,
    ...(owner === undefined || owner === '' ? {} : { owner }),
    ...(sha256 !== undefined && SHA256_PATTERN.test(sha256) ? { sha256 } : {}),
    ...(filename === undefined ? {} : { filename }),
  };
}

/**
 * Whether a key may use an object as a job's source. An object that names an
 * owner belongs to that key (and admins). One without an owner under
 * `uploads/` of the input bucket is an upload from before owners were
 * recorded, or a tus upload's bookkeeping: admins only. Anything else (an
 * operator-placed object, another allowed bucket) is open to every key, as
 * ALLOWED_SOURCE_BUCKETS decides.
 *
 * @param viewer Undefined for internal callers, who may use anything.
 */
export function mayUseSource(
  info: Pick<UploadInfo, 'owner'>,
  ref: ObjectRef,
  viewer: { keyId: string; admin: boolean } | undefined,
  inputBucket: string | undefined,
): boolean {
  if (!viewer || viewer.admin) return true;
  if (info.owner !== undefined) return info.owner === viewer.keyId;
  return !(ref.bucket === inputBucket && ref.key.startsWith(UPLOADS_PREFIX));
}

/**
 * Streams an object once and returns its SHA-256 and length.
 *
 * @throws AppError NOT_FOUND when it does not exist; STORAGE_ERROR when the store fails.
 */
export async function hashObject(store: ObjectStore, ref: ObjectRef): Promise<{ sha256: string; size: number }> {
  const { body } = await store.get(ref);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
    }
  } catch (error) {
    throw new AppError('STORAGE_ERROR', `object storage failed while reading ${formatS3Uri(ref)}`, { cause: error });
  }
  return { sha256: hash.digest('hex'), size };
}
