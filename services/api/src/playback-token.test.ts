import { randomBytes } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import { signPlaybackToken, verifyPlaybackToken } from './playback-token';

const secret = randomBytes(32);
const jobId = '0b6f3c52-5d5e-4a8e-9d1b-1f6a2b3c4d5e';
const now = 1_800_000_000;

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

describe('playback tokens', () => {
  const token = signPlaybackToken(secret, { jobId, expiresAt: now + 3600 });

  it('verifies what it signed, as one base64url path segment', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyPlaybackToken(secret, token, { nowSeconds: now })).toEqual({ jobId, expiresAt: now + 3600 });
    expect(verifyPlaybackToken(secret, token, { nowSeconds: now, expectedJobId: jobId }).jobId).toBe(jobId);
  });

  it('refuses a token from its expiry second on', () => {
    expect(verifyPlaybackToken(secret, token, { nowSeconds: now + 3599 }).jobId).toBe(jobId);
    expect(codeOf(() => verifyPlaybackToken(secret, token, { nowSeconds: now + 3600 }))).toBe('PLAYBACK_TOKEN_EXPIRED');
  });

  it('refuses a token for another job', () => {
    expect(
      codeOf(() =>
        verifyPlaybackToken(secret, token, { nowSeconds: now, expectedJobId: '11111111-2222-4333-8444-555555555555' }),
      ),
    ).toBe('PLAYBACK_TOKEN_INVALID');
  });

  it('refuses a token signed with another key', () => {
    const forged = signPlaybackToken(randomBytes(32), { jobId, expiresAt: now + 3600 });
    expect(codeOf(() => verifyPlaybackToken(secret, forged, { nowSeconds: now }))).toBe('PLAYBACK_TOKEN_INVALID');
  });

  it('refuses any tampered byte: expiry, job id or MAC', () => {
    const bytes = Buffer.from(token, 'base64url');
    for (let index = 0; index < bytes.length; index += 1) {
      const tampered = Buffer.from(bytes);
      tampered[index] ^= 0x01;
      expect(codeOf(() => verifyPlaybackToken(secret, tampered.toString('base64url'), { nowSeconds: now }))).toBe(
        'PLAYBACK_TOKEN_INVALID',
      );
    }
    // An expiry moved later with the old MAC is a forgery, not a longer token.
    const later = Buffer.from(bytes);
    later.writeBigUInt64BE(BigInt(now + 999_999), 1);
    expect(codeOf(() => verifyPlaybackToken(secret, later.toString('base64url'), { nowSeconds: now }))).toBe(
      'PLAYBACK_TOKEN_INVALID',
    );
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$def'],
    ['padded', `${token}=`],
    ['truncated', token.slice(0, -4)],
    ['too short', 'AAAA'],
    ['too long', 'A'.repeat(300)],
    ['a dot', `${token}.x`],
  ])('refuses a malformed token (%s)', (_name, value) => {
    expect(codeOf(() => verifyPlaybackToken(secret, value, { nowSeconds: now }))).toBe('PLAYBACK_TOKEN_INVALID');
  });

  it('refuses a non-canonical spelling of a genuine token', () => {
    // The last character carries unused low bits when the length is not a multiple of 3.
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length % 3 !== 0) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(token.at(-1) ?? 'A');
      const sibling = `${token.slice(0, -1)}${alphabet[last ^ 1]}`;
      expect(Buffer.from(sibling, 'base64url').equals(bytes)).toBe(true);
      expect(codeOf(() => verifyPlaybackToken(secret, sibling, { nowSeconds: now }))).toBe('PLAYBACK_TOKEN_INVALID');
    }
  });

  it('will not sign without a job id or with a bad expiry', () => {
    expect(codeOf(() => signPlaybackToken(secret, { jobId: '', expiresAt: now }))).toBe('INTERNAL');
    expect(codeOf(() => signPlaybackToken(secret, { jobId: 'x'.repeat(65), expiresAt: now }))).toBe('INTERNAL');
    expect(codeOf(() => signPlaybackToken(secret, { jobId, expiresAt: 1.5 }))).toBe('INTERNAL');
  });
});
