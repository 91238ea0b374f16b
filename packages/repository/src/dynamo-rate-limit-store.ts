import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { guarded } from './database-error';
import { RATE_LIMIT_PREFIX } from './dynamo-item-ids';
import { checkJobTable, ensureJobTable, JOB_TABLE } from './dynamo-job-table';
import { RATE_LIMIT_DEADLINE_MS, TatCache, takeAtomically } from './rate-limit-atomic';
import type { AtomicTatOperations, TatRange, TatUpdate } from './rate-limit-atomic';
import { gcraKeepUntilMs } from './rate-limit-gcra';
import { RateLimitStore } from './rate-limit-store';
import type { DatabaseCompat } from './schema';
import type { RateLimitGrant, RateLimitPartialRequest } from './rate-limit-store';
import { bucketHash } from './token-bucket';

export interface DynamoRateLimitStoreOptions {
  client: DynamoDBClient;
  /** The jobs table: buckets live beside the jobs (see JOB_TABLE). */
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
  /** As DynamoJobRepositoryOptions.compat; `dynalite` also makes returnsItemOnConditionFailure default false. */
  compat?: DatabaseCompat;
  /**
   * Whether a failed condition returns the item it found
   * (ReturnValuesOnConditionCheckFailure): DynamoDB and DynamoDB Local do;
   * dynalite does not, so the store reads the item after a failure instead.
   * Default: false with compat `dynalite`, else true; a failure without the item falls back to a read either way.
   */
  returnsItemOnConditionFailure?: boolean;
  /** How long a take may keep losing conditions before it fails with DATABASE_ERROR. */
  deadlineMs?: number;
}

/**
 * Token buckets as items of the jobs table (`rate#<sha256 of the key>`),
 * each holding its GCRA theoretical arrival time `tat` (see
 * rate-limit-gcra.ts). A take is one conditional UpdateItem with arithmetic,
 * atomic in DynamoDB (and DynamoDB Local, and dynalite):
 *
 * - new or idle bucket: `SET tat = :now + cost·T` if
 *   `attribute_not_exists(tat) OR tat < :now`;
 * - busy bucket: `SET tat = tat + granted·T` if tat lies where the take
 *   grants that much (`tat >= :now AND tat <= :high`, see gcraGrantRange).
 *
 * The branch is guessed from the last tat this process saw; a failed
 * condition returns the item found (or a consistent read does, on dynalite),
 * which either refuses the take or picks the next attempt (takeAtomically).
 * Nothing serialises the takes of a key: concurrent takes that fit all
 * succeed at once. Idle buckets expire through the table's time-to-live.
 *
 * Items written by earlier versions (tokens, updated_ms, no tat) count as a
 * new bucket: the bucket starts full once, on the first take after upgrading.
 */
export class DynamoRateLimitStore extends RateLimitStore {
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly destroyClientOnClose: boolean;
  private readonly rebuildTableToAddIndexes: boolean;
  private readonly returnsItemOnConditionFailure: boolean;
  private readonly deadlineMs: number;
  private readonly cache = new TatCache();

  constructor(options: DynamoRateLimitStoreOptions) {
    super();
    this.client = options.client;
    this.tableName = options.tableName;
    this.destroyClientOnClose = options.destroyClientOnClose ?? false;
    this.rebuildTableToAddIndexes = options.compat === 'dynalite';
    this.returnsItemOnConditionFailure = options.returnsItemOnConditionFailure ?? options.compat !== 'dynalite';
    this.deadlineMs = options.deadlineMs ?? RATE_LIMIT_DEADLINE_MS;
    this.documents = DynamoDBDocumentClient.from(options.client);
  }

  async init(): Promise<void> {
    await guarded('table creation', async () =>
      ensureJobTable(this.client, this.tableName, { rebuildToAddIndexes: this.rebuildTableToAddIndexes }),
    );
  }

  async checkSchema(): Promise<void> {
    await guarded('schema check', async () => checkJobTable(this.client, this.tableName));
  }

  async takeUpTo(request: RateLimitPartialRequest): Promise<RateLimitGrant> {
    const id = `${RATE_LIMIT_PREFIX}${bucketHash(request.key)}`;
    const expires = Math.ceil(gcraKeepUntilMs(request, Date.now()) / 1000);
    const operations: AtomicTatOperations = {
      read: async () => {
        const read = await this.documents.send(
          new GetCommand({ TableName: this.tableName, Key: { job_id: id }, ConsistentRead: true }),
        );
        return tatOf(read.Item);
      },
      startIdle: async (tat, nowMs) =>
        this.update(id, {
          UpdateExpression: 'SET tat = :tat, #expires = :expires',
          ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
          ExpressionAttributeNames: { '#expires': JOB_TABLE.timeToLiveAttribute },
          ExpressionAttributeValues: { ':tat': tat, ':now': nowMs, ':expires': expires },
        }),
      advance: async (deltaMs, range: TatRange) =>
        this.update(id, {
          UpdateExpression: 'SET tat = tat + :delta, #expires = :expires',
          ConditionExpression:
            range.low === undefined ? 'tat BETWEEN :from AND :high' : 'tat BETWEEN :from AND :high AND tat > :low',
          ExpressionAttributeNames: { '#expires': JOB_TABLE.timeToLiveAttribute },
          ExpressionAttributeValues: {
            ':delta': deltaMs,
            ':from': range.from,
            ':high': range.high,
            ':expires': expires,
            ...(range.low === undefined ? {} : { ':low': range.low }),
          },
        }),
    };
    return guarded('rate limit', async () => takeAtomically(request, id, operations, this.cache, this.deadlineMs));
  }

  async close(): Promise<void> {
    if (this.destroyClientOnClose) this.client.destroy();
    return Promise.resolve();
  }

  private async update(
    id: string,
    expression: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<TatUpdate> {
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: id },
          ...expression,
          ReturnValues: 'ALL_NEW',
          ...(this.returnsItemOnConditionFailure ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        }),
      );
      const tat = tatOf(result.Attributes);
      if (tat === undefined) throw new Error(`rate limit item ${id} has no tat after an update`);
      return { ok: true, tat };
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        if (!this.returnsItemOnConditionFailure) return { ok: false };
        // The low-level client returns the item found in its wire format.
        // No item: none found, or a server that returns none (dynalite); a read tells.
        const item = (error as { Item?: Record<string, { N?: string }> }).Item;
        const stored = item?.tat?.N;
        return stored === undefined ? { ok: false } : { ok: false, current: { tat: Number(stored) } };
      }
      throw error;
    }
  }
}

function tatOf(item: Record<string, unknown> | undefined): number | undefined {
  const tat = item?.tat;
  return typeof tat === 'number' && Number.isFinite(tat) ? tat : undefined;
}
