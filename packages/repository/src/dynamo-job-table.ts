import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  DynamoDBClient,
  GlobalSecondaryIndex,
  Projection,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { AppError } from '@mediaflow/domain';
import {
  createTable,
  describeTable,
  enableTimeToLive,
  errorName,
  indexNames,
  isReady,
  pause,
  waitUntilReady,
} from './dynamo-table-admin';
import { rebuildTable, resumeRebuild } from './dynamo-table-rebuild';
import { schemaMissing } from './schema';

/**
 * Layout of the jobs table. Every access path other than by id goes through
 * a global secondary index, so nothing ever scans the table:
 * - `by_created`: every job under one partition, sorted by creation time and
 *   id, for newest-first listing;
 * - `by_status`: jobs by status, for recovery. Processing jobs sort by lease
 *   expiry; queued jobs by the keys of queuedSortKey() (dynamo-recovery-order.ts).
 *   Finished jobs drop out of this index because their `lease_sort` is removed;
 * - `by_dead_letter`: sparse, only dead-lettered jobs carry its keys, sorted
 *   by when they were dead-lettered and id;
 * - `by_owner`: sparse, jobs by their `owner` (the API key that created
 *   them; jobs without one are not in it), sorted like `by_created`;
 * - `by_active_owner`: sparse, keyed by `active_owner`, a copy of `owner`
 *   that a job carries only while it is queued or processing, for counting
 *   each key's work in flight.
 * - list filters (GET /process?status=&method_name=&created_after=&created_before=),
 *   each sorted newest first so a date range is a range of its sort key (see
 *   dynamo-list-index.ts): `by_status_created` (status), `by_status_owner`
 *   (status of one owner), `by_status_method` (status and operation),
 *   `by_status_owner_method` (all three), `by_method` (operation),
 *   `by_method_owner` (operation of one owner). Their partition keys are
 *   `status` (kept current by every transition) or `method_name`; their sort
 *   keys are built at creation from fields that never change;
 * - `by_reuse_key`: sparse, jobs by result-reuse key, newest first;
 * - `by_finished`: sparse, finished jobs not yet expired, by completion
 *   time, for the retention sweep.
 * A deleted job loses `created_sort` and the other list sort keys, so it
 * drops out of every listing index at once. Job records carry the
 * time-to-live attribute too (a tombstone's, or a completed job's after its
 * retention); DynamoDB allows one such attribute per table, hence the shared name.
 * Idempotency reservations (`idem#` ids) and rate-limit buckets (`rate#` ids)
 * live in the same table and carry none of the index keys, so no index ever
 * returns them. They expire through the table's time-to-live attribute.
 */
export const JOB_TABLE = {
  partitionKey: 'job_id',
  createdIndex: 'by_created',
  statusIndex: 'by_status',
  deadLetterIndex: 'by_dead_letter',
  ownerIndex: 'by_owner',
  activeOwnerIndex: 'by_active_owner',
  statusCreatedIndex: 'by_status_created',
  statusOwnerIndex: 'by_status_owner',
  statusMethodIndex: 'by_status_method',
  statusOwnerMethodIndex: 'by_status_owner_method',
  methodIndex: 'by_method',
  methodOwnerIndex: 'by_method_owner',
  reuseKeyIndex: 'by_reuse_key',
  finishedIndex: 'by_finished',
  finishedPartition: 'DONE',
  listPartition: 'JOB',
  deadLetterPartition: 'DLQ',
  timeToLiveAttribute: 'expires_epoch',
} as const;

export interface EnsureJobTableOptions {
  /** Add missing indexes by rebuilding the table (see dynamo-table-rebuild.ts); for dynalite only. */
  rebuildToAddIndexes?: boolean;
}

interface IndexLayout {
  index: GlobalSecondaryIndex;
  attributes: AttributeDefinition[];
}

