import type { ResponseSpec, RouteSpec } from '../openapi/route-spec';
import {
  apiKeyListSchema,
  authConfigSchema,
  changePasswordSchema,
  createApiKeySchema,
  createdApiKeySchema,
  credentialsSchema,
  keyIdParamsSchema,
  sessionSchema,
  userSchema,
} from './account-schemas';

const COOKIES =
  '`mf_refresh` (the refresh token: HttpOnly; Secure; SameSite=Strict; Path=/auth) and `mf_csrf` ' +
  '(SameSite=Strict; Path=/; echo it in `X-CSRF-Token`).';
const CSRF =
  'Cookie-authenticated: needs the `mf_refresh` cookie, an `X-CSRF-Token` header equal to the `mf_csrf` cookie, ' +
  'and an `Origin`, if sent, that is this API’s own.';
const setCookie = {
  'Set-Cookie': { description: COOKIES, schema: { type: 'string' } },
} as const;
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
} as const;

/** The /auth routes; routes.ts passes its errorResponses, as for the webhook routes. */
export function accountRouteSpecs(
  errorResponses: (...entries: (number | [number, string])[]) => Record<number, ResponseSpec>,
): readonly RouteSpec[] {
  const disabled: [number, string] = [
    403,
    'ACCOUNTS_DISABLED: authentication is off (AUTH_DISABLED) or no AUTH_TOKEN_SECRET is set; or SIGNUP_DISABLED, CSRF_REJECTED.',
  ];
  const limited = {
    description: 'RATE_LIMITED: too many attempts (see README, Accounts).',
    json: errorResponses(429)[429].json,
    headers: retryAfter,
  };
  return [
    {
      method: 'get',
      path: '/auth/config',
      operationId: 'getAuthConfig',
      summary: 'Whether people may sign up',
      tags: ['accounts'],
      access: 'public',
      responses: { 200: { description: 'The settings a sign-in page needs.', json: authConfigSchema } },
    },
    {
      method: 'post',
      path: '/auth/signup',
      operationId: 'signUp',
      summary: 'Create an account and sign in',
      description:
        'Password: 10 to 256 characters. With ADMIN_EMAIL set, the account with that email is admin; otherwise the first account is. ' +
        `Sets ${COOKIES}`,
      tags: ['accounts'],
      access: 'public',
      body: { json: credentialsSchema, example: { email: 'ada@example.com', password: 'correct horse battery' } },
      responses: {
        201: { description: 'Created and signed in.', json: sessionSchema, headers: setCookie },
        ...errorResponses(
          [400, 'VALIDATION_FAILED (not an email) or WEAK_PASSWORD.'],
          [403, 'SIGNUP_DISABLED (SIGNUP_ENABLED is false) or ACCOUNTS_DISABLED.'],
          [409, 'ACCOUNT_EXISTS: an account with this email exists.'],
          413,
          415,
          503,
        ),
        429: limited,
      },
    },
    {
      method: 'post',
      path: '/auth/signin',
      operationId: 'signIn',
      summary: 'Sign in with email and password',
      description: `Sets ${COOKIES} Failed sign-ins lock the (account, address) pair out for exponentially longer, at most 15 minutes.`,
      tags: ['accounts'],
      access: 'public',
      body: { json: credentialsSchema, example: { email: 'ada@example.com', password: 'correct horse battery' } },
      responses: {
        200: { description: 'Signed in.', json: sessionSchema, headers: setCookie },
        ...errorResponses(400, [401, 'UNAUTHORIZED: the email or password is wrong.'], disabled, 413, 415, 503),
        429: limited,
      },
    },
    {
      method: 'post',
      path: '/auth/refresh',
      operationId: 'refreshSession',
      summary: 'A new access token, rotating the refresh token',
      description:
        `${CSRF} The refresh token is single-use: the answer sets a new one. Presenting a used one again ends the session ` +
        '(every token descended from its sign-in) and answers 401.',
      tags: ['accounts'],
      access: 'public',
      responses: {
        200: { description: 'A new access token; new cookies.', json: sessionSchema, headers: setCookie },
        ...errorResponses([401, 'UNAUTHORIZED: no, expired, revoked or reused refresh token.'], disabled, 503),
      },
    },
    {
      method: 'post',
      path: '/auth/signout',
      operationId: 'signOut',
      summary: 'End this session and clear its cookies',
      description: `${CSRF} Access tokens already issued stay valid until they expire (minutes).`,
      tags: ['accounts'],
      access: 'public',
      responses: { 204: { description: 'Signed out.', headers: setCookie }, ...errorResponses(disabled, 503) },
    },
    {
      method: 'get',
      path: '/auth/me',
      operationId: 'getMe',
      summary: 'The signed-in account',
      description: 'With an access token or one of the person’s API keys.',
      tags: ['accounts'],
      access: 'apiKey',
      responses: {
        200: { description: 'The account.', json: userSchema },
        ...errorResponses(401, [403, 'FORBIDDEN: a configured API key has no account; or ACCOUNTS_DISABLED.'], 503),
      },
    },
    {
      method: 'post',
      path: '/auth/password',
      operationId: 'changePassword',
      summary: 'Change the password; ends the account’s other sessions',
      tags: ['accounts'],
      access: 'apiKey',
      body: { json: changePasswordSchema },
      responses: {
        204: { description: 'Changed.' },
        ...errorResponses(
          [400, 'VALIDATION_FAILED or WEAK_PASSWORD.'],
          401,
          [403, 'FORBIDDEN: the current password is wrong, or not an access token; or ACCOUNTS_DISABLED.'],
          413,
          415,
          503,
        ),
        429: limited,
      },
    },
    {
      method: 'get',
      path: '/auth/keys',
      operationId: 'listPersonalApiKeys',
      summary: 'The signed-in person’s API keys (without the keys)',
      tags: ['accounts'],
      access: 'apiKey',
      responses: {
        200: { description: 'Oldest first.', json: apiKeyListSchema },
        ...errorResponses(401, [403, 'FORBIDDEN: needs an access token; or ACCOUNTS_DISABLED.'], 503),
      },
    },
    {
      method: 'post',
      path: '/auth/keys',
      operationId: 'createPersonalApiKey',
      summary: 'Make an API key for a program; its jobs are the person’s',
      tags: ['accounts'],
      access: 'apiKey',
      body: { json: createApiKeySchema, example: { name: 'nightly batch' } },
      responses: {
        201: { description: 'Created; the key is shown only now.', json: createdApiKeySchema },
        ...errorResponses(
          400,
          401,
          [403, 'FORBIDDEN: needs an access token; or ACCOUNTS_DISABLED.'],
          [409, 'API_KEY_LIMIT: the person has the most keys allowed.'],
          413,
          415,
          503,
        ),
      },
    },
    {
      method: 'delete',
      path: '/auth/keys/:key_id',
      operationId: 'deletePersonalApiKey',
      summary: 'Revoke one of the person’s API keys',
      tags: ['accounts'],
      access: 'apiKey',
      params: keyIdParamsSchema,
      responses: {
        204: { description: 'Revoked: the key authenticates nobody from now on.' },
        ...errorResponses(
          400,
          401,
          [403, 'FORBIDDEN: needs an access token; or ACCOUNTS_DISABLED.'],
          [404, 'API_KEY_NOT_FOUND: no such key of this person.'],
          503,
        ),
      },
    },
  ];
}
