import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import type { JobChangeFeed, SequencedJobChange } from '@mediaflow/queue';
import { ChangeLog } from './change-log';

export interface EventHubOptions {
  /** The feed to read; absent (some test harnesses): streams get their snapshot and heartbeats, never a change. */
  feed?: JobChangeFeed;
  /** SSE_REPLAY_EVENTS: changes kept for resumes. */
  replayCapacity: number;
  /** SSE_MAX_STREAMS_PER_KEY. */
  maxStreamsPerKey: number;
  /** SSE_MAX_STREAMS. */
  maxStreams: number;
  logger: Logger;
}

/** An open stream as the hub knows it: what to call with each change, and how to end it (shutdown). */
export interface StreamHandle {
  onChange(change: SequencedJobChange): void;
  /** Ends the response; the stream's own clean-up then runs (and calls the release it was given). */
  close(): void;
}

/** How long a stream waits for the feed to be read up to its end, on a replica just started. */
const READY_WAIT_MS = 10_000;

/**
 * One per API replica: reads the job change feed (the whole of it, from a
 * backlog of SSE_REPLAY_EVENTS changes before its end), keeps those changes
 * for resumes (ChangeLog), hands each change to every open stream, and
 * counts the open streams against the per-key and per-replica caps.
 *
 * Why a feed every replica reads whole rather than each replica polling the
 * database: the feed gives every change one number that all replicas share,
 * so `Last-Event-ID` resumes exactly (no transition missed, none twice) on
 * whichever replica a client reconnects to; a change reaches every replica
 * in a Kafka fetch (well under a second), whatever the number of streams;
 * and the database sees no load per watcher. Polling would cost a read per
 * replica per second even with nobody watching, and could only coalesce.
 */
export class JobEventHub {
  readonly log: ChangeLog;
  private readonly streams = new Set<StreamHandle>();
  private readonly perKey = new Map<string, number>();
  private readonly ready: Promise<boolean>;
  private markReady!: (ready: boolean) => void;
  private started = false;
  private closed = false;

  constructor(private readonly options: EventHubOptions) {
    this.log = new ChangeLog(options.replayCapacity);
    this.ready = new Promise<boolean>((resolve) => (this.markReady = resolve));
    if (!options.feed) this.markReady(true);
  }

  /**
   * Starts reading the feed in the background (a replica serves its other
   * routes meanwhile; event streams wait for it, up to 10 s, then 503).
   * Failures are logged and retried.
   */
  start(): void {
    const { feed, logger } = this.options;
    if (!feed || this.started) return;
    this.started = true;
    const run = async (): Promise<void> => {
      for (let attempt = 1, delayMs = 1_000; !this.closed; attempt += 1, delayMs = Math.min(30_000, delayMs * 2)) {
        try {
          await feed.start({
            backlog: this.options.replayCapacity,
            onStart: (position) => this.log.reset(position),
            onChange: (change) => this.dispatch(change),
            onGap: (seq) => {
              logger.warn('job change feed skipped changes; resumes from before them get a snapshot', { seq });
              this.log.reset(seq - 1);
            },
          });
          logger.info('job change feed read up to its end', { position: feed.position, kept: this.log.size });
          this.markReady(true);
          return;
        } catch (error) {
          logger.warn('job change feed not readable yet; event streams wait', { attempt, error: errorMessage(error) });
          await feed.stop().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        }
      }
    };
    void run();
  }

  /** The feed position: every change up to it has been handed to the streams open at the time. */
  get position(): number {
    return this.log.position;
  }

  /** Open streams on this replica. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Waits (up to 10 s) until the feed has been read up to where it ended when
   * this replica started, so positions mean what they mean on other replicas.
   *
   * @throws AppError DEPENDENCY_UNAVAILABLE (503) when it is not, or the hub is closed.
   */
  async whenReady(): Promise<void> {
    if (this.closed) throw new AppError('DEPENDENCY_UNAVAILABLE', 'this API replica is shutting down; reconnect');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_WAIT_MS);
    });
    const ready = await Promise.race([this.ready, timeout]).finally(() => clearTimeout(timer));
    if (!ready) {
      throw new AppError('DEPENDENCY_UNAVAILABLE', 'live job events are not available yet on this replica; retry');
    }
  }

  /**
   * Admits a stream for `keyId`, or refuses it.
   *
   * @returns The release to call once the stream ends (idempotent).
   * @throws AppError TOO_MANY_STREAMS (429) over SSE_MAX_STREAMS_PER_KEY or SSE_MAX_STREAMS.
   * @throws AppError DEPENDENCY_UNAVAILABLE (503) once the hub is closing.
   */
  admit(keyId: string, stream: StreamHandle): () => void {
    if (this.closed) throw new AppError('DEPENDENCY_UNAVAILABLE', 'this API replica is shutting down; reconnect');
    const held = this.perKey.get(keyId) ?? 0;
    if (held >= this.options.maxStreamsPerKey) {
      throw new AppError(
        'TOO_MANY_STREAMS',
        `this key has ${held} open event streams on this replica, the most allowed; close one (GET /events watches every job)`,
      );
    }
    if (this.streams.size >= this.options.maxStreams) {
      throw new AppError('TOO_MANY_STREAMS', 'this replica serves the most event streams it may; retry later');
    }
    this.perKey.set(keyId, held + 1);
    this.streams.add(stream);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.streams.delete(stream);
      const left = (this.perKey.get(keyId) ?? 1) - 1;
      if (left > 0) this.perKey.set(keyId, left);
      else this.perKey.delete(keyId);
    };
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID) and stops reading the feed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of [...this.streams]) stream.close();
    this.markReady(false);
    await this.options.feed?.stop();
  }

  private dispatch(change: SequencedJobChange): void {
    this.log.append(change);
    for (const stream of this.streams) {
      try {
        stream.onChange(change);
      } catch (error) {
        // One stream's failure must not starve the others.
        this.options.logger.warn('event stream failed on a change; closing it', { error: errorMessage(error) });
        stream.close();
      }
    }
  }
}
