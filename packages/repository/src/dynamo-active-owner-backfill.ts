import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildUpdate } from './dynamo-expressions';
import { MARKER_PREFIX } from './dynamo-item-ids';
import { JOB_TABLE } from './dynamo-job-table';
import { ACTIVE_STATUSES } from './job-repository';

type ItemKey = Record<string, unknown>;

const MARKER_ID = `${MARKER_PREFIX}active-owner-backfill-v1`;

/**
 * Gives `active_owner` to the queued and processing jobs that an earlier
 * version stored with an `owner` but without it, so countActive() counts
 * them once `by_active_owner` exists. Runs once per table: a marker item
 * records that it finished, and a crash before that only means the next
 * init() runs it again. Every write is conditional on the job still being
 * active and not having the attribute yet, so racing processes, and jobs
 * finishing meanwhile, are harmless.
 *
 * It reads the `by_status` index, which lags behind writes a little: a job
 * that a process of the earlier version creates or requeues while this runs
 * (a rolling upgrade) can be missed and goes uncounted until it finishes.
 */
export async function backfillActiveOwners(documents: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const marker = await documents.send(
    new GetCommand({ TableName: tableName, Key: { job_id: MARKER_ID }, ConsistentRead: true }),
  );
  if (marker.Item) return;
  for (const status of ACTIVE_STATUSES) {
    let from: ItemKey | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: JOB_TABLE.statusIndex,
          KeyConditionExpression: '#status = :status',
          FilterExpression: 'attribute_exists(#owner) AND attribute_not_exists(#active)',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner', '#active': 'active_owner' },
          ExpressionAttributeValues: { ':status': status },
          ProjectionExpression: 'job_id',
          ExclusiveStartKey: from,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.job_id === 'string') await giveActiveOwner(documents, tableName, item.job_id);
      }
      from = page.LastEvaluatedKey;
    } while (from);
  }
  await documents.send(
    new PutCommand({ TableName: tableName, Item: { job_id: MARKER_ID, completed_at: new Date().toISOString() } }),
  );
}

async function giveActiveOwner(documents: DynamoDBDocumentClient, tableName: string, jobId: string): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { job_id: jobId },
        ...buildUpdate({
          copy: { active_owner: 'owner' },
          condition: {
            and: [
              { or: ACTIVE_STATUSES.map((status) => ({ equals: ['status', status] as [string, unknown] })) },
              { exists: 'owner' },
              { notExists: 'active_owner' },
            ],
          },
        }),
      }),
    );
  } catch (error) {
    // The job finished, or got the attribute some other way, since the index showed it.
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
  }
}
