import { isTerminal } from '@mediaflow/domain';
import type { JobStatus } from '@mediaflow/domain';
import type { DeadLetterPosition } from './cursor';
import { buildUpdate } from './dynamo-expressions';
import type { Condition as DynamoCondition, DynamoExpression } from './dynamo-expressions';
import { JOB_TABLE } from './dynamo-job-table';
import { LIST_SORT_ATTRIBUTES, listSortKeys } from './dynamo-list-index';
import { queuedSortKey } from './dynamo-recovery-order';
import type { Condition, JobRecord, RecordField, Transition } from './job-transitions';

/**
 * Translates job transitions into DynamoDB writes. Besides the transition's
 * own fields, a write maintains the index keys the table's layout derives
 * from them (see dynamo-job-table.ts), so no transition needs to know them:
 * - `lease_sort` (`by_status`): the lease expiry whenever a lease is set; the
 *   queued sort key (dynamo-recovery-order.ts) when a transition names the
 *   whole queue position (`needs_publish` and `retry_at` each set or cleared)
 *   of a job that stays or becomes queued; removed when the job finishes;
 * - `finished_pk`/`finished_sort` (`by_finished`): set when the job finishes,
 *   removed when it expires, is deleted or is queued again;
 * - `dlq_pk`/`dead_letter_sort` (`by_dead_letter`): with `dead_lettered_at`;
 * - the list sort keys: removed with deletion, so the job leaves every listing;
 * - the time-to-live attribute: from `record_expires_at`.
 */

const FINISHED_ATTRIBUTES = ['finished_pk', 'finished_sort'] as const;
const DEAD_LETTER_KEYS = ['dlq_pk', 'dead_letter_sort'] as const;

export function toDynamoCondition(condition: Condition): DynamoCondition {
  if ('status' in condition) return { equals: ['status', condition.status] };
  if ('statusIn' in condition) {
    return { or: condition.statusIn.map((status): DynamoCondition => ({ equals: ['status', status] })) };
  }
  if ('equals' in condition) return { equals: [attributeName(condition.equals[0]), condition.equals[1]] };
  if ('absent' in condition) return { notExists: attributeName(condition.absent) };
  if ('present' in condition) return { exists: attributeName(condition.present) };
  if ('before' in condition) return { lessThan: [attributeName(condition.before[0]), condition.before[1]] };
  if ('notAfter' in condition) return { atMost: [attributeName(condition.notAfter[0]), condition.notAfter[1]] };
  if ('and' in condition) return { and: condition.and.map(toDynamoCondition) };
  return { or: condition.or.map(toDynamoCondition) };
}

/**
 * The UpdateItem expressions of a transition on one job. The condition also
 * requires the item to exist, since UpdateItem would otherwise create it.
 */
export function toDynamoUpdate(jobId: string, transition: Transition): DynamoExpression {
  const { set, remove } = indexed(jobId, transition);
  return buildUpdate({
    set,
    remove,
    ...(transition.history === undefined ? {} : { append: { history: [transition.history] } }),
    condition: { and: [{ exists: 'job_id' }, toDynamoCondition(transition.condition)] },
  });
}

/**
 * The item a creating transition puts, with every index key it starts with,
 * and the put's condition (no item with this id yet).
 */
export function toDynamoPut(
  jobId: string,
  transition: Transition,
): { Item: Record<string, unknown> } & Omit<DynamoExpression, 'UpdateExpression'> {
  const record = transition.set as JobRecord;
  const { set } = indexed(jobId, transition);
  const live = !isTerminal(record.status);
  const expression = buildUpdate({ condition: toDynamoCondition(transition.condition) });
  return {
    Item: {
      ...set,
      list_pk: JOB_TABLE.listPartition,
      ...listSortKeys(record),
      ...(live
        ? {
            lease_sort:
              record.status === 'processing'
                ? record.lease_expires_at
                : queuedSortKey({
                    needs_publish: record.needs_publish,
                    retry_at: record.retry_at,
                    queuedAt: record.updated_at,
                  }),
          }
        : {}),
    },
    ConditionExpression: expression.ConditionExpression,
    ExpressionAttributeNames: expression.ExpressionAttributeNames,
    ...(expression.ExpressionAttributeValues === undefined
      ? {}
      : { ExpressionAttributeValues: expression.ExpressionAttributeValues }),
  };
}

/** The attributes a transition sets and removes, its own and the index keys derived from them. */
function indexed(jobId: string, transition: Transition): { set: Record<string, unknown>; remove: string[] } {
  const { set: fields, clear } = transition;
  const set: Record<string, unknown> = {};
  const remove = new Set<string>();
  for (const [field, value] of Object.entries(fields)) {
    if (field !== 'record_expires_at') set[field] = value;
  }
  for (const field of clear) if (field !== 'record_expires_at') remove.add(field);

  const status = fields.status;
  const finished = status !== undefined && isTerminal(status);
  const leaseSort = finished ? undefined : queueOrLeaseSort(transition, status);
  if (leaseSort !== undefined) set.lease_sort = leaseSort;
  if (finished) {
    remove.add('lease_sort');
    const completedAt = fields.completed_at ?? fields.updated_at;
    set.finished_pk = JOB_TABLE.finishedPartition;
    set.finished_sort = `${completedAt}#${jobId}`;
  }
  if (status === 'queued' || fields.expired_at !== undefined || fields.deleted_at !== undefined) {
    for (const attribute of FINISHED_ATTRIBUTES) remove.add(attribute);
  }
  if (fields.deleted_at !== undefined) for (const attribute of LIST_SORT_ATTRIBUTES) remove.add(attribute);
  if (fields.dead_lettered_at !== undefined) {
    set.dlq_pk = JOB_TABLE.deadLetterPartition;
    set.dead_letter_sort = deadLetterSort({ dead_lettered_at: fields.dead_lettered_at, job_id: jobId });
  }
  if (clear.includes('dead_lettered_at')) for (const attribute of DEAD_LETTER_KEYS) remove.add(attribute);
  if (fields.record_expires_at !== undefined) {
    set[JOB_TABLE.timeToLiveAttribute] = Math.ceil(fields.record_expires_at.getTime() / 1000);
  }
  if (clear.includes('record_expires_at')) remove.add(JOB_TABLE.timeToLiveAttribute);
  for (const attribute of Object.keys(set)) remove.delete(attribute);
  return { set, remove: [...remove] };
}

/** `by_status`'s sort key after a transition that leaves the job live, when the transition determines it. */
function queueOrLeaseSort(transition: Transition, status: JobStatus | undefined): string | undefined {
  const { set, clear } = transition;
  if (set.lease_expires_at !== undefined) return set.lease_expires_at;
  if (status !== undefined && status !== 'queued') return undefined;
  const named = (field: RecordField): boolean => field in set || clear.includes(field as never);
  if (!named('needs_publish') || !named('retry_at') || set.updated_at === undefined) return undefined;
  return queuedSortKey({ needs_publish: set.needs_publish, retry_at: set.retry_at, queuedAt: set.updated_at });
}

export function deadLetterSort(position: DeadLetterPosition): string {
  return `${position.dead_lettered_at}#${position.job_id}`;
}

function attributeName(field: RecordField): string {
  return field === 'record_expires_at' ? JOB_TABLE.timeToLiveAttribute : field;
}
