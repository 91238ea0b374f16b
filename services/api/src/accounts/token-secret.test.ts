import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@mediaflow/domain';
import { resolveTokenSecret, TOKEN_SECRET_FILE } from './token-secret';

const logger = createLogger({ level: 'error', service: 'token-secret-test' });

describe('the access-token secret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-secret-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('is AUTH_TOKEN_SECRET when set, else derived from PLAYBACK_SIGNING_SECRET, the same on every replica', () => {
    const configured = resolveTokenSecret(
      { AUTH_TOKEN_SECRET: 'a'.repeat(32), PLAYBACK_SIGNING_SECRET: 'b'.repeat(32), DATA_DIR: dir },
      logger,
      { persist: false },
    );
    expect(Buffer.from(configured ?? []).toString()).toBe('a'.repeat(32));
    const derive = () =>
      resolveTokenSecret({ PLAYBACK_SIGNING_SECRET: 'b'.repeat(32), DATA_DIR: dir }, logger, { persist: false });
    expect(derive()).toHaveLength(32);
    expect(Buffer.from(derive() ?? []).equals(Buffer.from(derive() ?? []))).toBe(true);
    // Not the playback key itself: a playback token's key never signs access tokens.
    expect(Buffer.from(derive() ?? []).toString()).not.toContain('b'.repeat(32));
  });

  it('is generated once and kept (mode 0600) in the single-machine mode, and absent on a server', async () => {
    expect(resolveTokenSecret({ DATA_DIR: dir }, logger, { persist: false })).toBeUndefined();
    const first = resolveTokenSecret({ DATA_DIR: dir }, logger, { persist: true });
    const second = resolveTokenSecret({ DATA_DIR: dir }, logger, { persist: true });
    expect(first).toHaveLength(32);
    expect(Buffer.from(second ?? []).equals(Buffer.from(first ?? []))).toBe(true);
    const file = path.join(dir, TOKEN_SECRET_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(Buffer.from(first ?? []).toString('hex'));
  });
});
