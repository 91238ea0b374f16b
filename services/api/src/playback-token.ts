import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';

/**
 * Playback tokens: `/play/<token>/<path>` URLs that a browser's video player
 * can fetch without an API key. A token binds one job and an expiry and is
 * signed with HMAC-SHA256; it is a path segment, so the relative URIs inside
 * playlists and MPDs resolve to URLs carrying the same token.
 *
 * Layout, then base64url without padding:
 *   version (1 byte, 1) | expiry (8 bytes, unix seconds, big-endian) |
 *   job id (UTF-8, 1–64 bytes) | HMAC-SHA256 over all of the above (32 bytes)
 */

export interface PlaybackClaims {
  jobId: string;
  /** Unix seconds; the token is refused from this second on. */
  expiresAt: number;
}

const VERSION = 1;
const HEADER_BYTES = 1 + 8;
const MAC_BYTES = 32;
const MAX_JOB_ID_BYTES = 64;
// Domain separation: this key signs nothing else, but a future second use must not accept these MACs.
const CONTEXT = 'mediaflow-playback-v1\n';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

function mac(secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(CONTEXT).update(payload).digest();
}

/**
 * Signs a token for a job.
 *
 * @param secret The HMAC key (PLAYBACK_SIGNING_SECRET's bytes, or a random one).
 * @param claims `expiresAt` in unix seconds.
 * @returns base64url text, about 100 characters for a UUID job id.
 * @throws AppError INTERNAL for a job id that is empty or longer than 64 bytes, or a bad expiry (a bug).
 */
export function signPlaybackToken(secret: Buffer, claims: PlaybackClaims): string {
  const jobId = Buffer.from(claims.jobId, 'utf8');
  if (jobId.length === 0 || jobId.length > MAX_JOB_ID_BYTES) {
    throw new AppError('INTERNAL', 'a playback token needs a job id of 1 to 64 bytes');
  }
  if (!Number.isSafeInteger(claims.expiresAt) || claims.expiresAt < 0) {
    throw new AppError('INTERNAL', 'a playback token needs a whole, non-negative expiry');
  }
  const payload = Buffer.alloc(HEADER_BYTES + jobId.length);
  payload.writeUInt8(VERSION, 0);
  payload.writeBigUInt64BE(BigInt(claims.expiresAt), 1);
  jobId.copy(payload, HEADER_BYTES);
  return Buffer.concat([payload, mac(secret, payload)]).toString('base64url');
}

/**
 * Checks a token's signature (in constant time), then its expiry and, when
 * given, that it was issued for `expectedJobId`.
 *
 * @param options.nowSeconds The current unix time in seconds.
 * @returns The claims the token carries.
 * @throws AppError PLAYBACK_TOKEN_INVALID (403) for a malformed or forged
 *   token, or one for another job.
 * @throws AppError PLAYBACK_TOKEN_EXPIRED (403) for a genuine token whose expiry has passed.
 */
export function verifyPlaybackToken(
  secret: Buffer,
  token: string,
  options: { nowSeconds: number; expectedJobId?: string },
): PlaybackClaims {
  const invalid = new AppError('PLAYBACK_TOKEN_INVALID', 'the playback token is not valid');
  if (!TOKEN_PATTERN.test(token)) throw invalid;
  const bytes = Buffer.from(token, 'base64url');
  // Node ignores trailing bits and stray characters; only the canonical spelling of a token is accepted.
  if (bytes.toString('base64url') !== token) throw invalid;
  if (bytes.length <= HEADER_BYTES + MAC_BYTES || bytes.length > HEADER_BYTES + MAX_JOB_ID_BYTES + MAC_BYTES) {
    throw invalid;
  }
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  if (!timingSafeEqual(bytes.subarray(bytes.length - MAC_BYTES), mac(secret, payload))) throw invalid;
  if (payload.readUInt8(0) !== VERSION) throw invalid;
  const expiresAt = Number(payload.readBigUInt64BE(1));
  const jobId = payload.subarray(HEADER_BYTES).toString('utf8');
  if (options.expectedJobId !== undefined && jobId !== options.expectedJobId) throw invalid;
  if (options.nowSeconds >= expiresAt) {
    throw new AppError(
      'PLAYBACK_TOKEN_EXPIRED',
      'the playback token has expired; ask GET /jobs/{job_id}/playback again',
    );
  }
  return { jobId, expiresAt };
}

/**
 * The signing key: PLAYBACK_SIGNING_SECRET, or else 32 random bytes for this
 * process, with a warning, since tokens then fail on every other replica and
 * after a restart.
 */
export function playbackSigningKey(config: Pick<AppConfig, 'PLAYBACK_SIGNING_SECRET'>, logger: Logger): Buffer {
  if (config.PLAYBACK_SIGNING_SECRET !== undefined) return Buffer.from(config.PLAYBACK_SIGNING_SECRET, 'utf8');
  logger.warn(
    'PLAYBACK_SIGNING_SECRET is not set: playback URLs are signed with a random key of this process and are ' +
      'valid only on this replica until it restarts; set it (32+ characters) to the same value on every replica',
  );
  return randomBytes(32);
}
