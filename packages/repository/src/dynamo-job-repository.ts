import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { AppError } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { decodeListCursor, encodeListCursor } from './cursor';
import type { ListPosition } from './cursor';
import { buildUpdate } from './dynamo-expressions';
import type { Condition, UpdateSpec } from './dynamo-expressions';
import { ensureJobTable, JOB_TABLE } from './dynamo-job-table';
import { guarded } from './database-error';
import { historyEntry, isClaimable, leaseUntil, newJobRecord } from './job-records';
import { JobRepository } from './job-repository';
import type {
  ClaimRequest,
  CompletionUpdate,
  FailureUpdate,
  JobPage,
  ListJobsQuery,
  NewJob,
  ProgressUpdate,
} from './job-repository';

export interface DynamoJobRepositoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
}

/** Index keys stored beside the job's own fields; never part of a returned Job. */
interface IndexKeys {
  list_pk: typeof JOB_TABLE.listPartition;
  created_sort: string;
  lease_sort?: string;
}

type ItemKey = Record<string, string>;

const INDEX_ATTRIBUTES: readonly string[] = ['list_pk', 'created_sort', 'lease_sort'];
// Queries read at most this many items per request when paging for a caller.
const MAX_PAGE_ITEMS = 1000;

const OWNED_BY = (workerId: string): Condition => ({
  and: [{ equals: ['status', 'processing'] }, { equals: ['worker_id', workerId] }],
});

/**
 * DynamoDB adapter. Every transition is one UpdateItem whose
 * ConditionExpression carries the ownership condition; a failed condition is
 * an ordinary "no" (false or null), never an error.
 */
export class DynamoJobRepository extends JobRepository {
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly destroyClientOnClose: boolean;

