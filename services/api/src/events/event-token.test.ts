import { randomBytes } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import { signPlaybackToken } from '../playback-token';
import { signEventsToken, verifyEventsToken } from './event-token';

const secret = randomBytes(32);
const now = 1_800_000_000;
const alice = { keyId: 'alice', admin: false };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? `${error.code} ${error.status}` : String(error);
  }
}

describe('events tokens', () => {
  it('round-trips the key and its admin flag until the expiry', () => {
    const token = signEventsToken(secret, { principal: alice, expiresAt: now + 60 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyEventsToken(secret, token, { nowSeconds: now + 59 })).toEqual({
      principal: alice,
      expiresAt: now + 60,
    });
    const admin = signEventsToken(secret, { principal: { keyId: 'root', admin: true }, expiresAt: now + 60 });
    expect(verifyEventsToken(secret, admin, { nowSeconds: now }).principal).toEqual({ keyId: 'root', admin: true });
  });

  it('refuses an expired token with 401 EVENTS_TOKEN_INVALID naming the expiry', () => {
    const token = signEventsToken(secret, { principal: alice, expiresAt: now + 60 });
    expect(codeOf(() => verifyEventsToken(secret, token, { nowSeconds: now + 60 }))).toBe('EVENTS_TOKEN_INVALID 401');
    expect(() => verifyEventsToken(secret, token, { nowSeconds: now + 60 })).toThrow(/expired/);
  });

  it('refuses forged, altered, re-spelt and foreign tokens', () => {
    const token = signEventsToken(secret, { principal: alice, expiresAt: now + 60 });
    const bytes = Buffer.from(token, 'base64url');
    const altered = (index: number): string => {
      const copy = Buffer.from(bytes);
      copy[index] ^= 1;
      return copy.toString('base64url');
    };
    const refused = [
      signEventsToken(randomBytes(32), { principal: alice, expiresAt: now + 60 }),
      altered(1), // expiry
      altered(9), // admin flag
      altered(12), // key id
      altered(bytes.length - 1), // MAC
      `${token}A`,
      token.slice(0, -1),
      '',
      'not a token!',
      'A'.repeat(300),
      // A playback token for the same key is not an events token (another context).
      signPlaybackToken(secret, { jobId: 'alice', expiresAt: now + 60 }),
    ];
    for (const candidate of refused) {
      expect(codeOf(() => verifyEventsToken(secret, candidate, { nowSeconds: now }))).toBe('EVENTS_TOKEN_INVALID 401');
    }
  });

  it('refuses to sign for an empty or overlong key id', () => {
    for (const keyId of ['', 'k'.repeat(65)]) {
      expect(codeOf(() => signEventsToken(secret, { principal: { keyId, admin: false }, expiresAt: now }))).toBe(
        'INTERNAL 500',
      );
    }
  });
});
