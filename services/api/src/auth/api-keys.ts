import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@mediaflow/domain';

export interface Principal {
  /**
   * The owner id recorded on every job and upload it creates: a configured
   * key's id (`[A-Za-z0-9_.-]`), or `user:<uuid>` for a person (signed in, or
   * through one of their API keys), which no configured id can equal.
   */
  keyId: string;
  admin: boolean;
  /** A person's user id (UUID); absent for configured keys and the anonymous admin. */
  userId?: string;
  /** How the request authenticated; absent: a configured API key (or authentication is off). */
  via?: 'access-token' | 'personal-key';
  /** With an access token: its session (refresh-token family). */
  sessionId?: string;
}

/** Authenticates a bearer credential no configured key matched: people's access tokens and API keys. */
export interface BearerAuthenticator {
  authenticate(credential: string): Promise<Principal | undefined>;
}

export interface ApiKeyEntry {
  id: string;
  sha256: Buffer;
  admin: boolean;
}

const ENTRY_PATTERN = /^([A-Za-z0-9_.-]{1,64}):([0-9a-f]{64})(?::(admin|user))?$/;

/** Parses `id:sha256hex[:admin]` entries (comma- or newline-separated). Keys are never configured in clear. */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const ids = new Set<string>();
  return entries.map((line, index) => {
    const match = ENTRY_PATTERN.exec(line);
    if (!match) {
      // Named by position, never echoed: the entry may hold a key pasted in clear.
      throw new ConfigError([
        `API_KEYS: entry ${index + 1} is not "id:sha256hex[:admin]" (64 lower-case hex digits); ` +
          'make one with: printf %s "$KEY" | sha256sum',
      ]);
    }
    const [, id, hex, scope] = match;
    if (ids.has(id)) throw new ConfigError([`API_KEYS: key id "${id}" appears twice`]);
    ids.add(id);
    return { id: id, sha256: Buffer.from(hex, 'hex'), admin: scope === 'admin' };
  });
}

export function loadApiKeys(config: { API_KEYS?: string; API_KEYS_FILE?: string }): ApiKeyEntry[] {
  const parts = [config.API_KEYS ?? ''];
  if (config.API_KEYS_FILE) parts.push(readFileSync(config.API_KEYS_FILE, 'utf8'));
  return parseApiKeys(parts.join('\n'));
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Finds the key a bearer token belongs to. Every entry is compared, in
 * constant time, whatever matched, so response timing says nothing about
 * which keys exist or how close a guess came.
 */
export function authenticate(token: string, keys: readonly ApiKeyEntry[]): Principal | undefined {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let found: ApiKeyEntry | undefined;
  for (const entry of keys) {
    if (timingSafeEqual(presented, entry.sha256) && !found) found = entry;
  }
  return found ? { keyId: found.id, admin: found.admin } : undefined;
}
