import { errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';

export interface ProgressSnapshot {
  percent: number;
  speed?: number;
  etaSeconds?: number;
}

export interface ProgressSink {
  /** Stores progress and renews the lease; false when this worker may no longer work on the job. */
  write(snapshot: ProgressSnapshot): Promise<boolean>;
  /** Keeps the queue membership alive. */
  heartbeat(): Promise<void>;
}

/**
 * Turns FFmpeg's many progress lines into at most one database write per
 * interval, and keeps writing on a timer while FFmpeg is silent or the worker
 * is moving files: each write renews the job's lease and sends a queue
 * heartbeat, and a refused write (cancelled, or taken over) is reported at
 * once. Writes never block FFmpeg's output handling.
 */
export class ProgressReporter {
  private lastWriteAt = 0;
  private inFlight: Promise<void> | undefined;
  private latest: ProgressSnapshot = { percent: 0 };
  private timer: NodeJS.Timeout | undefined;
  private refused = false;
  /** exclusive() calls running: no progress write starts meanwhile. */
  private paused = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs: number,
    private readonly onRefused: () => void,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the timer that keeps the lease alive between progress lines. */
  start(): void {
    this.lastWriteAt = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  report(snapshot: ProgressSnapshot): void {
    const percent = Math.max(this.latest.percent, Math.min(99.9, snapshot.percent));
    this.latest = { ...snapshot, percent };
    this.tick();
  }

  /** Stops the timer and waits for a write in flight, so the final state is never overtaken by it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /**
   * Runs `write` (another write of the same job) with no progress write in
   * flight or starting meanwhile. A database that applies an update by
   * writing back the whole record it read (FerretDB v1) would otherwise let
   * a racing progress write undo it: a multi-step job's checkpoint goes
   * through here. The timer's writes resume afterwards.
   */
  async exclusive<T>(write: () => Promise<T>): Promise<T> {
    this.paused += 1;
    try {
      await this.inFlight;
      return await write();
    } finally {
      this.paused -= 1;
    }
  }

  private tick(): void {
    const now = this.now();
    if (this.refused || this.paused > 0 || this.inFlight || now - this.lastWriteAt < this.intervalMs) return;
    this.lastWriteAt = now;
    this.inFlight = this.flush(this.latest).finally(() => {
      this.inFlight = undefined;
    });
  }

  private async flush(snapshot: ProgressSnapshot): Promise<void> {
    try {
      const [accepted] = await Promise.all([this.sink.write(snapshot), this.sink.heartbeat()]);
      if (!accepted && !this.refused) {
        this.refused = true;
        this.onRefused();
      }
    } catch (error) {
      // A missed progress write is not worth failing an encode for; the lease
      // is long enough to survive a few of them.
      this.logger.warn('progress write failed', { error: errorMessage(error) });
    }
  }
}
