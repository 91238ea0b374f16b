import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { AppError, isTerminal } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { deadLetterPage, decodeDeadLetterCursor, decodeListCursor, encodeListCursor } from './cursor';
import type { DeadLetterPosition } from './cursor';
import { backfillActiveOwners } from './dynamo-active-owner-backfill';
import { IDEMPOTENCY_PREFIX, isJobId } from './dynamo-item-ids';
import { checkJobTable, ensureJobTable, JOB_TABLE } from './dynamo-job-table';
import { listQueryInput, listStartKey } from './dynamo-list-index';
import type { ListSortKeys } from './dynamo-list-index';
import { queuedRanges } from './dynamo-recovery-order';
import { deadLetterSort, toDynamoPut, toDynamoUpdate } from './dynamo-translate';
import { guarded } from './database-error';
import { idempotencyHash } from './idempotency-records';
import { isClaimable } from './job-records';
import { ACTIVE_STATUSES, IDEMPOTENCY_TTL_MS, JobRepository } from './job-repository';
import type {
  ClaimRequest,
  CompletionUpdate,
  DeadLetterPage,
  DeadLetterQuery,
  FailureUpdate,
  IdempotencyRecord,
  IdempotencyReservation,
  JobPage,
  ListJobsQuery,
  NewJob,
  ProgressUpdate,
  StepCompletionUpdate,
} from './job-repository';
import * as transitions from './job-transitions';
import type { JobRecord, Transition } from './job-transitions';
import type { DatabaseCompat } from './schema';

export interface DynamoJobRepositoryOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
  /**
   * DATABASE_COMPAT. `dynalite` (the embedded mode): dynalite accepts but
   * ignores adding an index to an existing table, so init() rebuilds a table
   * that an earlier version created without one; only safe while no other
   * process uses the table. Anything else (default `none`): indexes are added
   * with UpdateTable, as DynamoDB (and DynamoDB Local) do them.
   */
  compat?: DatabaseCompat;
}

/** Index keys stored beside the job's own fields; never part of a returned Job. */
interface IndexKeys extends ListSortKeys {
  list_pk: typeof JOB_TABLE.listPartition;
  lease_sort?: string;
  /** While finished and not expired (`by_finished`). */
  finished_pk?: typeof JOB_TABLE.finishedPartition;
  finished_sort?: string;
  /** Epoch seconds after which DynamoDB may delete the record (time-to-live). */
  [JOB_TABLE.timeToLiveAttribute]?: number;
  dlq_pk?: typeof JOB_TABLE.deadLetterPartition;
  dead_letter_sort?: string;
  /** The job's `owner`, while the job is queued or processing (`by_active_owner`). */
  active_owner?: string;
}

/** An idempotency reservation as stored: deliberately without any index key (nor `status`). */
interface IdempotencyItem {
  job_id: string;
  reserved_job_id: string;
  fingerprint: string;
  scope: string;
  idempotency_key: string;
  created_at: string;
  expires_at: string;
  /** Epoch seconds, for DynamoDB's time-to-live. */
  [JOB_TABLE.timeToLiveAttribute]: number;
}

type ItemKey = Record<string, string>;

const INDEX_ATTRIBUTES: readonly (keyof IndexKeys)[] = [
  'list_pk',
  'created_sort',
  'lease_sort',
  'dlq_pk',
  'dead_letter_sort',
  'active_owner',
  'owner_sort',
  'method_sort',
  'owner_method_sort',
  'finished_pk',
  'finished_sort',
  JOB_TABLE.timeToLiveAttribute,
];
// Queries read at most this many items per request when paging for a caller.
const MAX_PAGE_ITEMS = 1000;
// Read-then-write transitions start over when the job changed in between; more rounds than this means a storm.
const MAX_ROUNDS = 5;
// BatchWriteItem takes at most this many items per request.
const BATCH_SIZE = 25;
// Rounds of retrying what BatchWriteItem left unprocessed (throttling), with a growing pause in between.
const MAX_BATCH_ROUNDS = 8;
const BATCH_BACKOFF_MS = 50;

/**
 * DynamoDB adapter. Every transition (job-transitions.ts) is translated
 * (dynamo-translate.ts, which also keeps the index keys) into one UpdateItem
 * whose ConditionExpression carries the ownership condition; a failed condition is
 * an ordinary "no" (false or null), never an error.
 */
