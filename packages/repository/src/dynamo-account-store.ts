import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { guarded } from './database-error';
import { AccountStore } from './account-store';
import type {
  PersonalApiKey,
  RefreshTokenRecord,
  RotationOutcome,
  SessionFamily,
  SignInFailures,
  UserAccount,
} from './account-store';
import { errorName } from './dynamo-table-admin';
import { DynamoSideTable } from './dynamo-side-table';

export interface DynamoAccountStoreOptions {
  client: DynamoDBClient;
  /** The jobs table; accounts live in a table of their own, `<jobs table>-accounts`. */
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
}

export const ACCOUNT_TABLE = {
  suffix: '-accounts',
  /** Epoch seconds; DynamoDB's time to live deletes the item some time after. */
  timeToLiveAttribute: 'expires_epoch',
} as const;

/**
 * The accounts table, keyed `pk` + `sk`:
 *
 * | item                      | pk                 | sk              |
 * | ------------------------- | ------------------ | --------------- |
 * | an account                | `user#<id>`        | `account`       |
 * | its email (unique)        | `email#<email>`    | `email`         |
 * | the first-account claim   | `meta`             | `first-account` |
 * | a session (family)        | `user#<id>`        | `family#<id>`   |
 * | a refresh token           | `token#<id>`       | `token`         |
 * | a personal API key        | `user#<id>`        | `key#<id>`      |
 * | the key, by its hash      | `apikey#<sha256>`  | `apikey`        |
 * | sign-in failures          | `signin#<pair id>` | `signin`        |
 *
 * Uniqueness (emails, the first account) and rotation are conditional
 * writes, atomic on DynamoDB, DynamoDB Local and dynalite. Sessions, tokens
 * and failures carry `expires_epoch` for DynamoDB's time to live; readers
 * check expiry themselves (deletion lags, and dynalite has no TTL).
 */
