import type { Request, Response } from 'express';
import { errorMessage, isTerminal } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { SequencedJobChange } from '@mediaflow/queue';
import { SentVersions } from './change-log';
import { formatEventId, nextOwnEventId } from './event-id';
import type { EventId } from './event-id';
import type { JobEventHub, StreamHandle } from './event-hub';

/** What a stream watches: one job, or every job of one key. */
export type StreamScope = { kind: 'job'; jobId: string } | { kind: 'owner'; owner: string };

export interface EventStreamOptions {
  hub: JobEventHub;
  scope: StreamScope;
  /** The key the stream runs as (its cap is counted against it). */
  keyId: string;
  /** The status JSON of a job, as GET /status/{id} sends it. */
  render: (job: Job) => unknown;
  heartbeatMs: number;
  /**
   * Job streams: reads the job again at each heartbeat, to notice a change the
   * feed lost (its process died between the write and the announcement) or a
   * deleted job. Null: the job is gone for this caller.
   */
  reread?: () => Promise<Job | null>;
  logger: Logger;
}

/** Sent first: how long EventSource waits before reconnecting (ms). */
const RETRY_MS = 2_000;
/** A client that reads slower than this much pending output is cut off; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A change the database shows but the feed has not brought for this long is taken as lost. */
const LOST_AFTER_MS = 5_000;

/**
 * One open Server-Sent Events response. Lifecycle: `open()` registers it
 * with the hub (changes arriving from then on are held), the caller reads
 * what it needs from the database and calls `begin()` with the first
 * events (snapshot or replay); held changes then follow through the same
 * filter, and live ones after them. It ends on the client's disconnect, an
 * `end` event, a hub shutdown or a slow client, and every path runs the same
 * clean-up: unregistered, heartbeat cleared, cap released.
 */
