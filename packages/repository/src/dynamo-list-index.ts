import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Job } from '@mediaflow/domain';
import type { ListPosition } from './cursor';
import { JOB_TABLE } from './dynamo-job-table';
import type { ListJobsQuery } from './job-repository';

/**
 * Which index serves a listing, given its owner and filters. Every listing
 * index sorts newest first by a key that ends in `<created_at>#<job_id>`
 * (created_sort), possibly after a fixed prefix (`<owner>#`, `<method>#`,
 * `<owner>#<method>#`); a date range is then one BETWEEN on the sort key, and
 * a page is one Query, never a scan:
 *
 * | owner | status | method | index                  | partition   | sort prefix          |
 * |-------|--------|--------|------------------------|-------------|----------------------|
 * |       |        |        | by_created             | list_pk=JOB | —                    |
 * | ✓     |        |        | by_owner               | owner       | —                    |
 * |       | ✓      |        | by_status_created      | status      | —                    |
 * | ✓     | ✓      |        | by_status_owner        | status      | owner#               |
 * |       | ✓      | ✓      | by_status_method       | status      | method#              |
 * | ✓     | ✓      | ✓      | by_status_owner_method | status      | owner#method#        |
 * |       |        | ✓      | by_method              | method_name | —                    |
 * | ✓     |        | ✓      | by_method_owner        | method_name | owner#               |
 */

/** The list sort keys a job carries from creation until deletion. */
export interface ListSortKeys {
  created_sort: string;
  owner_sort?: string;
  method_sort: string;
  owner_method_sort?: string;
}

interface ListIndex {
  index: string;
  partitionAttribute: string;
  partitionValue: string;
  sortAttribute: keyof ListSortKeys;
  sortPrefix: string;
}

// Above every character a created_at (an ISO string) can start with: the open end of a date range.
const RANGE_END = '~';
// Below every such character: the open start.
const RANGE_START = '0';

export function createdSort(position: ListPosition): string {
  return `${position.created_at}#${position.job_id}`;
}

/** "#" separates the parts of a sort key, so an owner id holding one is escaped (and "%" with it). */
function ownerPart(owner: string): string {
  return `${owner.replaceAll('%', '%25').replaceAll('#', '%23')}#`;
}

export function listSortKeys(job: Pick<Job, 'created_at' | 'job_id' | 'owner' | 'method_name'>): ListSortKeys {
  const created = createdSort(job);
  const method = `${job.method_name}#`;
  return {
    created_sort: created,
    method_sort: `${method}${created}`,
    ...(job.owner === undefined
      ? {}
      : {
          owner_sort: `${ownerPart(job.owner)}${created}`,
          owner_method_sort: `${ownerPart(job.owner)}${method}${created}`,
        }),
  };
}

export const LIST_SORT_ATTRIBUTES: readonly (keyof ListSortKeys)[] = [
  'created_sort',
  'owner_sort',
  'method_sort',
  'owner_method_sort',
];

function listIndex(query: ListJobsQuery): ListIndex {
  const { owner, status, method_name: method } = query;
  const ownerPrefix = owner === undefined ? '' : ownerPart(owner);
  if (status !== undefined) {
    if (method !== undefined) {
      return owner === undefined
        ? index(JOB_TABLE.statusMethodIndex, 'status', status, 'method_sort', `${method}#`)
        : index(JOB_TABLE.statusOwnerMethodIndex, 'status', status, 'owner_method_sort', `${ownerPrefix}${method}#`);
    }
    return owner === undefined
      ? index(JOB_TABLE.statusCreatedIndex, 'status', status, 'created_sort', '')
      : index(JOB_TABLE.statusOwnerIndex, 'status', status, 'owner_sort', ownerPrefix);
  }
  if (method !== undefined) {
    return owner === undefined
      ? index(JOB_TABLE.methodIndex, 'method_name', method, 'created_sort', '')
      : index(JOB_TABLE.methodOwnerIndex, 'method_name', method, 'owner_sort', ownerPrefix);
  }
  return owner === undefined
    ? index(JOB_TABLE.createdIndex, 'list_pk', JOB_TABLE.listPartition, 'created_sort', '')
    : index(JOB_TABLE.ownerIndex, 'owner', owner, 'created_sort', '');
}

function index(
  name: string,
  partitionAttribute: string,
  partitionValue: string,
  sortAttribute: keyof ListSortKeys,
  sortPrefix: string,
): ListIndex {
  return { index: name, partitionAttribute, partitionValue, sortAttribute, sortPrefix };
}

/** The Query for a listing, newest first, without paging parameters. */
export function listQueryInput(tableName: string, query: ListJobsQuery): QueryCommandInput {
  const plan = listIndex(query);
  const ranged = plan.sortPrefix !== '' || query.created_after !== undefined || query.created_before !== undefined;
  // BETWEEN is inclusive at both ends. `before` itself never equals a sort key
  // (those go on with "#<job_id>"), so the upper end excludes jobs created at
  // exactly `before`, and the lower end includes those created at `after`.
  const low = `${plan.sortPrefix}${query.created_after ?? RANGE_START}`;
  const high = `${plan.sortPrefix}${query.created_before ?? RANGE_END}`;
  return {
    TableName: tableName,
    IndexName: plan.index,
    ScanIndexForward: false,
    KeyConditionExpression: ranged ? '#pk = :pk AND #sk BETWEEN :low AND :high' : '#pk = :pk',
    ExpressionAttributeNames: ranged
      ? { '#pk': plan.partitionAttribute, '#sk': plan.sortAttribute }
      : { '#pk': plan.partitionAttribute },
    ExpressionAttributeValues: ranged
      ? { ':pk': plan.partitionValue, ':low': low, ':high': high }
      : { ':pk': plan.partitionValue },
  };
}

/** The index position just after a listed job, usable as ExclusiveStartKey on the listing's index. */
export function listStartKey(position: ListPosition, query: ListJobsQuery): Record<string, string> {
  const plan = listIndex(query);
  return {
    job_id: position.job_id,
    [plan.partitionAttribute]: plan.partitionValue,
    [plan.sortAttribute]: `${plan.sortPrefix}${createdSort(position)}`,
  };
}
