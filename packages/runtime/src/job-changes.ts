import type { JobChangePublisher } from '@mediaflow/queue';
import type { TransitionObserver } from './transition-observers';

/**
 * Announces every change a client can watch on the job change feed (see
 * @mediaflow/queue job-events.ts), whoever makes it: a job stored or changed
 * by the API (a deletion goes out as the tombstone, which streams show as
 * `deleted`), a claim, progress, and a worker's end of its hold.
 *
 * A change carries the job as stored after the transition: the record the
 * transition returned, or the one read right after it. Progress carries the
 * claimed record with the new progress, speed and ETA (what the write set),
 * so progress, the one change made every PROGRESS_INTERVAL_MS, costs no
 * read. As with webhooks, the announcement follows the write: a process that
 * dies in between loses that change, and a live stream notices at its next
 * heartbeat, when it compares with the database.
 */
export function jobChangeObserver(publisher: JobChangePublisher): TransitionObserver {
  return {
    stored: (job) => {
      publisher.publish({ kind: 'state', job });
    },
    claimed: (job) => {
      publisher.publish({ kind: 'state', job });
    },
    progressed: (job) => {
      publisher.publish({ kind: 'progress', job });
    },
    settled: (_jobId, job) => {
      if (job) publisher.publish({ kind: 'state', job });
    },
  };
}
