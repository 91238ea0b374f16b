import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig, Logger } from '@mediaflow/domain';

/** Where the single-machine mode keeps the secret it generated, under DATA_DIR. */
export const TOKEN_SECRET_FILE = 'auth-token-secret';

/**
 * The key that signs access tokens, shared by every API replica:
 * 1. AUTH_TOKEN_SECRET, when set;
 * 2. else derived (HKDF-SHA256) from PLAYBACK_SIGNING_SECRET, which replicas share already;
 * 3. else, for `npm start` (one process, `persist`), 32 random bytes generated once
 *    and kept in DATA_DIR/auth-token-secret (mode 0600), so tokens survive a restart;
 * 4. else none: a random key per process would make a token valid on one replica
 *    only, so accounts stay off (their routes answer 403 ACCOUNTS_DISABLED).
 */
export function resolveTokenSecret(
  config: Pick<AppConfig, 'AUTH_TOKEN_SECRET' | 'PLAYBACK_SIGNING_SECRET' | 'DATA_DIR'>,
  logger: Logger,
  options: { persist: boolean },
): Uint8Array | undefined {
  if (config.AUTH_TOKEN_SECRET !== undefined) return Buffer.from(config.AUTH_TOKEN_SECRET, 'utf8');
  if (config.PLAYBACK_SIGNING_SECRET !== undefined) {
    return Buffer.from(hkdfSync('sha256', config.PLAYBACK_SIGNING_SECRET, 'mediaflow', 'mediaflow access tokens', 32));
  }
  if (!options.persist) return undefined;
  const file = path.join(config.DATA_DIR, TOKEN_SECRET_FILE);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const secret = randomBytes(32);
  try {
    // wx: of two processes starting at once, one writes; the other reads what it wrote.
    writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    logger.info('generated the access-token secret', { file });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  }
}
