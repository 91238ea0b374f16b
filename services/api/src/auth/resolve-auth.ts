import { ConfigError } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { resolveTokenSecret } from '../accounts/token-secret';
import { loadApiKeys } from './api-keys';
import type { ApiKeyEntry } from './api-keys';

export interface AuthSettings {
  apiKeys: ApiKeyEntry[];
  authDisabled: boolean;
  /**
   * The key that signs people's access tokens (see accounts/token-secret.ts);
   * absent: accounts are off (their routes answer ACCOUNTS_DISABLED).
   */
  accountTokenSecret?: Uint8Array;
}

/**
 * Decides how the API authenticates. A server with no keys, no sign-up and
 * no explicit AUTH_DISABLED refuses to start; the single-machine `npm start`
 * runs open instead, and says so loudly. With SIGNUP_ENABLED, people's
 * accounts are a way in, so no configured key is needed.
 */
export function resolveAuth(config: AppConfig, logger: Logger, options: { openByDefault: boolean }): AuthSettings {
  const apiKeys = loadApiKeys(config);
  const open = config.AUTH_DISABLED || (options.openByDefault && apiKeys.length === 0 && !config.SIGNUP_ENABLED);
  if (open) {
    logger.warn(
      '!!! AUTHENTICATION IS OFF: anyone who can reach this port can submit, read and cancel every job. ' +
        'Set API_KEYS (id:sha256[:admin]) or SIGNUP_ENABLED before exposing it.',
    );
    return { apiKeys, authDisabled: true };
  }
  // The single-machine mode may keep a generated secret; replicas must share a configured one.
  const accountTokenSecret = resolveTokenSecret(config, logger, { persist: options.openByDefault });
  if (config.SIGNUP_ENABLED && accountTokenSecret === undefined) {
    throw new ConfigError([
      'AUTH_TOKEN_SECRET: SIGNUP_ENABLED needs a secret that signs access tokens on every replica ' +
        '(at least 32 characters, e.g. `openssl rand -hex 32`), or PLAYBACK_SIGNING_SECRET to derive it from',
    ]);
  }
  if (accountTokenSecret === undefined) {
    logger.info('accounts are off: set AUTH_TOKEN_SECRET to let people sign in (see README, Accounts)');
  }
  if (apiKeys.length === 0 && !config.SIGNUP_ENABLED) {
    throw new ConfigError([
      'API_KEYS: no key configured; API_KEYS or API_KEYS_FILE must name at least one key ' +
        '(see the README walk-through), or set SIGNUP_ENABLED=true for accounts, or AUTH_DISABLED=true to run open',
    ]);
  }
  return { apiKeys, authDisabled: false, ...(accountTokenSecret === undefined ? {} : { accountTokenSecret }) };
}
