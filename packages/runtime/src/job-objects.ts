import type { Job } from '@mediaflow/domain';
import type { JobLifecycle } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';

/**
 * Who owns a job's objects, shared by deletion (API) and retention (worker).
 *
 * Every job writes under its folder `<OUTPUT_PREFIX><job_id>/`. A job that
 * reused an earlier result (`reused_from`) has no folder of its own: its
 * outputs point into the folder of the job that wrote them (the root of the
 * chain; a reuse of a reuse points at the same root). A folder is therefore
 * deleted only when no job that points at it is still live, i.e. neither
 * deleted nor expired: deleting or expiring the original while a reusing job
 * lives keeps the objects, and the last of them to go takes them along.
 * All jobs pointing at one folder share a reuse key, so counting them is one
 * index read (findByReuseKey), never a scan.
 *
 * A reuse that starts while the last reference goes away can, in a window of
 * milliseconds, point at a folder being deleted; its download then fails
 * with NOT_FOUND and a resubmission with `"reuse": false` runs it afresh.
 */

/** Where job folders live. */
export interface JobFolders {
  bucket: string;
  /** OUTPUT_PREFIX: "" or ending with "/". */
  prefix: string;
}

export interface JobObjectsDeps {
  repository: Pick<JobLifecycle, 'findByReuseKey'>;
  store: ObjectStore;
  folders: JobFolders;
}

/** How many jobs of one reuse key are read to count references; beyond it the folder is kept (never wrongly deleted). */
const MAX_REFERENCES_READ = 1000;

/** How long a tombstone (a deleted or expired job's record) is kept before the database's TTL may purge it: 30 days, in ms. */
export const TOMBSTONE_KEEP_MS = 30 * 86_400_000;

/** Days (fractions allowed) → milliseconds; undefined stays undefined (keep forever). */
export function retentionMs(days: number | undefined): number | undefined {
  return days === undefined ? undefined : Math.round(days * 86_400_000);
}

/** The job whose folder holds this job's objects. */
export function folderOwner(job: Pick<Job, 'job_id' | 'reused_from'>): string {
  return job.reused_from ?? job.job_id;
}

/**
 * Deletes the folder holding `job`'s objects unless another live job still
 * points at it. Call it after the job was marked deleted or expired; calling
 * it again is harmless, which makes a retry after a storage failure safe.
 *
 * @returns How many objects were deleted (0 when the folder is kept or was already empty).
 * @throws AppError STORAGE_ERROR or DATABASE_ERROR when a dependency fails; nothing is lost, call again.
 */
export async function releaseJobObjects(deps: JobObjectsDeps, job: Job): Promise<number> {
  const owner = folderOwner(job);
  if (job.reuse_key !== undefined) {
    const group = await deps.repository.findByReuseKey(job.reuse_key, MAX_REFERENCES_READ);
    const live = group.filter(
      (other) =>
        other.job_id !== job.job_id &&
        folderOwner(other) === owner &&
        other.expired_at === undefined &&
        other.deleted_at === undefined,
    );
    if (live.length > 0 || group.length >= MAX_REFERENCES_READ) return 0;
  }
  return deps.store.deletePrefix({ bucket: deps.folders.bucket, key: `${deps.folders.prefix}${owner}/` });
}
