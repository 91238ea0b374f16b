import type { Job } from '@mediaflow/domain';
import type { JobChangePublisher } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';

/**
 * The repository with every change a client can watch announced on the job
 * change feed (see @mediaflow/queue job-events.ts), whoever makes it:
 * create/createMany, requestCancel/requeue and markDeleted (the API), claim,
 * updateProgress, complete, fail, release and markCancelled (a worker).
 *
 * A transition's change carries the job as stored after it: the record the
 * transition returned, or one read right after it. Progress carries the
 * claimed record with the new progress, speed and ETA (what the write set),
 * so progress, the one change made every PROGRESS_INTERVAL_MS, costs no
 * read. As with webhooks, the announcement follows the write: a process that
 * dies in between loses that change, and a live stream notices at its next
 * heartbeat, when it compares with the database.
 */
export function withJobChanges(repository: JobRepository, publisher: JobChangePublisher): JobRepository {
  /** Jobs this process claimed, as claimed: the base of their progress changes. */
  const claimed = new Map<string, Job>();

  const announce = (job: Job | null | undefined): void => {
    if (job) publisher.publish({ kind: 'state', job });
  };
  const announceStored = async (jobId: string): Promise<void> => {
    claimed.delete(jobId);
    announce(await repository.get(jobId).catch(() => null));
  };

  const overrides: Partial<JobRepository> = {
    create: async (job) => {
      const stored = await repository.create(job);
      announce(stored);
      return stored;
    },
    createMany: async (jobs) => {
      const stored = await repository.createMany(jobs);
      for (const job of stored) announce(job);
      return stored;
    },
    claim: async (request) => {
      const job = await repository.claim(request);
      if (job) {
        claimed.set(job.job_id, job);
        announce(job);
      }
      return job;
    },
    updateProgress: async (jobId, workerId, update) => {
      const ok = await repository.updateProgress(jobId, workerId, update);
      const job = claimed.get(jobId);
      if (ok && job) {
        // A speed or ETA the worker no longer knows is dropped, as the write drops it.
        const next: Job = {
          ...job,
          speed: undefined,
          eta_seconds: undefined,
          progress: update.progress,
          ...(update.speed === undefined ? {} : { speed: update.speed }),
          ...(update.eta_seconds === undefined ? {} : { eta_seconds: update.eta_seconds }),
          lease_expires_at: update.leaseExpiresAt.toISOString(),
          updated_at: new Date().toISOString(),
        };
        claimed.set(jobId, next);
        publisher.publish({ kind: 'progress', job: next });
      } else if (!ok) {
        // Lost the lease or a cancel was requested: whatever comes next is announced from the stored record.
        claimed.delete(jobId);
      }
      return ok;
    },
    complete: async (jobId, workerId, update) => {
      const ok = await repository.complete(jobId, workerId, update);
      if (ok) await announceStored(jobId);
      return ok;
    },
    fail: async (jobId, workerId, update) => {
      const ok = await repository.fail(jobId, workerId, update);
      if (ok) await announceStored(jobId);
      return ok;
    },
    release: async (jobId, workerId, now, note, retryAt) => {
      const ok = await repository.release(jobId, workerId, now, note, retryAt);
      if (ok) await announceStored(jobId);
      return ok;
    },
    markCancelled: async (jobId, workerId, now) => {
      const ok = await repository.markCancelled(jobId, workerId, now);
      if (ok) await announceStored(jobId);
      return ok;
    },
    requestCancel: async (jobId, now) => {
      const job = await repository.requestCancel(jobId, now);
      announce(job);
      return job;
    },
    requeue: async (jobId, now, note) => {
      const job = await repository.requeue(jobId, now, note);
      announce(job);
      return job;
    },
    // Streams announce the tombstone as `deleted` (never its fields), so a list can drop the job.
    markDeleted: async (jobId, now, recordExpiresAt) => {
      const job = await repository.markDeleted(jobId, now, recordExpiresAt);
      announce(job);
      return job;
    },
  };

  // A proxy rather than a subclass: every method the port gains later passes through unchanged.
  return new Proxy(repository, {
    get(target, property, receiver) {
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) {
        return overrides[property as keyof JobRepository];
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
