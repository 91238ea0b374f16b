import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, createLogger, loadConfig } from '@mediaflow/domain';
import { hashApiKey } from './api-keys';
import { resolveAuth } from './resolve-auth';

const logger = createLogger({ level: 'error', service: 'resolve-auth-test' });
const KEYS = `team:${hashApiKey('k')}`;

describe('resolveAuth with accounts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-auth-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env });

  it('runs a server with keys and no token secret without accounts', () => {
    const auth = resolveAuth(config({ API_KEYS: KEYS }), logger, { openByDefault: false });
    expect(auth).toMatchObject({ authDisabled: false });
    expect(auth.accountTokenSecret).toBeUndefined();
  });

  it('lets a server with sign-up and a secret start without configured keys', () => {
    const auth = resolveAuth(config({ SIGNUP_ENABLED: 'true', AUTH_TOKEN_SECRET: 's'.repeat(32) }), logger, {
      openByDefault: false,
    });
    expect(auth.authDisabled).toBe(false);
    expect(auth.accountTokenSecret).toHaveLength(32);
  });

  it('refuses sign-up on a server without a secret, and a server with neither keys nor sign-up', () => {
    expect(() => resolveAuth(config({ SIGNUP_ENABLED: 'true' }), logger, { openByDefault: false })).toThrow(
      /AUTH_TOKEN_SECRET/,
    );
    expect(() => resolveAuth(config({}), logger, { openByDefault: false })).toThrow(ConfigError);
  });

  it('keeps npm start open without keys, and gives it a persisted secret once sign-up is on', () => {
    expect(resolveAuth(config({}), logger, { openByDefault: true })).toMatchObject({ authDisabled: true });
    const auth = resolveAuth(config({ SIGNUP_ENABLED: 'true' }), logger, { openByDefault: true });
    expect(auth.authDisabled).toBe(false);
    expect(auth.accountTokenSecret).toHaveLength(32);
    // AUTH_DISABLED wins over everything: today's behaviour.
    expect(
      resolveAuth(config({ AUTH_DISABLED: 'true', SIGNUP_ENABLED: 'true', API_KEYS: KEYS }), logger, {
        openByDefault: false,
      }),
    ).toMatchObject({ authDisabled: true });
  });
});
