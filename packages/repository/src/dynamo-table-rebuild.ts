import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import { copyItems, createTable, deleteTable, describeTable, indexNames, waitUntilReady } from './dynamo-table-admin';
import type { Item } from './dynamo-table-admin';

/**
 * Adds indexes to an existing table by rebuilding it, for servers that accept
 * UpdateTable's GlobalSecondaryIndexUpdates but ignore them (dynalite, which
 * the embedded mode runs). The items are copied into a staging table that has
 * the full definition, the original is dropped and recreated with that
 * definition, and the items are copied back.
 *
 * A marker item in the staging table records that the first copy finished,
 * so a crash at any point can be resumed from resumeRebuild() without losing
 * items: before the marker the original is intact, after it the staging
 * table holds everything. Nothing else may write to the table meanwhile,
 * which holds for the embedded mode: only the one process that opened the
 * LevelDB directory can reach its dynalite.
 */

type DefinitionFor = (tableName: string) => CreateTableCommandInput;

const STAGING_SUFFIX = '.rebuild';
// Sorts before every job id; carries no index keys, so it never shows up in a listing.
const COMPLETE_MARKER: Item = { job_id: { S: '#rebuild-copy-complete' } };
const TABLE_TIMEOUT_MS = 60_000;

export async function rebuildTable(
  client: DynamoDBClient,
  tableName: string,
  definitionFor: DefinitionFor,
): Promise<void> {
  const staging = stagingName(tableName);
  // A staging table without the marker is a copy that never finished.
  await deleteTable(client, staging, TABLE_TIMEOUT_MS);
  await createTable(client, definitionFor(staging));
  await waitUntilReady(client, staging, TABLE_TIMEOUT_MS);
  await copyItems(client, tableName, staging);
  await client.send(new PutItemCommand({ TableName: staging, Item: COMPLETE_MARKER }));
  await finishRebuild(client, tableName, definitionFor);
}

/** Completes or discards a rebuild a crash interrupted. Call before anything else touches the table. */
export async function resumeRebuild(
  client: DynamoDBClient,
  tableName: string,
  definitionFor: DefinitionFor,
): Promise<void> {
  const staging = stagingName(tableName);
  if (!(await describeTable(client, staging))) return;
  await waitUntilReady(client, staging, TABLE_TIMEOUT_MS);
  const marker = await client.send(
    new GetItemCommand({ TableName: staging, Key: COMPLETE_MARKER, ConsistentRead: true }),
  );
  if (marker.Item) {
    await finishRebuild(client, tableName, definitionFor);
  } else {
    await deleteTable(client, staging, TABLE_TIMEOUT_MS);
  }
}

async function finishRebuild(client: DynamoDBClient, tableName: string, definitionFor: DefinitionFor): Promise<void> {
  const staging = stagingName(tableName);
  const definition = definitionFor(tableName);
  const current = await describeTable(client, tableName);
  if (current && !hasIndexes(current, definition)) await deleteTable(client, tableName, TABLE_TIMEOUT_MS);
  if (!current || !hasIndexes(current, definition)) await createTable(client, definition);
  await waitUntilReady(client, tableName, TABLE_TIMEOUT_MS);
  // Copying again after a crash in this step rewrites the same items, which is harmless.
  await copyItems(client, staging, tableName, (item) => item.job_id?.S !== COMPLETE_MARKER.job_id.S);
  await deleteTable(client, staging, TABLE_TIMEOUT_MS);
}

function hasIndexes(table: TableDescription, definition: CreateTableCommandInput): boolean {
  if (table.TableStatus === 'DELETING') return false;
  const present = indexNames(table);
  return (definition.GlobalSecondaryIndexes ?? []).every((index) => present.has(index.IndexName ?? ''));
}

function stagingName(tableName: string): string {
  return `${tableName}${STAGING_SUFFIX}`;
}
