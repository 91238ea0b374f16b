import type { Job } from '@mediaflow/domain';

/**
 * Job change events: the feed behind the API's Server-Sent Event streams
 * (GET /jobs/{id}/events, GET /events).
 *
 * Every process that changes a job (a worker's claim, progress and finish;
 * the API's submit and cancel) publishes the job as it is after the change.
 * Every API replica reads the whole feed in one order, so the position of a
 * change in the feed (its `seq`) means the same on every replica: that is
 * what makes a stream resumable (`Last-Event-ID`) on whichever replica the
 * client reconnects to.
 *
 * On Kafka the feed is a one-partition topic (KAFKA_EVENTS_TOPIC) that each
 * API replica reads in a consumer group of its own; `seq` is the offset + 1.
 * In one process (embedded mode) it is an in-process bus with a counter.
 */

/** What a change carries: the job record after it (the truth is still the database). */
export interface JobChange {
  /** `state`: a transition (status, cancel request, ...); `progress`: progress, speed or ETA only. */
  kind: 'state' | 'progress';
  job: Job;
}

/** A change with its place in the feed. */
export interface SequencedJobChange extends JobChange {
  /** 1, 2, 3, ...: strictly increasing along the feed, the same number on every reader. */
  seq: number;
}

export abstract class JobChangePublisher {
  /** Prepares the feed (creates the topic). @throws AppError QUEUE_ERROR */
  abstract init(): Promise<void>;
  /**
   * Queues a change for publishing and returns at once: a change is
   * announced, never a reason for the transition itself to fail. Changes
   * from one process are published in the order given; when the feed is
   * unreachable they are dropped (logged), and readers see the next one.
   */
  abstract publish(change: JobChange): void;
  /** Publishes what is queued (bounded wait), then disconnects. */
  abstract close(): Promise<void>;
}

export interface FeedStart {
  /** Start this many changes before the end, so a replica can replay recent changes at once. */
  backlog: number;
  /** Called once, before any change, with the position reading starts after (changes before it are not read). */
  onStart?: (position: number) => void;
  /** Called for every change in feed order, each `seq` once. */
  onChange: (change: SequencedJobChange) => void;
  /**
   * Called when the reader finds it missed changes (seq jumped, e.g. the
   * topic's retention removed them while it was disconnected): replay from
   * before `seq` is no longer exact.
   */
  onGap?: (seq: number) => void;
}

export abstract class JobChangeFeed {
  /**
   * Starts reading. Resolves once every change that was in the feed when
   * start() was called has been handed to `onChange` (the reader has caught
   * up), and `position` says how far it got.
   *
   * @throws AppError QUEUE_ERROR when the feed cannot be joined.
   */
  abstract start(options: FeedStart): Promise<void>;
  /** The seq of the last change handed over (0: none yet), or the feed's start when it was empty. */
  abstract get position(): number;
  abstract stop(): Promise<void>;
}

/** The wire form of a change (a Kafka message value). */
export function encodeJobChange(change: JobChange): string {
  return JSON.stringify({ v: 1, kind: change.kind, job: change.job });
}

/** @returns undefined for a value that is not a change this version understands (it is skipped). */
export function decodeJobChange(value: string): JobChange | undefined {
  try {
    const parsed = JSON.parse(value) as { v?: unknown; kind?: unknown; job?: unknown };
    if (parsed.v !== 1 || (parsed.kind !== 'state' && parsed.kind !== 'progress')) return undefined;
    const job = parsed.job as Partial<Job> | null;
    if (!job || typeof job.job_id !== 'string' || typeof job.status !== 'string' || !Array.isArray(job.history)) {
      return undefined;
    }
    return { kind: parsed.kind, job: job as Job };
  } catch {
    return undefined;
  }
}
