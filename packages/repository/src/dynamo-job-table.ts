import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import { AppError } from '@mediaflow/domain';

/**
 * Layout of the jobs table. Both access paths other than by id go through a
 * global secondary index, so nothing ever scans the table:
 * - `by_created`: every job under one partition, sorted by creation time and
 *   id, for newest-first listing;
 * - `by_status`: jobs by status, sorted by lease expiry (processing) or
 *   creation time (queued), for recovery. Finished jobs drop out of this
 *   index because their `lease_sort` is removed.
 */
export const JOB_TABLE = {
  partitionKey: 'job_id',
  createdIndex: 'by_created',
  statusIndex: 'by_status',
  listPartition: 'JOB',
} as const;

const TABLE_READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 200;

/** Creates the table if missing and waits until it and its indexes are usable. */
export async function ensureJobTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let table = await describe(client, tableName);
  if (!table) {
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
    } catch (error) {
      // Another process created it between our describe and create.
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
  }
  const deadline = Date.now() + TABLE_READY_TIMEOUT_MS;
  for (;;) {
    table = await describe(client, tableName);
    if (table && isReady(table)) {
      assertIndexes(table, tableName);
      return;
    }
    if (Date.now() > deadline) {
      throw new AppError(
        'DATABASE_ERROR',
        `table ${tableName} did not become ACTIVE within ${TABLE_READY_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const result = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return result.Table;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

function isReady(table: TableDescription): boolean {
  return (
    table.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
    )
  );
}

function assertIndexes(table: TableDescription, tableName: string): void {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = [JOB_TABLE.createdIndex, JOB_TABLE.statusIndex].filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new AppError('DATABASE_ERROR', `table ${tableName} exists without the indexes ${missing.join(', ')}`);
  }
}

function tableDefinition(tableName: string): ConstructorParameters<typeof CreateTableCommand>[0] {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'job_id', AttributeType: 'S' },
      { AttributeName: 'list_pk', AttributeType: 'S' },
      { AttributeName: 'created_sort', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'lease_sort', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: JOB_TABLE.createdIndex,
        KeySchema: [
          { AttributeName: 'list_pk', KeyType: 'HASH' },
          { AttributeName: 'created_sort', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: JOB_TABLE.statusIndex,
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'lease_sort', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
