export type WatchdogVerdict = 'stalled' | 'timed-out';

/**
 * Kills hung work: fires when nothing touched it for `stallMs`, or when it
 * has run for `limitMs` in all. FFmpeg stuck on a pipe or a bad file makes
 * no progress at all, so silence is the signal.
 */
export class Watchdog {
  private lastTouch: number;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: { stallMs: number; limitMs: number; onFire: (verdict: WatchdogVerdict) => void },
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastTouch = this.started;
    const checkEvery = Math.max(50, Math.min(1000, Math.floor(options.stallMs / 4)));
    this.timer = setInterval(() => {
      const at = now();
      if (at - this.started >= this.options.limitMs) this.fire('timed-out');
      else if (at - this.lastTouch >= this.options.stallMs) this.fire('stalled');
    }, checkEvery);
    this.timer.unref();
  }

  touch(): void {
    this.lastTouch = this.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private fire(verdict: WatchdogVerdict): void {
    this.stop();
    this.options.onFire(verdict);
  }
}
