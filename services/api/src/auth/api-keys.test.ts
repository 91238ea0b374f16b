import { authenticate, hashApiKey, parseApiKeys } from './api-keys';

const aliceKey = 'mf_alice_secret_0123456789';
const rootKey = 'mf_root_secret_9876543210';
const keys = parseApiKeys(`alice:${hashApiKey(aliceKey)}, root:${hashApiKey(rootKey)}:admin\n# comment\n`);

describe('API keys', () => {
  it('parses hashed entries with an optional admin scope', () => {
    expect(keys.map(({ id, admin }) => ({ id, admin }))).toEqual([
      { id: 'alice', admin: false },
      { id: 'root', admin: true },
    ]);
  });

  it('authenticates by hash and tells the scope', () => {
    expect(authenticate(aliceKey, keys)).toEqual({ keyId: 'alice', admin: false });
    expect(authenticate(rootKey, keys)).toEqual({ keyId: 'root', admin: true });
  });

  it('refuses unknown, empty and near-miss keys', () => {
    expect(authenticate('', keys)).toBeUndefined();
    expect(authenticate(`${aliceKey}x`, keys)).toBeUndefined();
    expect(authenticate(hashApiKey(aliceKey), keys)).toBeUndefined();
  });

  it.each([
    ['alice:not-hex'],
    ['alice'],
    [`al ice:${hashApiKey('x')}`],
    [`alice:${hashApiKey('x')}:owner`],
    [`alice:${hashApiKey('x')},alice:${hashApiKey('y')}`],
  ])('rejects a malformed configuration: %s', (text) => {
    expect(() => parseApiKeys(text)).toThrow();
  });
});
