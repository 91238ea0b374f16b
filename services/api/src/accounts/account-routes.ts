import { randomBytes, randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import type { AccountStore, RateLimitStore, RefreshTokenRecord, UserAccount } from '@mediaflow/repository';
import { principalOf } from '../auth/require-api-key';
import type { Principal } from '../auth/api-keys';
import { AccessTokens } from './access-tokens';
import {
  changePasswordSchema,
  createApiKeySchema,
  credentialsSchema,
  keyIdParamsSchema,
  signUpEmailSchema,
} from './account-schemas';
import { checkCsrf, clearSessionCookies, parseCookies, REFRESH_COOKIE, setSessionCookies } from './cookies';
import type { CookieSettings } from './cookies';
import {
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords';
import { PERSONAL_KEY_PREFIX, sha256Hex } from './people-auth';
import { SignInLimits } from './sign-in-limits';

/** Most API keys one person may hold. */
export const MAX_PERSONAL_KEYS = 20;
const REFRESH_PREFIX = 'mfr_';
// A user id no account has (accounts get random version-4 UUIDs): read for unknown emails.
const NO_USER = '00000000-0000-0000-0000-000000000000';

export interface AccountSettings {
  signupEnabled: boolean;
  /** ADMIN_EMAIL, normalised; set: that account is admin (and no other); unset: the first account is. */
  adminEmail?: string;
  refreshTtlSeconds: number;
  cookieSecure: boolean;
}

/** What the routes need when accounts are on. */
export interface AccountDeps {
  store: AccountStore;
  tokens: AccessTokens;
  rateLimits: RateLimitStore;
  settings: AccountSettings;
  logger: Logger;
  now?: () => Date;
}

/** Lower-case, trimmed: one account per mailbox however it is typed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * @throws AppError WEAK_PASSWORD (400) unless 10 to 256 characters (code points).
 */
export function checkPasswordStrength(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new AppError(
      'WEAK_PASSWORD',
      `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long (a passphrase of a few words works well)`,
    );
  }
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `${req.path} takes application/json`);
  next();
};
const json = [requireJson, express.json({ limit: '16kb', type: () => true })];

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', `invalid ${what}`, { details: issuesToDetails(parsed.error.issues) });
  }
  return parsed.data;
}

const userView = (user: UserAccount) => ({ id: user.user_id, email: user.email, admin: user.admin });

/** The client's address for the rate limits: the TCP peer (the API does not trust X-Forwarded-For). */
const addressOf = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

/**
 * The /auth routes (see the contract in README "Accounts"). With `deps`
 * undefined (authentication off, or no token secret) every route but
 * GET /auth/config answers 403 ACCOUNTS_DISABLED.
 */
