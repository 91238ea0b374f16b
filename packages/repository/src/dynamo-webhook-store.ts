import { randomBytes } from 'node:crypto';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '@mediaflow/domain';
import { guarded } from './database-error';
import { errorName } from './dynamo-table-admin';
import { DynamoSideTable } from './dynamo-side-table';
import { WebhookStore } from './job-repository';
import type {
  LeasedDeliveryRef,
  LeasedWebhookDelivery,
  NewWebhookDelivery,
  WebhookAttemptRecord,
  WebhookDelivery,
  WebhookEndpoint,
} from './job-repository';

export interface DynamoWebhookStoreOptions {
  client: DynamoDBClient;
  /** The jobs table; the webhooks live in a table of their own, `<jobs table>-webhooks`. */
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
}

/**
 * The webhooks table, one item per thing, keyed `pk` + `sk`:
 *
 * | item                | pk               | sk                    |
 * | ------------------- | ---------------- | --------------------- |
 * | an endpoint         | `owner#<key id>` | `endpoint#<id>`       |
 * | an owner's secret   | `owner#<key id>` | `secret`              |
 * | a delivery          | `job#<job id>`   | `delivery#<id>`       |
 *
 * so a key's endpoints and a job's deliveries are each one Query. Pending
 * deliveries also carry `due_pk` = "due" and `due_sort` =
 * `<next_attempt_at>#<id>`, the keys of the sparse index `by_due`, which the
 * dispatchers read; a finished delivery drops them and leaves the index.
 * A table of its own rather than items in the jobs table: a new table gets
 * its index at creation, without adding one to the jobs table (a rebuild on
 * dynalite).
 */
export const WEBHOOK_TABLE = {
  suffix: '-webhooks',
  dueIndex: 'by_due',
  duePartition: 'due',
} as const;

// Sorts after '#', so `<now>#…` ids are all below it.
const AFTER_ID = '$';

