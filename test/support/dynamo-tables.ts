import { DeleteTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ACCOUNT_TABLE, createDynamoClient, WEBHOOK_TABLE } from '@mediaflow/repository';

/**
 * Deletes a test's DynamoDB tables on DynamoDB Local: the jobs table and the
 * `-accounts` and `-webhooks` tables named after it. Tables that are not there
 * are skipped; a failure is reported, never thrown (cleanup must not fail a
 * test).
 *
 * Why tests must clean up: DynamoDB Local 3.x runs one item-expiry job per
 * table with time to live enabled, on the same 10-thread pool as its online
 * index builds. With seven or more such tables alive the pool is full for
 * good, and an UpdateTable that adds an index stays CREATING forever (seen
 * with jstack: seven TimeToLiveDeletionJob threads; the jobs and accounts
 * tables both enable time to live). Deleting the tables frees the threads.
 *
 * @param table The jobs table (DYNAMODB_TABLE).
 */
export async function dropDynamoTables(table: string | undefined): Promise<void> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!table || !endpoint) return;
  const client = createDynamoClient({ AWS_REGION: process.env.AWS_REGION ?? 'us-east-1', DYNAMODB_ENDPOINT: endpoint });
  try {
    for (const name of [table, `${table}${ACCOUNT_TABLE.suffix}`, `${table}${WEBHOOK_TABLE.suffix}`]) {
      await client.send(new DeleteTableCommand({ TableName: name })).catch((error: unknown) => {
        if (!(error instanceof ResourceNotFoundException)) console.warn(`could not delete table ${name}:`, error);
      });
    }
  } finally {
    client.destroy();
  }
}
