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

  private tick(): void {
    const now = this.now();
    if (this.refused || this.inFlight || now - this.lastWriteAt < this.intervalMs) return;
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
