import { errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';

export interface ProgressSnapshot {
  percent: number;
  speed?: number;
  etaSeconds?: number;
}

export interface ProgressSink {
  /** Stores progress and renews the lease; false when this worker no longer owns the job. */
  write(snapshot: ProgressSnapshot): Promise<boolean>;
  /** Keeps the queue membership alive. */
  heartbeat(): Promise<void>;
}

/**
 * Turns FFmpeg's many progress lines into at most one database write per
 * interval. Writes never block FFmpeg's output handling: a write still in
 * flight makes the next snapshot wait for the following tick.
 */
export class ProgressReporter {
  private lastWriteAt = 0;
  private inFlight: Promise<void> | undefined;
  private lastPercent = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs: number,
    private readonly onOwnershipLost: () => void,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  report(snapshot: ProgressSnapshot): void {
    const percent = Math.max(this.lastPercent, Math.min(99.9, snapshot.percent));
    this.lastPercent = percent;
    const now = this.now();
    if (this.inFlight || now - this.lastWriteAt < this.intervalMs) return;
    this.lastWriteAt = now;
    this.inFlight = this.flush({ ...snapshot, percent }).finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Waits for a write in flight, so the final state is never overtaken by a late progress write. */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  private async flush(snapshot: ProgressSnapshot): Promise<void> {
    try {
      const [owned] = await Promise.all([this.sink.write(snapshot), this.sink.heartbeat()]);
      if (!owned) this.onOwnershipLost();
    } catch (error) {
      // A missed progress write is not worth failing an encode for; the lease
      // is long enough to survive a few of them.
      this.logger.warn('progress write failed', { error: errorMessage(error) });
    }
  }
}