function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'due_pk', AttributeType: 'S' },
      { AttributeName: 'due_sort', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: WEBHOOK_TABLE.dueIndex,
        KeySchema: [
          { AttributeName: 'due_pk', KeyType: 'HASH' },
          { AttributeName: 'due_sort', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

const ownerKey = (owner: string): string => `owner#${owner}`;
const endpointKey = (id: string): string => `endpoint#${id}`;
const jobKey = (jobId: string): string => `job#${jobId}`;
const deliveryKey = (id: string): string => `delivery#${id}`;
const dueSort = (at: string, id: string): string => `${at}#${id}`;

/** DynamoDB (and DynamoDB Local, and dynalite in the embedded mode) adapter of the webhook roles. */
export class DynamoWebhookStore extends WebhookStore {
  private readonly table: DynamoSideTable;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoWebhookStoreOptions) {
    super();
    this.table = new DynamoSideTable(options, {
      suffix: WEBHOOK_TABLE.suffix,
      what: 'webhook',
      definition: tableDefinition,
      requiredIndexes: [WEBHOOK_TABLE.dueIndex],
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

  async createEndpoint(endpoint: WebhookEndpoint, maxPerOwner: number): Promise<void> {
    await guarded('webhook endpoint creation', async () => {
      const count = (await this.queryEndpoints(endpoint.owner)).length;
      if (count >= maxPerOwner) {
        throw new AppError(
          'WEBHOOK_ENDPOINT_LIMIT',
          `this API key has ${count} webhook endpoints, the most allowed; delete one (DELETE /webhooks/{id}) first`,
        );
      }
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: ownerKey(endpoint.owner), sk: endpointKey(endpoint.endpoint_id), ...endpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    });
  }

  async listEndpoints(owner: string): Promise<WebhookEndpoint[]> {
    return guarded('webhook endpoint listing', async () => this.queryEndpoints(owner));
  }

  async deleteEndpoint(owner: string, endpointId: string): Promise<boolean> {
    return guarded('webhook endpoint deletion', async () => {
      const result = await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: ownerKey(owner), sk: endpointKey(endpointId) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes !== undefined;
    });
  }

  async ownerSecret(owner: string, proposed: string): Promise<string> {
    return guarded('webhook secret', async () => {
      const key = { pk: ownerKey(owner), sk: 'secret' };
      const read = async (): Promise<string | undefined> => {
        const found = await this.documents.send(
          new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
        );
        const secret: unknown = found.Item?.secret;
        return typeof secret === 'string' ? secret : undefined;
      };
      const stored = await read();
      if (stored !== undefined) return stored;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, secret: proposed },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return proposed;
      } catch (error) {
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        const winner = await read();
        if (winner === undefined) throw new AppError('DATABASE_ERROR', `webhook secret of ${owner} vanished`);
        return winner;
      }
    });
  }

  async enqueueDeliveries(deliveries: NewWebhookDelivery[]): Promise<void> {
    await guarded('webhook delivery enqueue', async () => {
      await Promise.all(
        deliveries.map(async (delivery) => {
          const due = new Date(delivery.created_at).toISOString();
          try {
            await this.documents.send(
              new PutCommand({
                TableName: this.tableName,
                Item: {
                  pk: jobKey(delivery.job_id),
                  sk: deliveryKey(delivery.delivery_id),
                  ...delivery,
                  status: 'pending',
                  attempts: [],
                  next_attempt_at: due,
                  due_pk: WEBHOOK_TABLE.duePartition,
                  due_sort: dueSort(due, delivery.delivery_id),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
          } catch (error) {
            // Recorded already (the same event twice): keep the first, with its attempts.
            if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
          }
        }),
      );
    });
  }

  async leaseDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<LeasedWebhookDelivery[]> {
    return guarded('webhook delivery lease', async () => {
      // The index is eventually consistent; the conditional update below is what decides.
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: WEBHOOK_TABLE.dueIndex,
          KeyConditionExpression: 'due_pk = :due AND due_sort < :bound',
          ExpressionAttributeValues: {
            ':due': WEBHOOK_TABLE.duePartition,
            ':bound': `${now.toISOString()}${AFTER_ID}`,
          },
          Limit: limit,
        }),
      );
      const until = new Date(now.getTime() + leaseMs).toISOString();
      const leased = await Promise.all((page.Items ?? []).map(async (item) => this.leaseOne(item, until)));
      return leased.flatMap((delivery) => (delivery ? [delivery] : []));
    });
  }

  async recordDeliveryAttempt(leased: LeasedDeliveryRef, record: WebhookAttemptRecord): Promise<boolean> {
    return guarded('webhook attempt record', async () => {
      const { outcome } = record;
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':lease': leased.lease, ':attempt': [record.attempt] };
      let expression: string;
      if (outcome.kind === 'retry') {
        const next = outcome.nextAttemptAt.toISOString();
        expression =
          'SET #status = :pending, attempts = list_append(attempts, :attempt), next_attempt_at = :next, due_sort = :sort REMOVE lease';
        Object.assign(values, { ':pending': 'pending', ':next': next, ':sort': dueSort(next, leased.delivery_id) });
      } else {
        expression =
          outcome.kind === 'delivered'
            ? 'SET #status = :finished, attempts = list_append(attempts, :attempt), delivered_at = :at REMOVE lease, due_pk, due_sort, next_attempt_at'
            : 'SET #status = :finished, attempts = list_append(attempts, :attempt) REMOVE lease, due_pk, due_sort, next_attempt_at';
        Object.assign(values, {
          ':finished': outcome.kind,
          ...(outcome.kind === 'delivered' ? { ':at': record.attempt.at } : {}),
        });
      }
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: jobKey(leased.job_id), sk: deliveryKey(leased.delivery_id) },
            UpdateExpression: expression,
            ConditionExpression: 'lease = :lease',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    });
  }

  async listDeliveries(jobId: string, limit: number): Promise<WebhookDelivery[]> {
    return guarded('webhook delivery listing', async () => {
      const deliveries: WebhookDelivery[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': jobKey(jobId), ':prefix': 'delivery#' },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        deliveries.push(...(page.Items ?? []).map(toDelivery));
        start = page.LastEvaluatedKey;
      } while (start);
      // Stored by id; the listing is by time.
      deliveries.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.delivery_id.localeCompare(b.delivery_id));
      return deliveries.slice(0, limit);
    });
  }

  async close(): Promise<void> {
    this.table.close();
    return Promise.resolve();
  }

  private async queryEndpoints(owner: string): Promise<WebhookEndpoint[]> {
    const page = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': ownerKey(owner), ':prefix': 'endpoint#' },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? [])
      .map(toEndpoint)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.endpoint_id.localeCompare(b.endpoint_id));
  }

  /** Leases one delivery read as due; null when another dispatcher got it first (its due_sort moved). */
  private async leaseOne(item: Record<string, unknown>, until: string): Promise<LeasedWebhookDelivery | null> {
    const delivery = toDelivery(item);
    const lease = randomBytes(12).toString('hex');
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(delivery.job_id), sk: deliveryKey(delivery.delivery_id) },
          UpdateExpression: 'SET due_sort = :sort, next_attempt_at = :until, lease = :lease',
          ConditionExpression: 'due_sort = :seen',
          ExpressionAttributeValues: {
            ':sort': dueSort(until, delivery.delivery_id),
            ':until': until,
            ':lease': lease,
            ':seen': item.due_sort,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...toDelivery(result.Attributes ?? item), lease };
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return null;
      throw error;
    }
  }
}

function toEndpoint(item: Record<string, unknown>): WebhookEndpoint {
  return {
    endpoint_id: String(item.endpoint_id),
    owner: String(item.owner),
    url: String(item.url),
    events: item.events as WebhookEndpoint['events'],
    secret: String(item.secret),
    created_at: String(item.created_at),
    ...(typeof item.description === 'string' ? { description: item.description } : {}),
  };
}

function toDelivery(item: Record<string, unknown>): WebhookDelivery {
  const optional = (name: string): string | undefined => {
    const value = item[name];
    return typeof value === 'string' ? value : undefined;
  };
  const owner = optional('owner');
  const endpointId = optional('endpoint_id');
  const next = optional('next_attempt_at');
  const delivered = optional('delivered_at');
  return {
    delivery_id: String(item.delivery_id),
    job_id: String(item.job_id),
    url: String(item.url),
    event_type: item.event_type as WebhookDelivery['event_type'],
    payload: String(item.payload),
    secret: String(item.secret),
    created_at: String(item.created_at),
    status: item.status as WebhookDelivery['status'],
    attempts: (item.attempts ?? []) as WebhookDelivery['attempts'],
    ...(owner === undefined ? {} : { owner }),
    ...(endpointId === undefined ? {} : { endpoint_id: endpointId }),
    ...(next === undefined ? {} : { next_attempt_at: next }),
    ...(delivered === undefined ? {} : { delivered_at: delivered }),
  };
}
