import type { Document, Filter, UpdateFilter } from 'mongodb';
import type { Job } from '@mediaflow/domain';
import type { Condition, RecordField, Transition } from './job-transitions';

/**
 * Stored shape: the job itself, keyed by its id so lookups need no extra
 * index, plus what is kept beside it: `active_owner` (see JobRecord), the
 * TTL index's `purge_at`, and how often it was requeued (see ClaimLedger),
 * absent until then.
 */
export type JobDocument = Job & {
  _id: string;
  active_owner?: string;
  claim_generation?: number;
  purge_at?: Date;
};

/** MongoDB's name for a record field: the record's expiry is the TTL index's `purge_at`. */
function fieldName(field: RecordField): string {
  return field === 'record_expires_at' ? 'purge_at' : field;
}

/** The filter of a transition on one job: its id and the transition's condition. */
export function toMongoFilter(jobId: string, condition: Condition): Filter<JobDocument> {
  return { _id: jobId, ...toMongoCondition(condition) };
}

/**
 * A condition as a MongoDB query. An `and` merges its parts into one
 * document when their keys do not collide, and uses `$and` otherwise.
 */
export function toMongoCondition(condition: Condition): Document {
  if ('status' in condition) return { status: condition.status };
  if ('statusIn' in condition) return { status: { $in: [...condition.statusIn] } };
  if ('equals' in condition) return { [fieldName(condition.equals[0])]: condition.equals[1] };
  if ('absent' in condition) return { [fieldName(condition.absent)]: { $exists: false } };
  if ('present' in condition) return { [fieldName(condition.present)]: { $exists: true } };
  if ('before' in condition) return { [fieldName(condition.before[0])]: { $lt: condition.before[1] } };
  if ('notAfter' in condition) return { [fieldName(condition.notAfter[0])]: { $lte: condition.notAfter[1] } };
  if ('or' in condition) return { $or: condition.or.map(toMongoCondition) };
  const parts = condition.and.map(toMongoCondition);
  const keys = parts.flatMap((part) => Object.keys(part));
  if (new Set(keys).size === keys.length) return Object.assign({}, ...parts) as Document;
  return { $and: parts };
}

/** `set` as $set, `clear` as $unset, `history` as $push; empty operators are left out. */
export function toMongoUpdate(transition: Transition): UpdateFilter<JobDocument> {
  const $set = Object.fromEntries(
    Object.entries(transition.set).map(([field, value]) => [fieldName(field as RecordField), value]),
  );
  const $unset = Object.fromEntries(transition.clear.map((field) => [fieldName(field), '']));
  return {
    ...(Object.keys($set).length === 0 ? {} : { $set }),
    ...(Object.keys($unset).length === 0 ? {} : { $unset }),
    ...(transition.history === undefined ? {} : { $push: { history: transition.history } }),
  } as UpdateFilter<JobDocument>;
}

/** The document a creating transition inserts. */
export function toMongoDocument(jobId: string, transition: Transition): JobDocument {
  const { record_expires_at: purgeAt, ...fields } = transition.set;
  return { _id: jobId, ...fields, ...(purgeAt === undefined ? {} : { purge_at: purgeAt }) } as JobDocument;
}

export function toJob(document: JobDocument): Job {
  const job: Partial<JobDocument> = { ...document };
  delete job._id;
  delete job.active_owner;
  delete job.claim_generation;
  delete job.purge_at;
  return job as Job;
}
