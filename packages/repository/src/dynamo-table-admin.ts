import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  AttributeValue,
  CreateTableCommandInput,
  DynamoDBClient,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { AppError } from '@mediaflow/domain';

/** Table administration both the normal start-up path and a table rebuild need. */

const POLL_INTERVAL_MS = 200;
// BatchWriteItem's limit per request.
const BATCH_SIZE = 25;
const MAX_UNPROCESSED_ROUNDS = 20;

export type Item = Record<string, AttributeValue>;

export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const result = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return result.Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Creates the table; false when it exists already (another process may have just created it). */
export async function createTable(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<boolean> {
  try {
    await client.send(new CreateTableCommand(definition));
    return true;
  } catch (error) {
    if (errorName(error) === 'ResourceInUseException') return false;
    throw error;
  }
}

/** Whether the table and every index on it are ACTIVE, so all reads and writes work. */
export function isReady(table: TableDescription): boolean {
  return (
    table.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE',
    )
  );
}

export function indexNames(table: TableDescription): Set<string> {
  return new Set((table.GlobalSecondaryIndexes ?? []).flatMap((index) => (index.IndexName ? [index.IndexName] : [])));
}

/** Polls until the table and its indexes are ACTIVE. */
export async function waitUntilReady(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await describeTable(client, tableName);
    if (table && isReady(table)) return table;
    if (Date.now() > deadline) {
      throw new AppError(
        'DATABASE_ERROR',
        `table ${tableName} and its indexes did not become ACTIVE within ${timeoutMs} ms`,
      );
    }
    await pause(POLL_INTERVAL_MS);
  }
}

/** Deletes the table if it exists and waits until it is gone. */
export async function deleteTable(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    // Already gone, or already being deleted.
    const name = errorName(error);
    if (name !== 'ResourceNotFoundException' && name !== 'ResourceInUseException') throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (await describeTable(client, tableName)) {
    if (Date.now() > deadline) {
      throw new AppError('DATABASE_ERROR', `table ${tableName} was not deleted within ${timeoutMs} ms`);
    }
    await pause(POLL_INTERVAL_MS);
  }
}

/** Copies every item of one table into another, as is; `keep` can leave items out. */
export async function copyItems(
  client: DynamoDBClient,
  from: string,
  to: string,
  keep: (item: Item) => boolean = () => true,
): Promise<void> {
  let start: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: from, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    const items = (page.Items ?? []).filter(keep);
    for (let index = 0; index < items.length; index += BATCH_SIZE) {
      await writeBatch(client, to, items.slice(index, index + BATCH_SIZE));
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

async function writeBatch(client: DynamoDBClient, tableName: string, items: Item[]): Promise<void> {
  let requests = items.map((item) => ({ PutRequest: { Item: item } }));
  for (let round = 0; requests.length > 0; round += 1) {
    if (round >= MAX_UNPROCESSED_ROUNDS) {
      throw new AppError('DATABASE_ERROR', `copying items into ${tableName} kept being throttled`);
    }
    if (round > 0) await pause(POLL_INTERVAL_MS * round);
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    requests = (result.UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
      request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
    );
  }
}

export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Turns on DynamoDB's time to live for `attribute` (epoch seconds), so expired
 * items are deleted by the server. Readers check expiry themselves, since
 * deletion may lag by days; a server without time to live (dynalite) only
 * keeps expired items around longer.
 *
 * @throws the SDK's error for anything but "unsupported" or "already enabled".
 */
export async function enableTimeToLive(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  try {
    const described = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = described.TimeToLiveDescription?.TimeToLiveStatus;
    // Enabled (maybe on an attribute an operator chose), or in transition: leave it be.
    if (status !== undefined && status !== 'DISABLED') return;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
      }),
    );
  } catch (error) {
    const name = errorName(error);
    if (name === 'UnknownOperationException') return;
    // Another process enabled it between our describe and update.
    if (name === 'ValidationException' && error instanceof Error && /already enabled/i.test(error.message)) return;
    throw error;
  }
}