  constructor(options: DynamoJobRepositoryOptions) {
    super();
    this.client = options.client;
    this.tableName = options.tableName;
    this.destroyClientOnClose = options.destroyClientOnClose ?? false;
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async init(): Promise<void> {
    await guarded('table creation', async () => ensureJobTable(this.client, this.tableName));
  }

  async ping(): Promise<void> {
    await guarded('ping', async () => this.client.send(new DescribeTableCommand({ TableName: this.tableName })));
  }

  async close(): Promise<void> {
    if (this.destroyClientOnClose) this.client.destroy();
    return Promise.resolve();
  }

  async create(job: NewJob): Promise<Job> {
    const record = newJobRecord(job);
    const item: Job & IndexKeys = {
      ...record,
      list_pk: JOB_TABLE.listPartition,
      created_sort: createdSort(record),
      lease_sort: record.created_at,
    };
    const stored = await this.conditional('insert', async () =>
      this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(job_id)',
        }),
      ),
    );
    if (!stored) throw new AppError('INTERNAL', `job ${job.job_id} already exists`);
    return record;
  }

  async get(jobId: string): Promise<Job | null> {
    const result = await guarded('read', async () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: { job_id: jobId }, ConsistentRead: true })),
    );
    return result.Item ? toJob(result.Item) : null;
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor);
    const [items, count] = await guarded('list', async () =>
      Promise.all([
        this.readListPage(after ? listKey(after) : undefined, after ? 0 : query.skip, query.limit),
        this.countAll(),
      ]),
    );
    const jobs = items.slice(0, query.limit).map(toJob);
    const last = jobs.at(-1);
    const more = items.length > query.limit && last !== undefined;
    return {
      jobs,
      count,
      ...(more ? { next_cursor: encodeListCursor(last) } : {}),
    };
  }

  async claim(request: ClaimRequest): Promise<Job | null> {
    const current = await this.get(request.jobId);
    if (!current || !isClaimable(current, request.now)) return null;
    const now = request.now.toISOString();
    const lease = leaseUntil(request.now, request.leaseMs);
    const attempt = current.attempts + 1;
    const result = await this.update(request.jobId, 'claim', {
      set: {
        status: 'processing',
        worker_id: request.workerId,
        lease_expires_at: lease,
        lease_sort: lease,
        started_at: now,
        updated_at: now,
        progress: 0,
        attempts: attempt,
      },
      remove: ['speed', 'eta_seconds'],
      append: { history: [historyEntry({ status: 'processing', at: now, worker_id: request.workerId, attempt })] },
      condition: {
        and: [
          // The attempt count read above must still hold, so the history entry's attempt number is the true one.
          { equals: ['attempts', current.attempts] },
          {
            or: [
              { equals: ['status', 'queued'] },
              { and: [{ equals: ['status', 'processing'] }, { lessThan: ['lease_expires_at', now] }] },
            ],
          },
        ],
      },
    });
    return result ?? null;
  }

  async updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean> {
    const lease = update.leaseExpiresAt.toISOString();
    const result = await this.update(jobId, 'progress update', {
      set: {
        progress: update.progress,
        speed: update.speed,
        eta_seconds: update.eta_seconds,
        lease_expires_at: lease,
        lease_sort: lease,
        updated_at: new Date().toISOString(),
      },
      // A speed or ETA the caller no longer knows is dropped rather than left stale.
      remove: [
        ...(update.speed === undefined ? ['speed'] : []),
        ...(update.eta_seconds === undefined ? ['eta_seconds'] : []),
      ],
      condition: OWNED_BY(workerId),
    });
    return result !== undefined;
  }

  async complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean> {
    const now = update.now.toISOString();
    const result = await this.update(jobId, 'completion', {
      set: {
        status: 'completed',
        progress: 100,
        outputs: update.outputs,
        output_path: update.output_path,
        log_path: update.log_path,
        completed_at: now,
        updated_at: now,
      },
      remove: ['speed', 'eta_seconds', 'lease_expires_at', 'lease_sort', 'error'],
      append: { history: [historyEntry({ status: 'completed', at: now, worker_id: workerId })] },
      condition: OWNED_BY(workerId),
    });
    return result !== undefined;
  }

  async fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean> {
    const now = update.now.toISOString();
    const result = await this.update(jobId, 'failure', {
      set: {
        status: 'failed',
        error: { code: update.error.code, message: update.error.message },
        log_path: update.log_path,
        completed_at: now,
        updated_at: now,
      },
      remove: ['speed', 'eta_seconds', 'lease_expires_at', 'lease_sort'],
      append: {
        history: [historyEntry({ status: 'failed', at: now, worker_id: workerId, note: update.error.code })],
      },
      condition: OWNED_BY(workerId),
    });
    return result !== undefined;
  }

  async release(jobId: string, workerId: string, now: Date, note: string): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.update(jobId, 'release', {
      set: { status: 'queued', progress: 0, updated_at: at },
      // Queued jobs sort by creation time in the status index, oldest first.
      copy: { lease_sort: 'created_at' },
      remove: ['worker_id', 'lease_expires_at', 'speed', 'eta_seconds'],
      append: { history: [historyEntry({ status: 'queued', at, worker_id: workerId, note })] },
      condition: OWNED_BY(workerId),
    });
    return result !== undefined;
  }

  async findRecoverable(now: Date, limit: number): Promise<Job[]> {
    const expired = await this.queryStatus(
      {
        KeyConditionExpression: '#status = :status AND lease_sort < :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'processing', ':now': now.toISOString() },
      },
      limit,
    );
    const queued = await this.queryStatus(
      {
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'queued' },
      },
      limit - expired.length,
    );
    return [...expired, ...queued].map(toJob);
  }

  /** Walks the status index oldest first; index reads are eventually consistent, which recovery tolerates. */
  private async queryStatus(
    input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    return guarded('recovery scan', async () =>
      this.collect({ TableName: this.tableName, IndexName: JOB_TABLE.statusIndex, ...input }, undefined, limit),
    );
  }

  /** Reads up to limit + 1 items of the newest-first listing, after `start` or after skipping `skip` items. */
  private async readListPage(
    start: ItemKey | undefined,
    skip: number,
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    let from = start;
    let remaining = skip;
    while (remaining > 0) {
      // Counting moves the position without shipping the skipped items.
      const page = await this.documents.send(
        new QueryCommand({
          ...this.listQuery(),
          Select: 'COUNT',
          Limit: Math.min(remaining, MAX_PAGE_ITEMS),
          ExclusiveStartKey: from,
        }),
      );
      remaining -= page.Count ?? 0;
      if (!page.LastEvaluatedKey) return [];
      from = page.LastEvaluatedKey as ItemKey;
    }
    return this.collect(this.listQuery(), from, limit + 1);
  }

  private async countAll(): Promise<number> {
    let count = 0;
    let from: ItemKey | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({ ...this.listQuery(), Select: 'COUNT', ExclusiveStartKey: from }),
      );
      count += page.Count ?? 0;
      from = page.LastEvaluatedKey as ItemKey | undefined;
    } while (from);
    return count;
  }

  private listQuery(): QueryCommandInput {
    return {
      TableName: this.tableName,
      IndexName: JOB_TABLE.createdIndex,
      KeyConditionExpression: 'list_pk = :list',
      ExpressionAttributeValues: { ':list': JOB_TABLE.listPartition },
      ScanIndexForward: false,
    };
  }

  private async collect(
    input: QueryCommandInput,
    start: ItemKey | undefined,
    wanted: number,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let from = start;
    while (items.length < wanted) {
      const page = await this.documents.send(
        new QueryCommand({ ...input, Limit: Math.min(wanted - items.length, MAX_PAGE_ITEMS), ExclusiveStartKey: from }),
      );
      items.push(...(page.Items ?? []));
      if (!page.LastEvaluatedKey) break;
      from = page.LastEvaluatedKey as ItemKey;
    }
    return items;
  }

  /** Applies a conditional update; resolves to the new job, or undefined when the condition did not hold. */
  private async update(jobId: string, action: string, spec: UpdateSpec): Promise<Job | undefined> {
    let attributes: Record<string, unknown> | undefined;
    const applied = await this.conditional(action, async () => {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          ...buildUpdate(spec),
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    });
    return applied && attributes ? toJob(attributes) : undefined;
  }

  /** Runs a conditional write; false when its condition failed, DATABASE_ERROR for anything else. */
  private async conditional(action: string, write: () => Promise<unknown>): Promise<boolean> {
    return guarded(action, async () => {
      try {
        await write();
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    });
  }
}

function createdSort(job: ListPosition): string {
  return `${job.created_at}#${job.job_id}`;
}

/** The index position just after a listed job, usable as ExclusiveStartKey. */
function listKey(position: ListPosition): ItemKey {
  return { job_id: position.job_id, list_pk: JOB_TABLE.listPartition, created_sort: createdSort(position) };
}

function toJob(item: Record<string, unknown>): Job {
  const job = Object.fromEntries(Object.entries(item).filter(([key]) => !INDEX_ATTRIBUTES.includes(key)));
  return job as unknown as Job;
}
