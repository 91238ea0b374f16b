import { scryptSync } from 'node:crypto';
import {
  hashPassword,
  needsRehash,
  parsePasswordHash,
  SCRYPT_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords';

// N = 2^15 with p = 3 is meant to be slow: a few hashes take seconds on a loaded CI machine.
jest.setTimeout(30_000);

describe('password hashing', () => {
  it('uses the stated scrypt parameters: N = 2^15, r = 8, p = 3, 32-byte salt, 64-byte key', async () => {
    expect(SCRYPT_PARAMS).toEqual({ ln: 15, r: 8, p: 3, saltBytes: 32, keyBytes: 64 });
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{43}\$[A-Za-z0-9+/]{86}$/);
    const parsed = parsePasswordHash(stored);
    expect(parsed?.salt).toHaveLength(32);
    expect(parsed?.key).toHaveLength(64);
    // The stored key is exactly scrypt with those parameters (an independent derivation agrees).
    const again = scryptSync('correct horse battery staple', parsed?.salt ?? Buffer.alloc(0), 64, {
      N: 2 ** 15,
      r: 8,
      p: 3,
      maxmem: 64 * 1024 * 1024,
    });
    expect(again.equals(parsed?.key ?? Buffer.alloc(0))).toBe(true);
  });

  it('verifies the right password only, with a fresh salt per hash', async () => {
    const [a, b] = await Promise.all([hashPassword('a long passphrase'), hashPassword('a long passphrase')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('a long passphrase', a)).toBe(true);
    expect(await verifyPassword('a long passphrase!', a)).toBe(false);
    expect(await verifyPassword('a long passphrase', 'not a hash')).toBe(false);
    expect(await verifyAgainstDummy('a long passphrase')).toBe(false);
  });

  it('reads the parameters from each hash, so they can be raised later', async () => {
    const salt = Buffer.alloc(16, 1);
    const key = scryptSync('old password', salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const old = `$scrypt$ln=10,r=8,p=1$${salt.toString('base64').replace(/=+$/, '')}$${key
      .toString('base64')
      .replace(/=+$/, '')}`;
    expect(await verifyPassword('old password', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('old password'))).toBe(false);
    // Out-of-bounds parameters are refused before any work.
    expect(parsePasswordHash(old.replace('ln=10', 'ln=30'))).toBeUndefined();
  });
});
