import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/**
 * Password hashing: scrypt from node:crypto with OWASP's recommended
 * parameters (Password Storage Cheat Sheet): N = 2^15, r = 8, p = 3 (about
 * 32 MiB and a few tens of ms per hash on one core), a 32-byte random salt and
 * a 64-byte derived key. Hashes are stored PHC-style with their parameters,
 * `$scrypt$ln=15,r=8,p=3$<salt, base64 unpadded>$<key, base64 unpadded>`, so
 * the parameters can be raised later: verify() reads them from each hash, and
 * needsRehash() says when a stored hash is weaker than the current ones.
 */
export const SCRYPT_PARAMS = {
  /** log2(N), the CPU/memory cost. */
  ln: 15,
  /** Block size. */
  r: 8,
  /** Parallelisation. */
  p: 3,
  saltBytes: 32,
  keyBytes: 64,
} as const;

/** Password length bounds, in characters (code points). The upper one bounds the hashing work per request. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

// Hashes from the database are trusted to be ours, but bounded anyway: a bad row must not take 1 GiB.
const MAX_LN = 20;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedHash {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

async function derive(password: string, salt: Buffer, params: { ln: number; r: number; p: number }, bytes: number) {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, bytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const b64 = (buffer: Buffer): string => buffer.toString('base64').replace(/=+$/, '');

/** Hashes a password with SCRYPT_PARAMS and a fresh salt; the PHC-style string described above. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_PARAMS.saltBytes);
  const key = await derive(password, salt, SCRYPT_PARAMS, SCRYPT_PARAMS.keyBytes);
  return `$scrypt$ln=${SCRYPT_PARAMS.ln},r=${SCRYPT_PARAMS.r},p=${SCRYPT_PARAMS.p}$${b64(salt)}$${b64(key)}`;
}

/** The parts of a stored hash; undefined when it is not one of ours (or out of bounds). */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const match = PHC.exec(stored);
  if (!match) return undefined;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 1 || ln > MAX_LN || r < 1 || p < 1) return undefined;
  const salt = Buffer.from(match[4], 'base64');
  const key = Buffer.from(match[5], 'base64');
  if (salt.length < 16 || key.length < 32) return undefined;
  return { ln, r, p, salt, key };
}

/**
 * Whether `password` matches the stored hash, compared in constant time. A
 * hash that does not parse matches nothing (after the same work as a real
 * one, so its failure takes as long).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored) ?? parsePasswordHash(DUMMY_HASH);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed, parsed.key.length);
  return timingSafeEqual(key, parsed.key) && parsePasswordHash(stored) !== undefined;
}

/** Whether a stored hash was made with weaker parameters than SCRYPT_PARAMS (rehash it at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const parsed = parsePasswordHash(stored);
  return (
    !parsed ||
    parsed.ln < SCRYPT_PARAMS.ln ||
    parsed.r < SCRYPT_PARAMS.r ||
    parsed.p < SCRYPT_PARAMS.p ||
    parsed.key.length < SCRYPT_PARAMS.keyBytes
  );
}

/**
 * A hash of no one's password, with the current parameters: signing in with
 * an unknown email verifies against it, so the answer takes as long as for a
 * known email with a wrong password, and timing reveals no accounts.
 */
const DUMMY_HASH = `$scrypt$ln=${SCRYPT_PARAMS.ln},r=${SCRYPT_PARAMS.r},p=${SCRYPT_PARAMS.p}$${b64(
  Buffer.alloc(SCRYPT_PARAMS.saltBytes, 0x5a),
)}$${b64(Buffer.alloc(SCRYPT_PARAMS.keyBytes, 0xa5))}`;

/** Does the work of verifyPassword and returns false: for unknown emails. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}
