import { isTerminal } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import type { SequencedJobChange } from '@mediaflow/queue';

/**
 * The last changes this replica read from the feed, in feed order, so a
 * stream resumed with `Last-Event-ID` (here or on another replica: the seqs
 * are the feed's) is sent exactly the changes after that id.
 *
 * `floor` is the seq below which the log cannot answer: a resume from an id
 * at or above it is exact; an older one gets a fresh snapshot instead.
 */
export class ChangeLog {
  private entries: SequencedJobChange[] = [];
  /** Index of the oldest entry (entries before it are dropped lazily). */
  private head = 0;
  private floorSeq: number;
  private last: number;

  /**
   * @param capacity Changes kept (SSE_REPLAY_EVENTS).
   * @param start The feed position the log starts at: changes after it are all appended.
   */
  constructor(
    private readonly capacity: number,
    start = 0,
  ) {
    this.floorSeq = start;
    this.last = start;
  }

  /** Resumes from an id >= floor are exact. */
  get floor(): number {
    return this.floorSeq;
  }

  /** The seq of the last change appended (or the start). */
  get position(): number {
    return this.last;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Restarts the log at `start` (the reader's first position, or after a gap): nothing older is exact any more. */
  reset(start: number): void {
    this.entries = [];
    this.head = 0;
    this.floorSeq = start;
    this.last = start;
  }

  /** Appends the next change; its seq must be above every earlier one (the feed guarantees it). */
  append(change: SequencedJobChange): void {
    if (change.seq <= this.last) return;
    this.entries.push(change);
    this.last = change.seq;
    if (this.size > this.capacity) {
      // The dropped change is no longer replayable: resumes from before it are not exact.
      this.floorSeq = this.entries[this.head].seq;
      this.head += 1;
      // Compact now and then rather than shifting on every append.
      if (this.head >= this.capacity) {
        this.entries = this.entries.slice(this.head);
        this.head = 0;
      }
    }
  }

  /**
   * The changes after `afterSeq` up to and including `untilSeq` that `matches`
   * accepts, oldest first; undefined when the log cannot tell (afterSeq below
   * the floor).
   */
  after(afterSeq: number, untilSeq: number, matches: (job: Job) => boolean): SequencedJobChange[] | undefined {
    if (afterSeq < this.floorSeq) return undefined;
    const found: SequencedJobChange[] = [];
    // Binary search for the first entry after afterSeq.
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle].seq <= afterSeq) low = middle + 1;
      else high = middle;
    }
    for (let index = low; index < this.entries.length; index += 1) {
      const change = this.entries[index];
      if (change.seq > untilSeq) break;
      if (matches(change.job)) found.push(change);
    }
    return found;
  }
}

/**
 * What one stream has sent of each job, to tell news from a change that is
 * already known or older than what was sent. Changes of one job can reach the
 * feed out of order (the API's cancel and a worker's progress are published
 * by different processes), so order is judged by the job itself: a
 * transition appends to `history`, and within one transition progress only
 * grows. A change with a shorter history, or the same history and less
 * progress, is older than what was sent and is skipped; so is one that would
 * look exactly as sent. Once a job was sent finished, only a new transition
 * (a retry) is news; its status JSON is not kept, so a long-lived GET /events
 * holds a few numbers per finished job rather than its JSON.
 */
export class SentVersions {
  private readonly sent = new Map<string, { transitions: number; progress: number; data: string | undefined }>();

  /** Whether `job` (whose status JSON is `data`) is news to this stream. */
  isNews(job: Job, data: string): boolean {
    const previous = this.sent.get(job.job_id);
    if (!previous) return true;
    const transitions = job.history.length;
    if (transitions !== previous.transitions) return transitions > previous.transitions;
    if (previous.data === undefined || job.progress < previous.progress) return false;
    return data !== previous.data;
  }

  record(job: Job, data: string): void {
    this.sent.set(job.job_id, {
      transitions: job.history.length,
      progress: job.progress,
      data: isTerminal(job.status) ? undefined : data,
    });
  }

  /**
   * Whether a transition newer than what was sent is in `job` (a change the
   * feed lost); with nothing sent of the job (a resumed stream), whether it
   * is finished, since the client cannot have seen that.
   */
  isBehind(job: Job): boolean {
    const previous = this.sent.get(job.job_id);
    if (previous === undefined) return isTerminal(job.status);
    return job.history.length > previous.transitions;
  }

  forget(jobId: string): void {
    this.sent.delete(jobId);
  }
}
