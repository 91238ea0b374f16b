import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { Principal } from '../auth/api-keys';

/**
 * Event-stream tokens: `?token=` on GET /events and GET /jobs/{id}/events,
 * for `EventSource`, which cannot send an Authorization header. A token
 * (from POST /events/token) names the key it was issued to and whether that
 * key is an admin, expires after SSE_TOKEN_TTL_SECONDS, and is signed with
 * HMAC-SHA256 under the playback key (PLAYBACK_SIGNING_SECRET) with a context
 * of its own, so neither kind of token is accepted as the other. It is
 * checked only when a stream connects: a stream outlives its token.
 *
 * Layout, then base64url without padding:
 *   version (1 byte, 1) | expiry (8 bytes, unix seconds, big-endian) |
 *   flags (1 byte; bit 0: admin) | key id (UTF-8, 1–64 bytes) | HMAC-SHA256 (32 bytes)
 */

export interface EventsTokenClaims {
  principal: Principal;
  /** Unix seconds; the token is refused from this second on. */
  expiresAt: number;
}

const VERSION = 1;
const HEADER_BYTES = 1 + 8 + 1;
const MAC_BYTES = 32;
const MAX_KEY_ID_BYTES = 64;
// Domain separation from playback tokens, which the same key signs.
const CONTEXT = 'mediaflow-events-v1\n';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
const ADMIN_FLAG = 1;

function mac(secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(CONTEXT).update(payload).digest();
}

/**
 * Signs a token for a key.
 *
 * @param claims `expiresAt` in unix seconds.
 * @returns base64url text, about 70 characters.
 * @throws AppError INTERNAL for a key id that is empty or longer than 64 bytes, or a bad expiry (a bug).
 */
export function signEventsToken(secret: Buffer, claims: EventsTokenClaims): string {
  const keyId = Buffer.from(claims.principal.keyId, 'utf8');
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID_BYTES) {
    throw new AppError('INTERNAL', 'an events token needs a key id of 1 to 64 bytes');
  }
  if (!Number.isSafeInteger(claims.expiresAt) || claims.expiresAt < 0) {
    throw new AppError('INTERNAL', 'an events token needs a whole, non-negative expiry');
  }
  const payload = Buffer.alloc(HEADER_BYTES + keyId.length);
  payload.writeUInt8(VERSION, 0);
  payload.writeBigUInt64BE(BigInt(claims.expiresAt), 1);
  payload.writeUInt8(claims.principal.admin ? ADMIN_FLAG : 0, 9);
  keyId.copy(payload, HEADER_BYTES);
  return Buffer.concat([payload, mac(secret, payload)]).toString('base64url');
}

/**
 * Checks a token's signature (in constant time), then its expiry.
 *
 * @param options.nowSeconds The current unix time in seconds.
 * @returns Who the token speaks for.
 * @throws AppError EVENTS_TOKEN_INVALID (401) for a malformed, forged or expired token (the message says which).
 */
export function verifyEventsToken(secret: Buffer, token: string, options: { nowSeconds: number }): EventsTokenClaims {
  const invalid = new AppError('EVENTS_TOKEN_INVALID', 'the events token is not valid; ask POST /events/token again');
  if (!TOKEN_PATTERN.test(token)) throw invalid;
  const bytes = Buffer.from(token, 'base64url');
  // Node ignores trailing bits and stray characters; only the canonical spelling of a token is accepted.
  if (bytes.toString('base64url') !== token) throw invalid;
  if (bytes.length <= HEADER_BYTES + MAC_BYTES || bytes.length > HEADER_BYTES + MAX_KEY_ID_BYTES + MAC_BYTES) {
    throw invalid;
  }
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  if (!timingSafeEqual(bytes.subarray(bytes.length - MAC_BYTES), mac(secret, payload))) throw invalid;
  if (payload.readUInt8(0) !== VERSION) throw invalid;
  const expiresAt = Number(payload.readBigUInt64BE(1));
  const flags = payload.readUInt8(9);
  if ((flags & ~ADMIN_FLAG) !== 0) throw invalid;
  const keyId = payload.subarray(HEADER_BYTES).toString('utf8');
  if (options.nowSeconds >= expiresAt) {
    throw new AppError(
      'EVENTS_TOKEN_INVALID',
      'the events token has expired (tokens are for connecting at once); ask POST /events/token again',
    );
  }
  return { principal: { keyId, admin: (flags & ADMIN_FLAG) !== 0 }, expiresAt };
}