const INDEXES: readonly IndexLayout[] = [
  indexLayout(JOB_TABLE.createdIndex, 'list_pk', 'created_sort'),
  indexLayout(JOB_TABLE.statusIndex, 'status', 'lease_sort'),
  indexLayout(JOB_TABLE.deadLetterIndex, 'dlq_pk', 'dead_letter_sort'),
  indexLayout(JOB_TABLE.ownerIndex, 'owner', 'created_sort'),
  // Only counted, never read: keys and the status that the count double-checks.
  indexLayout(JOB_TABLE.activeOwnerIndex, 'active_owner', undefined, {
    ProjectionType: 'INCLUDE',
    NonKeyAttributes: ['status'],
  }),
  indexLayout(JOB_TABLE.statusCreatedIndex, 'status', 'created_sort'),
  indexLayout(JOB_TABLE.statusOwnerIndex, 'status', 'owner_sort'),
  indexLayout(JOB_TABLE.statusMethodIndex, 'status', 'method_sort'),
  indexLayout(JOB_TABLE.statusOwnerMethodIndex, 'status', 'owner_method_sort'),
  indexLayout(JOB_TABLE.methodIndex, 'method_name', 'created_sort'),
  indexLayout(JOB_TABLE.methodOwnerIndex, 'method_name', 'owner_sort'),
  indexLayout(JOB_TABLE.reuseKeyIndex, 'reuse_key', 'created_sort'),
  indexLayout(JOB_TABLE.finishedIndex, 'finished_pk', 'finished_sort'),
];

const TABLE_READY_TIMEOUT_MS = 60_000;
// Adding an index to a big table means backfilling it, which DynamoDB may take many minutes over.
const INDEX_BUILD_TIMEOUT_MS = 30 * 60_000;
const INDEX_ADD_RETRY_MS = 1_000;

// One rebuild at a time per table within this process; rebuilds assume nobody else touches the table.
const rebuilds = new Map<string, Promise<void>>();

/**
 * Creates the table if missing, adds any index that a table created by an
 * earlier version lacks, waits until all of it is usable, and turns on
 * time-to-live for idempotency reservations and rate-limit buckets. Safe to run from several
 * processes at once (the rebuild path: from several callers in one process).
 */
export async function ensureJobTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureJobTableOptions = {},
): Promise<void> {
  if (!options.rebuildToAddIndexes) return ensureTable(client, tableName, false);
  const previous = rebuilds.get(tableName) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => ensureTable(client, tableName, true));
  rebuilds.set(tableName, next);
  try {
    await next;
  } finally {
    if (rebuilds.get(tableName) === next) rebuilds.delete(tableName);
  }
}

async function ensureTable(client: DynamoDBClient, tableName: string, rebuild: boolean): Promise<void> {
  if (rebuild) await resumeRebuild(client, tableName, tableDefinition);
  if (!(await describeTable(client, tableName))) await createTable(client, tableDefinition(tableName));
  let table = await waitUntilReady(client, tableName, TABLE_READY_TIMEOUT_MS);
  const missing = missingIndexes(table);
  if (missing.length > 0) {
    if (rebuild) {
      await rebuildTable(client, tableName, tableDefinition);
    } else {
      for (const layout of missing) await addIndex(client, tableName, layout);
    }
    table = await waitUntilReady(client, tableName, INDEX_BUILD_TIMEOUT_MS);
  }
  const stillMissing = missingIndexes(table).map((layout) => layout.index.IndexName);
  if (stillMissing.length > 0) {
    throw new AppError('DATABASE_ERROR', `table ${tableName} exists without the indexes ${stillMissing.join(', ')}`);
  }
  // Lets DynamoDB delete expired idempotency reservations and idle rate-limit buckets.
  await enableTimeToLive(client, tableName, JOB_TABLE.timeToLiveAttribute);
}

/**
 * Creates nothing: throws schemaMissing() unless the table exists, is ACTIVE
 * and has every index of the layout, each ACTIVE (what ensureJobTable() leaves).
 */
export async function checkJobTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const table = await describeTable(client, tableName);
  if (!table) throw schemaMissing('DynamoDB', [`table ${tableName}`]);
  const missing = missingIndexes(table).map((layout) => `index ${layout.index.IndexName}`);
  if (missing.length > 0) throw schemaMissing(`table ${tableName}`, missing);
  if (!isReady(table)) {
    const pending = [
      ...(table.TableStatus === 'ACTIVE' ? [] : [`ACTIVE status (is ${table.TableStatus})`]),
      ...(table.GlobalSecondaryIndexes ?? [])
        .filter((index) => index.IndexStatus !== undefined && index.IndexStatus !== 'ACTIVE')
        .map((index) => `ACTIVE index ${index.IndexName} (is ${index.IndexStatus})`),
    ];
    throw schemaMissing(`table ${tableName}`, pending);
  }
}