export class DynamoAccountStore extends AccountStore {
  private readonly table: DynamoSideTable;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoAccountStoreOptions) {
    super();
    this.table = new DynamoSideTable(options, {
      suffix: ACCOUNT_TABLE.suffix,
      what: 'account',
      definition: tableDefinition,
      // Lets DynamoDB delete expired sessions, tokens and failures.
      timeToLiveAttribute: ACCOUNT_TABLE.timeToLiveAttribute,
    });
    this.documents = this.table.documents;
    this.tableName = this.table.name;
  }

  async init(): Promise<void> {
    await this.table.ensure();
  }

  async checkSchema(): Promise<void> {
    await this.table.check();
  }

  async createUser(user: UserAccount): Promise<boolean> {
    return guarded('account creation', async () => {
      // The account first: a crash before the email leaves an unreachable item, never an email without its account.
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: { pk: userKey(user.user_id), sk: 'account', ...user } }),
      );
      if (await this.putIfAbsent({ pk: `email#${user.email}`, sk: 'email', user_id: user.user_id })) return true;
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: userKey(user.user_id), sk: 'account' } }),
      );
      return false;
    });
  }

  async claimFirstAccount(userId: string, now: Date): Promise<boolean> {
    return guarded('first-account claim', async () =>
      this.putIfAbsent({ pk: 'meta', sk: 'first-account', user_id: userId, at: now.toISOString() }),
    );
  }

  async findUserByEmail(email: string): Promise<UserAccount | undefined> {
    return guarded('account read', async () => {
      const entry = await this.get(`email#${email}`, 'email');
      return typeof entry?.user_id === 'string' ? this.getUser(entry.user_id) : undefined;
    });
  }

  async getUser(userId: string): Promise<UserAccount | undefined> {
    return guarded('account read', async () => {
      const item = await this.get(userKey(userId), 'account');
      return item ? (strip(item) as unknown as UserAccount) : undefined;
    });
  }

  async setPasswordHash(userId: string, passwordHash: string, now: Date): Promise<boolean> {
    return guarded('password update', async () => {
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: userKey(userId), sk: 'account' },
            UpdateExpression: 'SET password_hash = :hash, password_changed_at = :at',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':hash': passwordHash, ':at': now.toISOString() },
          }),
        );
        return true;
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    });
  }

  async startSession(family: SessionFamily, token: RefreshTokenRecord): Promise<void> {
    await guarded('session start', async () => {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: userKey(family.user_id),
            sk: familySort(family.family_id),
            ...family,
            ...epoch(family.expires_at),
          },
        }),
      );
      await this.putToken(token);
    });
  }

  async rotateRefreshToken(tokenId: string, next: RefreshTokenRecord, now: Date): Promise<RotationOutcome> {
    return guarded('refresh token rotation', async () => {
      const record = await this.getRefreshToken(tokenId);
      if (!record || Date.parse(record.expires_at) <= now.getTime()) return { kind: 'invalid' };
      if (record.rotated_at !== undefined) return { kind: 'reused', record };
      const family = await this.getFamily(record.user_id, record.family_id);
      if (!family || family.revoked_at !== undefined || Date.parse(family.expires_at) <= now.getTime()) {
        return { kind: 'invalid' };
      }
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: tokenKey(tokenId), sk: 'token' },
            UpdateExpression: 'SET rotated_at = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotated_at)',
            ExpressionAttributeValues: { ':at': now.toISOString() },
          }),
        );
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') {
          return { kind: 'reused', record: { ...record, rotated_at: now.toISOString() } };
        }
        throw error;
      }
      await this.putToken(next);
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(family.user_id), sk: familySort(family.family_id) },
          UpdateExpression: 'SET expires_at = :at, #ttl = :epoch',
          ExpressionAttributeNames: { '#ttl': ACCOUNT_TABLE.timeToLiveAttribute },
          ExpressionAttributeValues: { ':at': next.expires_at, ':epoch': epochOf(next.expires_at) },
        }),
      );
      return { kind: 'rotated', family: { ...family, expires_at: next.expires_at } };
    });
  }

  async getRefreshToken(tokenId: string): Promise<RefreshTokenRecord | undefined> {
    return guarded('refresh token read', async () => {
      const item = await this.get(tokenKey(tokenId), 'token');
      return item ? (strip(item) as unknown as RefreshTokenRecord) : undefined;
    });
  }

  async getFamily(userId: string, familyId: string): Promise<SessionFamily | undefined> {
    return guarded('session read', async () => {
      const item = await this.get(userKey(userId), familySort(familyId));
      return item ? (strip(item) as unknown as SessionFamily) : undefined;
    });
  }

  async revokeFamily(userId: string, familyId: string, now: Date): Promise<void> {
    await guarded('session revocation', async () => {
      await this.revokeOne(userId, familyId, now);
    });
  }

  async revokeUserSessions(userId: string, now: Date, exceptFamilyId?: string): Promise<number> {
    return guarded('session revocation', async () => {
      const families = (await this.queryUser(userId, 'family#')) as unknown as SessionFamily[];
      let revoked = 0;
      for (const family of families) {
        if (family.family_id === exceptFamilyId || family.revoked_at !== undefined) continue;
        if (await this.revokeOne(userId, family.family_id, now)) revoked += 1;
      }
      return revoked;
    });
  }

  async createApiKey(key: PersonalApiKey, maxPerUser: number): Promise<boolean> {
    return guarded('API key creation', async () => {
      if ((await this.queryUser(key.user_id, 'key#')).length >= maxPerUser) return false;
      // The listing item first: a crash before the hash item leaves a listed key that authenticates nobody (delete it).
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: userKey(key.user_id), sk: `key#${key.key_id}`, ...key },
        }),
      );
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: { pk: `apikey#${key.sha256}`, sk: 'apikey', ...key } }),
      );
      return true;
    });
  }

  async listApiKeys(userId: string): Promise<PersonalApiKey[]> {
    return guarded('API key listing', async () => {
      const keys = (await this.queryUser(userId, 'key#')) as unknown as PersonalApiKey[];
      return keys.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.key_id.localeCompare(b.key_id));
    });
  }

  async deleteApiKey(userId: string, keyId: string): Promise<boolean> {
    return guarded('API key deletion', async () => {
      const item = await this.get(userKey(userId), `key#${keyId}`);
      if (!item) return false;
      const key = strip(item) as unknown as PersonalApiKey;
      // The hash item first: from then on the key authenticates nobody.
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: `apikey#${key.sha256}`, sk: 'apikey' } }),
      );
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: userKey(userId), sk: `key#${keyId}` } }),
      );
      return true;
    });
  }

  async findApiKey(sha256: string): Promise<PersonalApiKey | undefined> {
    return guarded('API key read', async () => {
      const item = await this.get(`apikey#${sha256}`, 'apikey');
      return item ? (strip(item) as unknown as PersonalApiKey) : undefined;
    });
  }

  async recordSignInFailure(pairId: string, now: Date, forgetAfterMs: number): Promise<SignInFailures> {
    return guarded('sign-in failure record', async () => {
      const key = { pk: `signin#${pairId}`, sk: 'signin' };
      const existing = await this.get(key.pk, key.sk);
      if (existing && typeof existing.expires_at === 'string' && Date.parse(existing.expires_at) <= now.getTime()) {
        await this.documents
          .send(
            new DeleteCommand({
              TableName: this.tableName,
              Key: key,
              ConditionExpression: 'expires_at = :seen',
              ExpressionAttributeValues: { ':seen': existing.expires_at },
            }),
          )
          .catch((error: unknown) => {
            if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
          });
      }
      const expiresAt = new Date(now.getTime() + forgetAfterMs).toISOString();
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'ADD #count :one SET last_failure_at = :now, expires_at = :expires, #ttl = :epoch',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': ACCOUNT_TABLE.timeToLiveAttribute },
          ExpressionAttributeValues: {
            ':one': 1,
            ':now': now.toISOString(),
            ':expires': expiresAt,
            ':epoch': epochOf(expiresAt),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const count: unknown = result.Attributes?.count;
      return { count: typeof count === 'number' ? count : 1, last_failure_at: now.toISOString() };
    });
  }

  async getSignInFailures(pairId: string, now: Date): Promise<SignInFailures | undefined> {
    return guarded('sign-in failure read', async () => {
      const item = await this.get(`signin#${pairId}`, 'signin');
      if (!item || typeof item.expires_at !== 'string' || Date.parse(item.expires_at) <= now.getTime()) {
        return undefined;
      }
      return { count: Number(item.count), last_failure_at: String(item.last_failure_at) };
    });
  }

  async clearSignInFailures(pairId: string): Promise<void> {
    await guarded('sign-in failure reset', async () => {
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: `signin#${pairId}`, sk: 'signin' } }),
      );
    });
  }

  async close(): Promise<void> {
    this.table.close();
    return Promise.resolve();
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return result.Item;
  }

  /** Puts the item unless one with its key exists; false when one did. */
  private async putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async putToken(token: RefreshTokenRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: tokenKey(token.token_id), sk: 'token', ...token, ...epoch(token.expires_at) },
      }),
    );
  }

  private async revokeOne(userId: string, familyId: string, now: Date): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: familySort(familyId) },
          UpdateExpression: 'SET revoked_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':at': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async queryUser(userId: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': userKey(userId), ':prefix': prefix },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(page.Items ?? []).map(strip));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  };
}

const userKey = (userId: string): string => `user#${userId}`;
const tokenKey = (tokenId: string): string => `token#${tokenId}`;
const familySort = (familyId: string): string => `family#${familyId}`;
const epochOf = (iso: string): number => Math.ceil(Date.parse(iso) / 1000);
const epoch = (iso: string): Record<string, number> => ({ [ACCOUNT_TABLE.timeToLiveAttribute]: epochOf(iso) });

/** The item without its keys and time-to-live attribute: the record the port describes. */
function strip(item: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...item };
  for (const name of ['pk', 'sk', ACCOUNT_TABLE.timeToLiveAttribute]) delete rest[name];
  return rest;
}
