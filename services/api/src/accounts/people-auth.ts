import { createHash } from 'node:crypto';
import type { AccountStore } from '@mediaflow/repository';
import type { BearerAuthenticator, Principal } from '../auth/api-keys';
import type { AccessTokens } from './access-tokens';
import { looksLikeJwt } from './access-tokens';

/** Prefix of a person's API key, so it is recognised (and found in leaked-secret scans). */
export const PERSONAL_KEY_PREFIX = 'mfk_';

/** The owner id a person's jobs and uploads are recorded under; never a configured key id (those have no colon). */
export function ownerIdOf(userId: string): string {
  return `user:${userId}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * People's bearer credentials: an access token (JWT, verified without a
 * database read) or a personal API key (`mfk_…`, looked up by its SHA-256,
 * then its account, so a deleted key or account stops working at once).
 */
export class PeopleAuthenticator implements BearerAuthenticator {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly store: AccountStore,
  ) {}

  async authenticate(credential: string): Promise<Principal | undefined> {
    if (looksLikeJwt(credential)) {
      const claims = await this.tokens.verify(credential);
      return claims
        ? {
            keyId: ownerIdOf(claims.userId),
            admin: claims.admin,
            userId: claims.userId,
            via: 'access-token',
            sessionId: claims.sessionId,
          }
        : undefined;
    }
    if (!credential.startsWith(PERSONAL_KEY_PREFIX)) return undefined;
    const key = await this.store.findApiKey(sha256Hex(credential));
    const user = key && (await this.store.getUser(key.user_id));
    return user
      ? { keyId: ownerIdOf(user.user_id), admin: user.admin, userId: user.user_id, via: 'personal-key' }
      : undefined;
  }
}
