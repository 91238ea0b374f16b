import { z } from 'zod';
import { requestComponents, responseComponents } from '../openapi/schemas';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords';

/** Request and response bodies of the /auth routes, registered for the OpenAPI document. */

const email = z
  .email({ message: 'must be an email address' })
  .max(254)
  .describe('Compared case-insensitively; stored lower-case.');
const password = z.string().describe(`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`);

export const credentialsSchema = z.strictObject({ email: z.string().max(1024), password: password.max(4096) });
requestComponents.add(credentialsSchema, { id: 'Credentials' });

/** Sign-up checks the email's form; sign-in only its size (a wrong one is just a failed sign-in). */
export const signUpEmailSchema = email;

export const changePasswordSchema = z.strictObject({
  current_password: z.string().max(4096),
  new_password: password.max(4096),
});
requestComponents.add(changePasswordSchema, { id: 'ChangePassword' });

export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('What the key is for, to tell keys apart.'),
});
requestComponents.add(createApiKeySchema, { id: 'CreatePersonalApiKey' });

export const keyIdParamsSchema = z.object({
  key_id: z
    .string()
    .regex(/^key_[0-9a-f]{32}$/)
    .describe('The id POST /auth/keys returned.'),
});

export const userSchema = z.object({
  id: z.string().describe('The account’s id (UUID); its jobs are owned by `user:<id>`.'),
  email: z.string(),
  admin: z.boolean(),
});
responseComponents.add(userSchema, { id: 'User' });

export const sessionSchema = z.object({
  user: userSchema,
  access_token: z.string().describe('A JWT: send it as `Authorization: Bearer <token>`.'),
  expires_in: z.number().int().describe('Seconds until the access token expires; refresh before.'),
});
responseComponents.add(sessionSchema, { id: 'Session' });

export const authConfigSchema = z.object({ signup_enabled: z.boolean() });
responseComponents.add(authConfigSchema, { id: 'AuthConfig' });

const keyFields = {
  id: z.string().describe('`key_` + 32 hex digits.'),
  name: z.string(),
  created_at: z.string().meta({ format: 'date-time' }),
};
export const personalApiKeySchema = z.object(keyFields);
responseComponents.add(personalApiKeySchema, { id: 'PersonalApiKey' });
export const createdApiKeySchema = z.object({
  ...keyFields,
  key: z.string().describe('The key, `mfk_…`, shown only in this answer: `Authorization: Bearer <key>`.'),
});
responseComponents.add(createdApiKeySchema, { id: 'CreatedPersonalApiKey' });
export const apiKeyListSchema = z.object({ keys: z.array(personalApiKeySchema) });
responseComponents.add(apiKeyListSchema, { id: 'PersonalApiKeyList' });