export class DynamoJobRepository extends JobRepository {
  private readonly client: DynamoDBClient;
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly destroyClientOnClose: boolean;
  private readonly rebuildTableToAddIndexes: boolean;

  constructor(options: DynamoJobRepositoryOptions) {
    super();
    this.client = options.client;
    this.tableName = options.tableName;
    this.destroyClientOnClose = options.destroyClientOnClose ?? false;
    this.rebuildTableToAddIndexes = options.compat === 'dynalite';
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async init(): Promise<void> {
    await guarded('table creation', async () =>
      ensureJobTable(this.client, this.tableName, { rebuildToAddIndexes: this.rebuildTableToAddIndexes }),
    );
    await guarded('active-owner backfill', async () => backfillActiveOwners(this.documents, this.tableName));
  }

  async checkSchema(): Promise<void> {
    await guarded('schema check', async () => checkJobTable(this.client, this.tableName));
  }

  async ping(): Promise<void> {
    await guarded('ping', async () => this.client.send(new DescribeTableCommand({ TableName: this.tableName })));
  }

  async close(): Promise<void> {
    if (this.destroyClientOnClose) this.client.destroy();
    return Promise.resolve();
  }

  async create(job: NewJob): Promise<Job> {
    if (!isJobId(job.job_id)) throw new AppError('INTERNAL', `job id ${job.job_id} is reserved for other items`);
    const transition = transitions.createJob(job);
    const stored = await this.conditional('insert', async () =>
      this.documents.send(new PutCommand({ TableName: this.tableName, ...toDynamoPut(job.job_id, transition) })),
    );
    if (!stored) throw new AppError('INTERNAL', `job ${job.job_id} already exists`);
    return transitions.jobOf(transition.set as JobRecord);
  }

  /**
   * BatchWriteItem in chunks of 25, retrying what it leaves unprocessed. A
   * batch write cannot be conditional, so unlike create() it would overwrite
   * a job with the same id: job ids are fresh random UUIDs, so none exists
   * yet. A job that needs a condition must go through create() instead.
   */
  async createMany(jobs: NewJob[]): Promise<Job[]> {
    const seen = new Set<string>();
    for (const job of jobs) {
      if (!isJobId(job.job_id)) throw new AppError('INTERNAL', `job id ${job.job_id} is reserved for other items`);
      if (seen.has(job.job_id)) throw new AppError('INTERNAL', `job ${job.job_id} appears twice in one batch`);
      seen.add(job.job_id);
    }
    const created = jobs.map(transitions.createJob);
    const items = created.map((transition, index) => toDynamoPut(jobs[index]?.job_id ?? '', transition).Item);
    const chunks: (typeof items)[] = [];
    for (let start = 0; start < items.length; start += BATCH_SIZE) chunks.push(items.slice(start, start + BATCH_SIZE));
    // The chunks side by side: each BatchWriteItem is a round trip, and the table takes them in parallel.
    await guarded('batch insert', async () => Promise.all(chunks.map(async (chunk) => this.writeBatch(chunk))));
    return created.map((transition) => transitions.jobOf(transition.set as JobRecord));
  }

  async get(jobId: string): Promise<Job | null> {
    // Idempotency reservations and rate-limit buckets share the table but are no jobs.
    if (!isJobId(jobId)) return null;
    const result = await guarded('read', async () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: { job_id: jobId }, ConsistentRead: true })),
    );
    return result.Item ? toJob(result.Item) : null;
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, query.owner);
    // No job has an empty owner (create refuses one), and DynamoDB refuses to look one up.
    if (query.owner === '') return { jobs: [], count: 0 };
    // An empty date range; DynamoDB would refuse a BETWEEN whose ends are the wrong way round.
    if (query.created_after !== undefined && query.created_before !== undefined) {
      if (query.created_after >= query.created_before) return { jobs: [], count: 0 };
    }
    const listing = listQueryInput(this.tableName, query);
    const [items, count] = await guarded('list', async () =>
      Promise.all([
        this.readListPage(listing, after ? listStartKey(after, query) : undefined, after ? 0 : query.skip, query.limit),
        this.count(listing),
      ]),
    );
    const jobs = items.slice(0, query.limit).map(toJob);
    const last = jobs.at(-1);
    const more = items.length > query.limit && last !== undefined;
    return {
      jobs,
      count,
      ...(more ? { next_cursor: encodeListCursor(last, query.owner) } : {}),
    };
  }

  async countActive(owner: string): Promise<number> {
    if (owner === '') return 0;
    const statuses = Object.fromEntries(ACTIVE_STATUSES.map((status, index) => [`:s${index}`, status]));
    return guarded('active count', async () =>
      this.count({
        TableName: this.tableName,
        IndexName: JOB_TABLE.activeOwnerIndex,
        KeyConditionExpression: 'active_owner = :owner',
        // Belt and braces: a job finished by a process of an earlier version keeps its active_owner.
        FilterExpression: `#status IN (${Object.keys(statuses).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':owner': owner, ...statuses },
      }),
    );
  }

  async claim(request: ClaimRequest): Promise<Job | null> {
    const current = await this.get(request.jobId);
    if (!current || !isClaimable(current, request.now)) return null;
    return (await this.update(request.jobId, 'claim', transitions.claim(current, request))) ?? null;
  }

  async updateProgress(jobId: string, workerId: string, update: ProgressUpdate): Promise<boolean> {
    return (await this.update(jobId, 'progress update', transitions.updateProgress(workerId, update))) !== undefined;
  }

  async completeStep(jobId: string, workerId: string, update: StepCompletionUpdate): Promise<boolean> {
    return (await this.update(jobId, 'step checkpoint', transitions.completeStep(workerId, update))) !== undefined;
  }

  async complete(jobId: string, workerId: string, update: CompletionUpdate): Promise<boolean> {
    return (await this.update(jobId, 'completion', transitions.complete(workerId, update))) !== undefined;
  }

  async fail(jobId: string, workerId: string, update: FailureUpdate): Promise<boolean> {
    return (await this.update(jobId, 'failure', transitions.fail(workerId, update))) !== undefined;
  }

  async release(jobId: string, workerId: string, now: Date, note: string, retryAt?: Date): Promise<boolean> {
    if (await this.update(jobId, 'release', transitions.release(workerId, now, note, retryAt))) return true;
    // A cancel was requested: the job is handed back for good.
    return (await this.update(jobId, 'release', transitions.cancelOnRelease(workerId, now, note))) !== undefined;
  }

  async findRecoverable(now: Date, limit: number): Promise<Job[]> {
    const at = now.toISOString();
    const found = await this.queryStatus('processing', { condition: 'lease_sort < :to', values: { ':to': at } }, limit);
    for (const range of queuedRanges(at)) {
      const wanted = limit - found.length;
      if (wanted <= 0) break;
      const items = await this.queryStatus('queued', range, range.exclude === undefined ? wanted : wanted + 1);
      found.push(...items.filter((item) => item.lease_sort !== range.exclude).slice(0, wanted));
    }
    return found.map(toJob);
  }

  async requestCancel(jobId: string, now: Date): Promise<Job | null> {
    // Read, then write conditionally on what was read; when the job moved on in between, look again.
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const job = await this.get(jobId);
      if (!job || isTerminal(job.status) || job.cancel_requested === true) return job;
      const transition = job.status === 'queued' ? transitions.cancelQueued(now) : transitions.requestCancel(now);
      const changed = await this.update(jobId, 'cancellation', transition);
      if (changed) return changed;
    }
    throw new AppError('DATABASE_ERROR', `job ${jobId} kept changing while it was being cancelled`);
  }

  async markCancelled(jobId: string, workerId: string, now: Date, logPath?: string): Promise<boolean> {
    return (await this.update(jobId, 'cancellation', transitions.markCancelled(workerId, now, logPath))) !== undefined;
  }

  async requeue(jobId: string, now: Date, note: string): Promise<Job | null> {
    // Read first for the owner, which the job becomes active for again; an owner never changes.
    const current = await this.get(jobId);
    if (!current || (current.status !== 'failed' && current.status !== 'cancelled')) return null;
    return (await this.update(jobId, 'requeue', transitions.requeue(current, now, note))) ?? null;
  }

  async markDeleted(jobId: string, now: Date, recordExpiresAt?: Date): Promise<Job | null> {
    if (!isJobId(jobId)) return null;
    // Without its list sort keys the job drops out of every listing index and by_reuse_key.
    const marked = await this.update(jobId, 'deletion', transitions.markDeleted(now, recordExpiresAt));
    // Already deleted (or unknown): deleting again changes nothing.
    return marked ?? this.get(jobId);
  }

  async markExpired(jobId: string, now: Date, recordExpiresAt?: Date): Promise<boolean> {
    if (!isJobId(jobId)) return false;
    return (await this.update(jobId, 'expiry', transitions.markExpired(now, recordExpiresAt))) !== undefined;
  }

  async findExpirable(finishedBefore: Date, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const items = await guarded('retention scan', async () =>
      this.collect(
        {
          TableName: this.tableName,
          IndexName: JOB_TABLE.finishedIndex,
          KeyConditionExpression: 'finished_pk = :done AND finished_sort < :before',
          ExpressionAttributeValues: { ':done': JOB_TABLE.finishedPartition, ':before': finishedBefore.toISOString() },
        },
        undefined,
        limit,
      ),
    );
    // The index lags behind writes a little: re-check what it returned.
    return items
      .map(toJob)
      .filter((job) => isTerminal(job.status) && job.expired_at === undefined && job.deleted_at === undefined);
  }

  async findFinishedBetween(from: Date, to: Date, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const items = await guarded('finished jobs scan', async () =>
      this.collect(
        {
          TableName: this.tableName,
          IndexName: JOB_TABLE.finishedIndex,
          // finished_sort is `<completed_at>#<job id>`: BETWEEN two instants takes [from, to).
          KeyConditionExpression: 'finished_pk = :done AND finished_sort BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':done': JOB_TABLE.finishedPartition,
            ':from': from.toISOString(),
            ':to': to.toISOString(),
          },
        },
        undefined,
        limit,
      ),
    );
    return items
      .map(toJob)
      .filter((job) => isTerminal(job.status) && job.expired_at === undefined && job.deleted_at === undefined);
  }

  async findReusable(reuseKey: string): Promise<Job | null> {
    const items = await guarded('reuse lookup', async () =>
      this.collect(
        {
          ...this.reuseQuery(reuseKey),
          FilterExpression: '#status = :completed AND attribute_not_exists(expired_at)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':key': reuseKey, ':completed': 'completed' },
        },
        undefined,
        1,
      ),
    );
    const found = items.map(toJob).find((job) => job.deleted_at === undefined);
    return found ?? null;
  }

  async findByReuseKey(reuseKey: string, limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    const items = await guarded('reuse lookup', async () => this.collect(this.reuseQuery(reuseKey), undefined, limit));
    return items.map(toJob).filter((job) => job.deleted_at === undefined);
  }

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetterPage> {
    const after = query.cursor === undefined ? undefined : decodeDeadLetterCursor(query.cursor);
    const items = await guarded('dead-letter listing', async () =>
      this.collect(
        {
          TableName: this.tableName,
          IndexName: JOB_TABLE.deadLetterIndex,
          KeyConditionExpression: 'dlq_pk = :dlq',
          ExpressionAttributeValues: { ':dlq': JOB_TABLE.deadLetterPartition },
          ScanIndexForward: false,
        },
        after ? deadLetterKey(after) : undefined,
        query.limit + 1,
      ),
    );
    return deadLetterPage(items.map(toJob), query.limit);
  }

  async setNeedsPublish(jobId: string, needsPublish: boolean, now: Date): Promise<boolean> {
    // The recovery sort key depends on retry_at, so the write is conditional on the retry_at read.
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const job = await this.get(jobId);
      if (!job || job.status !== 'queued') return false;
      if (await this.update(jobId, 'publish flag', transitions.setNeedsPublish(job, needsPublish, now))) return true;
    }
    throw new AppError('DATABASE_ERROR', `job ${jobId} kept changing while its publish flag was being set`);
  }

  async takeForRepublish(jobId: string, seenUpdatedAt: string, now: Date): Promise<boolean> {
    return (await this.update(jobId, 'republish', transitions.takeForRepublish(seenUpdatedAt, now))) !== undefined;
  }

  async reserveIdempotencyKey(input: IdempotencyReservation): Promise<IdempotencyRecord | null> {
    const id = `${IDEMPOTENCY_PREFIX}${idempotencyHash(input.scope, input.key)}`;
    const now = input.now.toISOString();
    const expires = new Date(input.now.getTime() + IDEMPOTENCY_TTL_MS);
    const item: IdempotencyItem = {
      job_id: id,
      reserved_job_id: input.jobId,
      fingerprint: input.fingerprint,
      scope: input.scope,
      idempotency_key: input.key,
      created_at: now,
      expires_at: expires.toISOString(),
      [JOB_TABLE.timeToLiveAttribute]: Math.ceil(expires.getTime() / 1000),
    };
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      // Time-to-live deletes late, so an expired reservation may still be there: it counts as absent.
      const created = await this.conditional('idempotency reservation', async () =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(job_id) OR expires_at <= :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        ),
      );
      if (created) return null;
      const existing = await guarded('idempotency read', async () =>
        this.documents.send(new GetCommand({ TableName: this.tableName, Key: { job_id: id }, ConsistentRead: true })),
      );
      const record = existing.Item;
      if (
        record &&
        typeof record.expires_at === 'string' &&
        record.expires_at > now &&
        typeof record.reserved_job_id === 'string' &&
        typeof record.fingerprint === 'string'
      ) {
        return { job_id: record.reserved_job_id, fingerprint: record.fingerprint };
      }
      // It expired or was deleted since the write failed: try to take it again.
    }
    throw new AppError('DATABASE_ERROR', `idempotency key could not be reserved or read`);
  }

  /** Walks one status partition in sort-key order; index reads are eventually consistent, which recovery tolerates. */
  private async queryStatus(
    status: 'queued' | 'processing',
    range: { condition: string; values: Record<string, string> },
    limit: number,
  ): Promise<Record<string, unknown>[]> {
    return guarded('recovery scan', async () =>
      this.collect(
        {
          TableName: this.tableName,
          IndexName: JOB_TABLE.statusIndex,
          KeyConditionExpression: `#status = :status AND ${range.condition}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ...range.values },
        },
        undefined,
        limit,
      ),
    );
  }

  /** Reads up to limit + 1 items of a newest-first listing, after `start` or after skipping `skip` items. */
  private async readListPage(
    listing: QueryCommandInput,
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
          ...listing,
          Select: 'COUNT',
          Limit: Math.min(remaining, MAX_PAGE_ITEMS),
          ExclusiveStartKey: from,
        }),
      );
      remaining -= page.Count ?? 0;
      if (!page.LastEvaluatedKey) return [];
      from = page.LastEvaluatedKey as ItemKey;
    }
    return this.collect(listing, from, limit + 1);
  }

  /** The items a query matches (after its filter), counted page by page without shipping them. */
  private async count(input: QueryCommandInput): Promise<number> {
    let count = 0;
    let from: ItemKey | undefined;
    do {
      const page = await this.documents.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: from }));
      count += page.Count ?? 0;
      from = page.LastEvaluatedKey as ItemKey | undefined;
    } while (from);
    return count;
  }

  /** One reuse key's jobs (`by_reuse_key`), newest first; deleted jobs are not in it. */
  private reuseQuery(reuseKey: string): QueryCommandInput {
    return {
      TableName: this.tableName,
      IndexName: JOB_TABLE.reuseKeyIndex,
      KeyConditionExpression: 'reuse_key = :key',
      ExpressionAttributeValues: { ':key': reuseKey },
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

  /** Applies a transition; resolves to the new job, or undefined when its condition did not hold. */
  private async update(jobId: string, action: string, transition: Transition): Promise<Job | undefined> {
    let attributes: Record<string, unknown> | undefined;
    const applied = await this.conditional(action, async () => {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { job_id: jobId },
          ...toDynamoUpdate(jobId, transition),
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    });
    return applied && attributes ? toJob(attributes) : undefined;
  }

  /** One BatchWriteItem of at most 25 puts, repeated for what it leaves unprocessed, with a growing pause. */
  private async writeBatch(items: Record<string, unknown>[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; requests.length > 0; round += 1) {
      if (round >= MAX_BATCH_ROUNDS) {
        throw new AppError('DATABASE_ERROR', `database batch insert left ${requests.length} jobs unwritten`);
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, BATCH_BACKOFF_MS * 2 ** (round - 1)));
      const result = await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
      requests = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
    }
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

/** The index position just after a listed dead letter, usable as ExclusiveStartKey. */
function deadLetterKey(position: DeadLetterPosition): ItemKey {
  return {
    job_id: position.job_id,
    dlq_pk: JOB_TABLE.deadLetterPartition,
    dead_letter_sort: deadLetterSort(position),
  };
}

function toJob(item: Record<string, unknown>): Job {
  const job = Object.fromEntries(
    Object.entries(item).filter(([key]) => !(INDEX_ATTRIBUTES as readonly string[]).includes(key)),
  );
  return job as unknown as Job;
}