function missingIndexes(table: TableDescription): IndexLayout[] {
  const present = indexNames(table);
  return INDEXES.filter((layout) => !present.has(layout.index.IndexName ?? ''));
}

/**
 * Asks DynamoDB to build one index (it takes one per UpdateTable) and returns
 * once the index exists, possibly still backfilling. Racing processes: the
 * losers see the index appear, or the table busy with the winner's update.
 */
async function addIndex(client: DynamoDBClient, tableName: string, layout: IndexLayout): Promise<void> {
  const deadline = Date.now() + INDEX_BUILD_TIMEOUT_MS;
  for (;;) {
    const table = await describeTable(client, tableName);
    if (!table) throw new AppError('DATABASE_ERROR', `table ${tableName} disappeared while adding indexes`);
    if (indexNames(table).has(layout.index.IndexName ?? '')) return;
    if (table.TableStatus === 'ACTIVE') {
      try {
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            AttributeDefinitions: layout.attributes,
            GlobalSecondaryIndexUpdates: [{ Create: { ...layout.index, ...provisionedLike(table) } }],
          }),
        );
        const updated = await describeTable(client, tableName);
        if (updated && !indexNames(updated).has(layout.index.IndexName ?? '') && updated.TableStatus === 'ACTIVE') {
          throw new AppError(
            'DATABASE_ERROR',
            `the server accepted but ignored adding index ${layout.index.IndexName} to table ${tableName}` +
              ' (dynalite does); such a server needs the table rebuilt instead',
          );
        }
        return;
      } catch (error) {
        const name = errorName(error);
        // Another process's update is in flight: the index may be about to appear.
        if (name !== 'ResourceInUseException' && name !== 'LimitExceededException' && name !== 'ValidationException') {
          throw error;
        }
        const now = await describeTable(client, tableName);
        if (now && indexNames(now).has(layout.index.IndexName ?? '')) return;
        if (name === 'ValidationException') {
          throw new AppError(
            'DATABASE_ERROR',
            `could not add index ${layout.index.IndexName} to table ${tableName}: ${error instanceof Error ? error.message : String(error)}` +
              ' (a server that cannot add indexes online, such as dynalite, needs DATABASE_COMPAT=dynalite)',
            { cause: error },
          );
        }
      }
    }
    if (Date.now() > deadline) {
      throw new AppError('DATABASE_ERROR', `could not add index ${layout.index.IndexName} to table ${tableName}`);
    }
    await pause(INDEX_ADD_RETRY_MS);
  }
}

/** An index on a table with provisioned capacity needs capacity of its own; on-demand tables must not give any. */
function provisionedLike(table: TableDescription): Pick<GlobalSecondaryIndex, 'ProvisionedThroughput'> {
  if (table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST') return {};
  const read = table.ProvisionedThroughput?.ReadCapacityUnits ?? 0;
  const write = table.ProvisionedThroughput?.WriteCapacityUnits ?? 0;
  if (read < 1 || write < 1) return {};
  return { ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write } };
}

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: uniqueAttributes([
      { AttributeName: JOB_TABLE.partitionKey, AttributeType: 'S' },
      ...INDEXES.flatMap((layout) => layout.attributes),
    ]),
    KeySchema: [{ AttributeName: JOB_TABLE.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: INDEXES.map((layout) => layout.index),
  };
}

/** Indexes may share key attributes (`created_sort`), which CreateTable wants defined once. */
function uniqueAttributes(attributes: AttributeDefinition[]): AttributeDefinition[] {
  return [...new Map(attributes.map((attribute) => [attribute.AttributeName, attribute])).values()];
}

function indexLayout(
  name: string,
  partitionKey: string,
  sortKey?: string,
  projection: Projection = { ProjectionType: 'ALL' },
): IndexLayout {
  const keys = [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    ...(sortKey === undefined ? [] : [{ AttributeName: sortKey, KeyType: 'RANGE' as const }]),
  ];
  return {
    index: {
      IndexName: name,
      KeySchema: keys,
      Projection: projection,
    },
    attributes: keys.map((key) => ({ AttributeName: key.AttributeName, AttributeType: 'S' })),
  };
}
