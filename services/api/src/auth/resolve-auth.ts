import { ConfigError } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { loadApiKeys } from './api-keys';
import type { ApiKeyEntry } from './api-keys';

export interface AuthSettings {
  apiKeys: ApiKeyEntry[];
  authDisabled: boolean;
}

/**
 * Decides how the API authenticates. A server with no keys and no explicit
 * AUTH_DISABLED refuses to start; the single-machine `npm start` runs open
 * instead, and says so loudly.
 */
export function resolveAuth(config: AppConfig, logger: Logger, options: { openByDefault: boolean }): AuthSettings {
  const apiKeys = loadApiKeys(config);
  if (apiKeys.length > 0 && !config.AUTH_DISABLED) return { apiKeys, authDisabled: false };
  if (config.AUTH_DISABLED || options.openByDefault) {
    logger.warn(
      '!!! AUTHENTICATION IS OFF: anyone who can reach this port can submit, read and cancel every job. ' +
        'Set API_KEYS (id:sha256[:admin]) before exposing it.',
    );
    return { apiKeys, authDisabled: true };
  }
  throw new ConfigError([
    'API_KEYS: no key configured; API_KEYS or API_KEYS_FILE must name at least one key ' +
      '(see the README walk-through), or set AUTH_DISABLED=true to run open',
  ]);
}