export function accountRoutes(deps: AccountDeps | undefined, why: string): Router {
  const router = Router();

  router.get('/auth/config', (_req, res) => {
    res.json({ signup_enabled: deps !== undefined && deps.settings.signupEnabled });
  });

  if (!deps) {
    // The same routes (the OpenAPI document lists them), each refusing.
    const refuse = (): never => {
      throw new AppError('ACCOUNTS_DISABLED', why);
    };
    for (const path of [
      '/auth/signup',
      '/auth/signin',
      '/auth/refresh',
      '/auth/signout',
      '/auth/password',
      '/auth/keys',
    ]) {
      router.post(path, refuse);
    }
    router.get('/auth/me', refuse);
    router.get('/auth/keys', refuse);
    router.delete('/auth/keys/:key_id', refuse);
    return router;
  }
  const { store, tokens, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const limits = new SignInLimits(store, deps.rateLimits);
  const cookies: CookieSettings = { secure: settings.cookieSecure, maxAgeSeconds: settings.refreshTtlSeconds };

  /** Starts (familyId undefined) or continues a session: a new refresh token and CSRF cookie, and an access token. */
  async function issueSession(res: Response, user: UserAccount, status: number): Promise<void> {
    const at = now();
    const familyId = randomUUID();
    const refresh = newRefreshToken(user.user_id, familyId, at);
    await store.startSession(
      {
        family_id: familyId,
        user_id: user.user_id,
        created_at: at.toISOString(),
        expires_at: refresh.record.expires_at,
      },
      refresh.record,
    );
    await respondWithSession(res, user, familyId, refresh.token, status);
  }

  async function respondWithSession(
    res: Response,
    user: UserAccount,
    familyId: string,
    refreshToken: string,
    status: number,
  ): Promise<void> {
    const access = await tokens.issue({ userId: user.user_id, admin: user.admin, sessionId: familyId });
    setSessionCookies(res, cookies, refreshToken, randomBytes(32).toString('base64url'));
    res.set('Cache-Control', 'no-store');
    res.status(status).json({ user: userView(user), access_token: access.token, expires_in: access.expiresIn });
  }

  function newRefreshToken(userId: string, familyId: string, at: Date): { token: string; record: RefreshTokenRecord } {
    const token = `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;
    return {
      token,
      record: {
        token_id: sha256Hex(token),
        family_id: familyId,
        user_id: userId,
        issued_at: at.toISOString(),
        expires_at: new Date(at.getTime() + settings.refreshTtlSeconds * 1000).toISOString(),
      },
    };
  }

  /** The person behind the request; `session`: only an access token will do (not an API key). */
  function personOf(res: Response, session: boolean): Principal & { userId: string } {
    const principal = principalOf(res);
    if (principal.userId === undefined) {
      throw new AppError('FORBIDDEN', 'this endpoint is for people’s accounts; a configured API key has none');
    }
    if (session && principal.via !== 'access-token') {
      throw new AppError('FORBIDDEN', 'this endpoint needs an access token from signing in, not an API key');
    }
    return { ...principal, userId: principal.userId };
  }

  router.post('/auth/signup', ...json, async (req, res) => {
    if (!settings.signupEnabled) throw new AppError('SIGNUP_DISABLED', 'sign-up is turned off here (SIGNUP_ENABLED)');
    await limits.admitAddress(addressOf(req), res, now());
    const body = parse(credentialsSchema, req.body, 'sign-up');
    const email = normaliseEmail(parse(signUpEmailSchema, body.email.trim(), 'email'));
    checkPasswordStrength(body.password);
    const user: UserAccount = {
      user_id: randomUUID(),
      email,
      password_hash: await hashPassword(body.password),
      admin: false,
      created_at: now().toISOString(),
    };
    // Every sign-up claims "the first account", so the claim goes to the real first one even while
    // ADMIN_EMAIL is set (unsetting it later makes nobody admin by surprise). Fails closed: a claimant
    // whose creation then fails (a duplicate email) leaves no first-account admin.
    const first = await store.claimFirstAccount(user.user_id, now());
    user.admin = settings.adminEmail !== undefined ? email === settings.adminEmail : first;
    if (!(await store.createUser(user))) {
      throw new AppError('ACCOUNT_EXISTS', 'an account with this email exists; sign in instead');
    }
    deps.logger.info('account created', { user_id: user.user_id, admin: user.admin });
    await issueSession(res, user, 201);
  });

  router.post('/auth/signin', ...json, async (req, res) => {
    const address = addressOf(req);
    await limits.admitAddress(address, res, now());
    const body = parse(credentialsSchema, req.body, 'sign-in');
    const email = normaliseEmail(body.email);
    await limits.admitSignIn(email, address, res, now());
    const user = await store.findUserByEmail(email);
    // An unknown email costs what a known one does: the account read (findUserByEmail stops
    // after the email lookup) and a full scrypt, so timing tells no one which emails exist.
    if (!user) await store.getUser(NO_USER);
    const ok = user ? await verifyPassword(body.password, user.password_hash) : await verifyAgainstDummy(body.password);
    if (!user || !ok) {
      await limits.failed(email, address, now());
      throw new AppError('UNAUTHORIZED', 'the email or password is wrong');
    }
    await limits.succeeded(email, address);
    if (needsRehash(user.password_hash)) {
      await store.setPasswordHash(user.user_id, await hashPassword(body.password), now());
    }
    await issueSession(res, user, 200);
  });

  router.post('/auth/refresh', async (req, res) => {
    checkCsrf(req);
    const presented = parseCookies(req.get('cookie')).get(REFRESH_COOKIE);
    if (presented === undefined || !presented.startsWith(REFRESH_PREFIX)) {
      throw new AppError('UNAUTHORIZED', 'no refresh token: sign in');
    }
    const at = now();
    const current = await store.getRefreshToken(sha256Hex(presented));
    if (!current) {
      clearSessionCookies(res, cookies);
      throw new AppError('UNAUTHORIZED', 'the refresh token is not valid (expired or ended): sign in again');
    }
    const next = newRefreshToken(current.user_id, current.family_id, at);
    const outcome = await store.rotateRefreshToken(current.token_id, next.record, at);
    if (outcome.kind === 'reused') {
      // A used token again: whoever holds the family's tokens may be a thief. End the session for everyone.
      await store.revokeFamily(outcome.record.user_id, outcome.record.family_id, at);
      deps.logger.warn('refresh token reuse: session revoked', {
        user_id: outcome.record.user_id,
        session: outcome.record.family_id,
      });
      clearSessionCookies(res, cookies);
      throw new AppError('UNAUTHORIZED', 'this refresh token was used already; the session was ended: sign in again');
    }
    const user = outcome.kind === 'rotated' ? await store.getUser(current.user_id) : undefined;
    if (!user) {
      clearSessionCookies(res, cookies);
      throw new AppError('UNAUTHORIZED', 'the refresh token is not valid (expired or ended): sign in again');
    }
    await respondWithSession(res, user, current.family_id, next.token, 200);
  });

  router.post('/auth/signout', async (req, res) => {
    checkCsrf(req);
    const presented = parseCookies(req.get('cookie')).get(REFRESH_COOKIE);
    const current = presented === undefined ? undefined : await store.getRefreshToken(sha256Hex(presented));
    if (current) await store.revokeFamily(current.user_id, current.family_id, now());
    clearSessionCookies(res, cookies);
    res.status(204).end();
  });

  router.get('/auth/me', async (_req, res) => {
    const user = await store.getUser(personOf(res, false).userId);
    if (!user) throw new AppError('UNAUTHORIZED', 'the account no longer exists');
    res.json(userView(user));
  });

  router.post('/auth/password', ...json, async (req, res) => {
    const person = personOf(res, true);
    const body = parse(changePasswordSchema, req.body, 'password change');
    const user = await store.getUser(person.userId);
    if (!user) throw new AppError('UNAUTHORIZED', 'the account no longer exists');
    const address = addressOf(req);
    // A stolen access token must not make the current password guessable at speed.
    await limits.admitSignIn(user.email, address, res, now());
    if (!(await verifyPassword(body.current_password, user.password_hash))) {
      await limits.failed(user.email, address, now());
      throw new AppError('FORBIDDEN', 'current_password is wrong');
    }
    checkPasswordStrength(body.new_password);
    await store.setPasswordHash(user.user_id, await hashPassword(body.new_password), now());
    const ended = await store.revokeUserSessions(user.user_id, now(), person.sessionId);
    deps.logger.info('password changed', { user_id: user.user_id, sessions_ended: ended });
    res.status(204).end();
  });

  router.get('/auth/keys', async (_req, res) => {
    const keys = await store.listApiKeys(personOf(res, true).userId);
    res.json({ keys: keys.map((key) => ({ id: key.key_id, name: key.name, created_at: key.created_at })) });
  });

  router.post('/auth/keys', ...json, async (req, res) => {
    const person = personOf(res, true);
    const body = parse(createApiKeySchema, req.body, 'API key');
    const key = `${PERSONAL_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = {
      key_id: `key_${randomBytes(16).toString('hex')}`,
      user_id: person.userId,
      name: body.name,
      sha256: sha256Hex(key),
      created_at: now().toISOString(),
    };
    if (!(await store.createApiKey(record, MAX_PERSONAL_KEYS))) {
      throw new AppError('API_KEY_LIMIT', `an account holds at most ${MAX_PERSONAL_KEYS} API keys; delete one first`);
    }
    res.set('Cache-Control', 'no-store');
    res.status(201).json({ id: record.key_id, name: record.name, key, created_at: record.created_at });
  });

  router.delete('/auth/keys/:key_id', async (req, res) => {
    const person = personOf(res, true);
    const params = keyIdParamsSchema.safeParse(req.params);
    if (!params.success || !(await store.deleteApiKey(person.userId, params.data.key_id))) {
      throw new AppError('API_KEY_NOT_FOUND', 'no such API key of this account');
    }
    res.status(204).end();
  });

  return router;
}

/** Builds the routes' dependencies from the settings; undefined (with the reason) when accounts are off. */
export function accountDeps(options: {
  store: AccountStore | undefined;
  rateLimits: RateLimitStore;
  secret: Uint8Array | undefined;
  authDisabled: boolean;
  config: {
    SIGNUP_ENABLED: boolean;
    ADMIN_EMAIL?: string;
    AUTH_ACCESS_TOKEN_TTL_SECONDS: number;
    AUTH_REFRESH_TOKEN_TTL_SECONDS: number;
    COOKIE_SECURE: boolean;
  };
  logger: Logger;
}): { deps: AccountDeps; why?: never } | { deps?: never; why: string } {
  if (options.authDisabled) {
    return { why: 'authentication is off here (AUTH_DISABLED): there are no accounts, every request runs as admin' };
  }
  if (!options.store) return { why: 'accounts are not available in this process' };
  if (!options.secret) {
    return { why: 'accounts are off: the operator has not set AUTH_TOKEN_SECRET (see README, Accounts)' };
  }
  const { config } = options;
  return {
    deps: {
      store: options.store,
      tokens: new AccessTokens(options.secret, config.AUTH_ACCESS_TOKEN_TTL_SECONDS),
      rateLimits: options.rateLimits,
      logger: options.logger,
      settings: {
        signupEnabled: config.SIGNUP_ENABLED,
        ...(config.ADMIN_EMAIL === undefined ? {} : { adminEmail: normaliseEmail(config.ADMIN_EMAIL) }),
        refreshTtlSeconds: config.AUTH_REFRESH_TOKEN_TTL_SECONDS,
        cookieSecure: config.COOKIE_SECURE,
      },
    },
  };
}
