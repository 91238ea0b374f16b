import type { Job } from '@mediaflow/domain';
import type { JobRepository } from '@mediaflow/repository';

/** The API's transitions that return the job as stored. */
export type StoredTransition = 'create' | 'createMany' | 'requestCancel' | 'requeue' | 'markDeleted';

/** A worker's transitions that end its hold on a job (a release of a job whose cancel was requested cancels it). */
export type SettledTransition = 'complete' | 'fail' | 'markCancelled' | 'release';

/**
 * Something that acts after a job transition has been written: announcing it
 * to event streams, recording webhook events. Called after the write, never
 * instead of it, so an observer must not throw: the transition has happened
 * and its caller must not see it as failed. Each callback is optional.
 */
export interface TransitionObserver {
  /** The API stored a job or changed one; `job` is the record the transition returned. */
  stored?: (job: Job, transition: StoredTransition) => Promise<void> | void;
  /** This process claimed `job`. */
  claimed?: (job: Job) => Promise<void> | void;
  /**
   * A progress write (or a multi-step job's checkpoint) for a job this
   * process claimed succeeded; `job` is the claimed record with what the
   * writes since set (progress, speed and ETA, a speed or ETA the worker no
   * longer knows dropped, the lease; the finished steps and their outputs),
   * read from nothing.
   */
  progressed?: (job: Job) => Promise<void> | void;
  /**
   * A worker transition succeeded; `job` is the record read right after it
   * (one read, shared by every observer), or null when that read failed.
   */
  settled?: (jobId: string, job: Job | null, transition: SettledTransition) => Promise<void> | void;
}

/**
 * The repository with `observers` told, in order, of every transition they
 * can act on, whoever makes it: create/createMany, requestCancel, requeue and
 * markDeleted (the API); claim, updateProgress and completeStep (as progress),
 * complete, fail, release and markCancelled (a worker). A refused transition (false or null) is told to
 * nobody. Every other method is the repository's own.
 *
 * The action follows the write and is not part of it: a process that dies
 * in between loses it (each observer says how that is repaired).
 */
export function observeTransitions(repository: JobRepository, observers: readonly TransitionObserver[]): JobRepository {
  /** Jobs this process claimed, as last written: the base of their progress (updateProgress returns no record). */
  const claimed = new Map<string, Job>();

  const tellStored = async (job: Job | null, transition: StoredTransition): Promise<void> => {
    if (!job) return;
    for (const observer of observers) await observer.stored?.(job, transition);
  };
  const settle = async (jobId: string, transition: SettledTransition): Promise<void> => {
    claimed.delete(jobId);
    if (!observers.some((observer) => observer.settled !== undefined)) return;
    const job = await repository.get(jobId).catch(() => null);
    for (const observer of observers) await observer.settled?.(jobId, job, transition);
  };

  const overrides: Partial<JobRepository> = {
    create: async (job) => {
      const stored = await repository.create(job);
      await tellStored(stored, 'create');
      return stored;
    },
    createMany: async (jobs) => {
      const stored = await repository.createMany(jobs);
      for (const job of stored) await tellStored(job, 'createMany');
      return stored;
    },
    requestCancel: async (jobId, now) => {
      const job = await repository.requestCancel(jobId, now);
      await tellStored(job, 'requestCancel');
      return job;
    },
    requeue: async (jobId, now, note) => {
      const job = await repository.requeue(jobId, now, note);
      await tellStored(job, 'requeue');
      return job;
    },
    markDeleted: async (jobId, now, recordExpiresAt) => {
      const job = await repository.markDeleted(jobId, now, recordExpiresAt);
      await tellStored(job, 'markDeleted');
      return job;
    },
    claim: async (request) => {
      const job = await repository.claim(request);
      if (job) {
        claimed.set(job.job_id, job);
        for (const observer of observers) await observer.claimed?.(job);
      }
      return job;
    },
    updateProgress: async (jobId, workerId, update) => {
      const ok = await repository.updateProgress(jobId, workerId, update);
      const job = claimed.get(jobId);
      if (!ok) {
        // Lost the lease or a cancel was requested: what comes next is told from the stored record.
        claimed.delete(jobId);
      } else if (job) {
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
        for (const observer of observers) await observer.progressed?.(next);
      }
      return ok;
    },
    completeStep: async (jobId, workerId, update) => {
      const ok = await repository.completeStep(jobId, workerId, update);
      const job = claimed.get(jobId);
      if (ok && job) {
        // A checkpoint is news to a watcher (a step is done); later progress carries it, not the claim's empty list.
        const next: Job = {
          ...job,
          completed_steps: update.completed_steps,
          outputs: update.outputs,
          updated_at: update.now.toISOString(),
        };
        claimed.set(jobId, next);
        for (const observer of observers) await observer.progressed?.(next);
      }
      return ok;
    },
    complete: async (jobId, workerId, update) => {
      const ok = await repository.complete(jobId, workerId, update);
      if (ok) await settle(jobId, 'complete');
      return ok;
    },
    fail: async (jobId, workerId, update) => {
      const ok = await repository.fail(jobId, workerId, update);
      if (ok) await settle(jobId, 'fail');
      return ok;
    },
    markCancelled: async (jobId, workerId, now, logPath) => {
      const ok = await repository.markCancelled(jobId, workerId, now, logPath);
      if (ok) await settle(jobId, 'markCancelled');
      return ok;
    },
    release: async (jobId, workerId, now, note, retryAt) => {
      const ok = await repository.release(jobId, workerId, now, note, retryAt);
      if (ok) await settle(jobId, 'release');
      return ok;
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
