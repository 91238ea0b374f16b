import type { Collection } from 'mongodb';
import { ACTIVE_STATUSES } from './job-repository';
import type { JobDocument } from './mongo-translate';

/**
 * Gives `active_owner` to the queued and processing jobs that an earlier
 * version stored with an `owner` but without it, so countActive(), which
 * counts `active_owner` only, counts them. init() runs it every time: the
 * query reads the active jobs through `by_status_lease` and finds nothing
 * once every legacy record is done (or finished), so after the first run it
 * writes nothing, and it also picks up jobs that a process of the earlier
 * version creates during a rolling upgrade at the next start. Returns how
 * many records it updated.
 *
 * Each write is conditional on the job being unchanged since it was read
 * (status and `updated_at`), so a job that finished meanwhile keeps no
 * `active_owner`. On FerretDB v1, whose update filters are not atomic, a
 * transition racing the write within milliseconds could still be undone;
 * that window exists only for legacy records, once.
 */
export async function backfillActiveOwners(jobs: Collection<JobDocument>): Promise<number> {
  const legacy = await jobs
    .find(
      { status: { $in: [...ACTIVE_STATUSES] }, owner: { $exists: true }, active_owner: { $exists: false } },
      { projection: { _id: 1, owner: 1, status: 1, updated_at: 1 } },
    )
    .toArray();
  let updated = 0;
  for (const job of legacy) {
    if (job.owner === undefined) continue;
    const result = await jobs.updateOne(
      { _id: job._id, status: job.status, updated_at: job.updated_at, active_owner: { $exists: false } },
      { $set: { active_owner: job.owner } },
    );
    updated += result.modifiedCount;
  }
  return updated;
}
