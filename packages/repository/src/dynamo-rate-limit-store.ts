import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { guarded } from './database-error';
import { RATE_LIMIT_PREFIX } from './dynamo-item-ids';
import { ensureJobTable, JOB_TABLE } from './dynamo-job-table';
import { takeOptimistically } from './optimistic-take';
import { RateLimitStore } from './rate-limit-store';
import type { RateLimitDecision, RateLimitRequest } from './rate-limit-store';
import { bucketHash, keepUntilMs, takeFrom } from './token-bucket';
import type { BucketState } from './token-bucket';

export interface DynamoRateLimitStoreOptions {
  client: DynamoDBClient;
  /** The jobs table: buckets live beside the jobs (see JOB_TABLE). */
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
  /** As DynamoJobRepositoryOptions.rebuildTableToAddIndexes, for init() on dynalite. */
  rebuildTableToAddIndexes?: boolean;
}

/** A bucket as stored: no index keys, so no listing or recovery query ever sees it. */
interface BucketItem {
  job_id: string;
  tokens: number;
  updated_ms: number;
  /** Bumped by every write; a write is conditional on the version its round read. */
  version: number;
  [JOB_TABLE.timeToLiveAttribute]: number;
}

/**
 * Token buckets as items of the jobs table (`rate#<sha256 of the key>`). The
 * conditional write on `version` is atomic in DynamoDB (and DynamoDB Local,
 * and dynalite), so of concurrent takes that read the same version exactly
 * one writes. Idle buckets expire through the table's time-to-live.
 */
export class DynamoRateLimitStore extends RateLimitStore {
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly destroyClientOnClose: boolean;
  private readonly rebuildTableToAddIndexes: boolean;

  constructor(options: DynamoRateLimitStoreOptions) {
    super();
    this.client = options.client;
    this.tableName = options.tableName;
    this.destroyClientOnClose = options.destroyClientOnClose ?? false;
    this.rebuildTableToAddIndexes = options.rebuildTableToAddIndexes ?? false;
    this.documents = DynamoDBDocumentClient.from(options.client);
  }

  async init(): Promise<void> {
    await guarded('table creation', async () =>
      ensureJobTable(this.client, this.tableName, { rebuildToAddIndexes: this.rebuildTableToAddIndexes }),
    );
  }

  async take(request: RateLimitRequest): Promise<RateLimitDecision> {
    const id = `${RATE_LIMIT_PREFIX}${bucketHash(request.key)}`;
    return guarded('rate limit', async () =>
      takeOptimistically(request, async (cost) => {
        const read = await this.documents.send(
          new GetCommand({ TableName: this.tableName, Key: { job_id: id }, ConsistentRead: true }),
        );
        const stored = asBucket(read.Item);
        const outcome = takeFrom(stored?.state, request, cost);
        if (!outcome.next) return outcome.decision;
        const written = await this.write(id, stored?.version, outcome.next, request);
        return written ? outcome.decision : 'conflict';
      }),
    );
  }

  async close(): Promise<void> {
    if (this.destroyClientOnClose) this.client.destroy();
    return Promise.resolve();
  }

  /** Writes the bucket unless another take wrote it since `version` was read; false then. */
  private async write(
    id: string,
    version: number | undefined,
    state: BucketState,
    request: RateLimitRequest,
  ): Promise<boolean> {
    const item: BucketItem = {
      job_id: id,
      tokens: state.tokens,
      updated_ms: state.updatedMs,
      version: (version ?? 0) + 1,
      [JOB_TABLE.timeToLiveAttribute]: Math.ceil(keepUntilMs(state, request, Date.now()) / 1000),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(version === undefined
            ? { ConditionExpression: 'attribute_not_exists(job_id)' }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': version },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

function asBucket(item: Record<string, unknown> | undefined): { state: BucketState; version: number } | undefined {
  if (!item) return undefined;
  const { tokens, updated_ms, version } = item;
  if (typeof tokens !== 'number' || typeof updated_ms !== 'number' || typeof version !== 'number') return undefined;
  return { state: { tokens, updatedMs: updated_ms }, version };
}
