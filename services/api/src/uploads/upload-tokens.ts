import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';

/**
 * Multipart upload ids and embedded-mode part tokens.
 *
 * An upload id is the upload's whole state, sealed with AES-256-GCM: nothing
 * is stored, any replica holding the secret can act on it, and the holder can
 * neither read nor alter it (a changed byte fails authentication). It binds
 * the owner, so another key presenting it gets 404 like for a made-up id.
 *
 * Layout, then base64url without padding:
 *   version (1 byte, 1) | IV (12 bytes) | AES-256-GCM(JSON state) | tag (16 bytes)
 */

export interface UploadState {
  bucket: string;
  key: string;
  /** The store's upload id (S3 UploadId). */
  uploadId: string;
  /** The API key id that created it. */
  owner: string;
  /** Declared size, bytes. */
  size: number;
  contentType: string;
  /** Bytes per part, all but the last. */
  partSize: number;
  /** Unix seconds. */
  createdAt: number;
}

/** Keys derived from one secret, each for one use. */
export interface UploadKeys {
  /** AES-256-GCM key for upload ids. */
  seal: Buffer;
  /** HMAC-SHA256 key for embedded-mode part tokens. */
  partMac: Buffer;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed id stays a comfortable URL path segment: the key alone is at most 1 KiB. */
const MAX_ID_CHARS = 4096;
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const PART_TOKEN_BYTES = 8 + 32;

/**
 * UPLOAD_SIGNING_SECRET, else PLAYBACK_SIGNING_SECRET (the two uses get
 * different derived keys), else 32 random bytes for this process, with a
 * warning: ids then work only on this replica until it restarts.
 */
export function uploadKeys(
  config: Pick<AppConfig, 'UPLOAD_SIGNING_SECRET' | 'PLAYBACK_SIGNING_SECRET'>,
  logger: Logger,
): UploadKeys {
  const configured = config.UPLOAD_SIGNING_SECRET ?? config.PLAYBACK_SIGNING_SECRET;
  if (configured === undefined) {
    logger.warn(
      'UPLOAD_SIGNING_SECRET is not set: multipart upload ids are sealed with a random key of this process and ' +
        'cannot be resumed on another replica or after a restart; set it (32+ characters) on every replica',
    );
  }
  const secret = configured === undefined ? randomBytes(32) : Buffer.from(configured, 'utf8');
  const derive = (label: string): Buffer => Buffer.from(hkdfSync('sha256', secret, '', label, 32));
  return { seal: derive('mediaflow-upload-id-v1'), partMac: derive('mediaflow-upload-part-v1') };
}

/** Seals an upload's state into its opaque id (about 250-1,700 characters). */
export function sealUploadId(keys: UploadKeys, state: UploadState): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.seal, iv);
  const header = Buffer.from([VERSION]);
  cipher.setAAD(header);
  const plain = Buffer.from(
    JSON.stringify([
      state.bucket,
      state.key,
      state.uploadId,
      state.owner,
      state.size,
      state.contentType,
      state.partSize,
      state.createdAt,
    ]),
    'utf8',
  );
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The state an id seals, or undefined for anything that is not a genuine id. */
export function openUploadId(keys: UploadKeys, id: string): UploadState | undefined {
  if (id.length > MAX_ID_CHARS || !ID_PATTERN.test(id)) return undefined;
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.toString('base64url') !== id || bytes.length <= 1 + IV_BYTES + TAG_BYTES) return undefined;
  if (bytes.readUInt8(0) !== VERSION) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.seal, bytes.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(bytes.subarray(0, 1));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const parsed: unknown = JSON.parse(plain.toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 8) return undefined;
    const [bucket, key, uploadId, owner, size, contentType, partSize, createdAt] = parsed as unknown[];
    if (
      typeof bucket !== 'string' ||
      typeof key !== 'string' ||
      typeof uploadId !== 'string' ||
      typeof owner !== 'string' ||
      typeof contentType !== 'string' ||
      typeof size !== 'number' ||
      typeof partSize !== 'number' ||
      typeof createdAt !== 'number'
    ) {
      return undefined;
    }
    return { bucket, key, uploadId, owner, size, contentType, partSize, createdAt };
  } catch {
    // A forged or damaged id fails authentication: the same answer as no id at all.
    return undefined;
  }
}

function partMac(keys: UploadKeys, uploadId: string, partNumber: number, expiresAt: number): Buffer {
  return createHmac('sha256', keys.partMac).update(`${uploadId}\n${partNumber}\n${expiresAt}`).digest();
}

/**
 * A token for `PUT /uploads/{id}/parts/{n}?token=…` (embedded mode):
 * expiry (8 bytes, unix seconds) | HMAC-SHA256 over id, part number and expiry.
 */
export function signPartToken(keys: UploadKeys, uploadId: string, partNumber: number, expiresAt: number): string {
  const expiry = Buffer.alloc(8);
  expiry.writeBigUInt64BE(BigInt(expiresAt));
  return Buffer.concat([expiry, partMac(keys, uploadId, partNumber, expiresAt)]).toString('base64url');
}

/**
 * @throws AppError UPLOAD_URL_INVALID (403) for a malformed token or one for another upload or part.
 * @throws AppError UPLOAD_URL_EXPIRED (403) for a genuine token past its expiry.
 */
export function verifyPartToken(
  keys: UploadKeys,
  token: unknown,
  uploadId: string,
  partNumber: number,
  nowSeconds: number,
): void {
  const invalid = new AppError('UPLOAD_URL_INVALID', 'the part URL is not valid');
  if (typeof token !== 'string' || !ID_PATTERN.test(token)) throw invalid;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== PART_TOKEN_BYTES || bytes.toString('base64url') !== token) throw invalid;
  const expiresAt = Number(bytes.readBigUInt64BE(0));
  if (!timingSafeEqual(bytes.subarray(8), partMac(keys, uploadId, partNumber, expiresAt))) throw invalid;
  if (nowSeconds >= expiresAt) {
    throw new AppError('UPLOAD_URL_EXPIRED', 'the part URL has expired; ask GET /uploads/{upload_id}/parts again');
  }
}