export class EventStream implements StreamHandle {
  private readonly versions = new SentVersions();
  private held: SequencedJobChange[] | undefined = [];
  private lastId: EventId | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private release: (() => void) | undefined;
  private ended = false;
  private rereading = false;
  /** The feed position when the stream registered: its snapshot reflects the feed up to here. */
  readonly openedAt: number;

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly options: EventStreamOptions,
  ) {
    this.openedAt = options.hub.position;
  }

  /**
   * Registers with the hub, counting against the caps.
   * @throws AppError TOO_MANY_STREAMS, DEPENDENCY_UNAVAILABLE (before anything is written).
   */
  open(): void {
    this.release = this.options.hub.admit(this.options.keyId, this);
    // A client that goes away before begin() must still release its place.
    this.res.once('close', () => this.cleanUp());
  }

  /** Gives the place back without having answered (the caller answers with an error or 204). */
  abandon(): void {
    this.cleanUp();
  }

  /** Whether any change held since open() is about this stream's job(s). */
  heldAny(): boolean {
    return (this.held ?? []).some((change) => this.matches(change.job));
  }

  /**
   * Sends the headers and the first events, then the changes held since
   * open() (those after the feed position the first events reflect).
   *
   * @param first `snapshot`: a state read from the database at feed position
   *   `openedAt`. `replay`: the changes after the client's Last-Event-ID.
   */
  begin(first: { snapshot: unknown; jobs: Job[] } | { replay: SequencedJobChange[]; after: EventId }): void {
    if (this.ended) return;
    const { res } = this;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx and similar proxies would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    this.req.socket.setNoDelay(true);
    // The server's request timeouts are for requests, not for a stream that is meant to stay open.
    this.req.socket.setTimeout(0);
    this.write(`retry: ${RETRY_MS}\n\n`);
    let after: number;
    if ('snapshot' in first) {
      this.lastId = { seq: this.openedAt, n: 0 };
      this.send('snapshot', this.lastId, JSON.stringify(first.snapshot));
      for (const job of first.jobs) this.versions.record(job, this.data(job));
      after = this.openedAt;
      const single = this.options.scope.kind === 'job' ? first.jobs[0] : undefined;
      if (single && isTerminal(single.status)) {
        this.finish(single, nextOwnEventId(this.lastId, this.openedAt));
        return;
      }
    } else {
      this.lastId = first.after;
      after = first.after.seq;
      for (const change of first.replay) {
        this.deliver(change);
        if (this.ended) return;
      }
      after = Math.max(after, ...first.replay.map((change) => change.seq));
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const change of held) {
      if (change.seq > after) this.deliver(change);
      if (this.ended) return;
    }
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  /** The hub's call for every change read from the feed. */
  onChange(change: SequencedJobChange): void {
    if (this.ended) return;
    if (this.held) {
      this.held.push(change);
      return;
    }
    this.deliver(change);
  }

  /** Ends the response (shutdown, a failure); the client reconnects with its Last-Event-ID. */
  close(): void {
    if (this.ended) return;
    this.cleanUp();
    if (this.res.headersSent) this.res.end();
    else this.res.destroy();
  }

  private matches(job: Job): boolean {
    const { scope } = this.options;
    return scope.kind === 'job' ? job.job_id === scope.jobId : job.owner === scope.owner;
  }

  private data(job: Job): string {
    return JSON.stringify(this.options.render(job));
  }

  private deliver(change: SequencedJobChange): void {
    // Past changes a resume from a replica further ahead already had (its id is beyond this feed position).
    if (this.lastId !== undefined && change.seq <= this.lastId.seq) return;
    if (!this.matches(change.job)) return;
    const id: EventId = { seq: change.seq, n: 0 };
    if (change.job.deleted_at !== undefined) {
      this.announceDeletion(change.job, id);
      return;
    }
    const data = this.data(change.job);
    if (!this.versions.isNews(change.job, data)) return;
    this.versions.record(change.job, data);
    if (this.options.scope.kind === 'job' && isTerminal(change.job.status)) {
      this.finish(change.job, id, data);
      return;
    }
    this.lastId = id;
    this.send('update', id, data);
  }

  /**
   * `deleted` with `{job_id, deleted_at}`, so a list can drop the row; on a
   * job's own stream it is the last event (a reconnect would get 404).
   */
  private announceDeletion(job: Job, id: EventId): void {
    this.lastId = id;
    this.send('deleted', id, JSON.stringify({ job_id: job.job_id, deleted_at: job.deleted_at }));
    if (this.options.scope.kind === 'job') {
      this.cleanUp();
      this.res.end();
    }
  }

  /** The job stream's last event: `end` with the final status, then the response ends. */
  private finish(job: Job, id: EventId, data = this.data(job)): void {
    this.lastId = id;
    this.send('end', id, data);
    this.cleanUp();
    this.res.end();
  }

  private send(event: string, id: EventId, data: string): void {
    this.write(`id: ${formatEventId(id)}\nevent: ${event}\ndata: ${data}\n\n`);
  }

  private write(text: string): void {
    if (this.ended) return;
    this.res.write(text);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.options.logger.warn('event stream client reads too slowly; closing it (it resumes with Last-Event-ID)', {
        buffered: this.res.writableLength,
      });
      this.close();
    }
  }

  private beat(): void {
    this.write(': hb\n\n');
    if (this.options.reread && !this.rereading) {
      this.rereading = true;
      void this.recheck(this.options.reread).finally(() => {
        this.rereading = false;
      });
    }
  }

  /** Catches what the feed lost: a transition (or the end) the database shows and no change brought. */
  private async recheck(reread: () => Promise<Job | null>): Promise<void> {
    let job: Job | null;
    try {
      job = await reread();
    } catch (error) {
      this.options.logger.debug('event stream could not re-read its job', { error: errorMessage(error) });
      return;
    }
    if (this.ended) return;
    if (!job) {
      this.close();
      return;
    }
    if (job.deleted_at !== undefined) {
      this.announceDeletion(job, nextOwnEventId(this.lastId, this.options.hub.position));
      return;
    }
    const settled = Date.now() - Date.parse(job.updated_at) > LOST_AFTER_MS;
    if (!settled || !this.versions.isBehind(job)) return;
    const data = this.data(job);
    this.versions.record(job, data);
    const id = nextOwnEventId(this.lastId, this.options.hub.position);
    if (isTerminal(job.status)) {
      this.finish(job, id, data);
      return;
    }
    this.lastId = id;
    this.send('update', id, data);
  }

  private cleanUp(): void {
    if (this.ended) return;
    this.ended = true;
    this.held = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.release?.();
  }
}
