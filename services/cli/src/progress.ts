import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';

/** One moment of a long step: which step, how far (0-100; undefined when unknown), and a short detail. */
export interface ProgressUpdate {
  phase: string;
  percent: number | undefined;
  detail: string;
}

/**
 * Where progress goes. Commands report through this so the same code drives
 * a live bar on a terminal, plain lines in a log, or nothing at all.
 */
export interface ProgressReporter {
  update(update: ProgressUpdate): void;
  /** A line of information (the job id, a warning) that must not be drawn over. */
  note(line: string): void;
  /** Finishes the drawing; call once, also on error. */
  stop(): void;
}

/** Progress bars on an interactive terminal (stderr), one per phase. */
class BarReporter implements ProgressReporter {
  private readonly bars: MultiBar;
  private bar: SingleBar | undefined;
  private phase: string | undefined;

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new MultiBar(
      {
        stream,
        format: '{phase} [{bar}] {percentage}% {detail}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 20,
        fps: 5,
      },
      Presets.shades_classic,
    );
  }

  update(update: ProgressUpdate): void {
    const value = Math.round((update.percent ?? 0) * 10) / 10;
    const payload = { phase: update.phase.padEnd(10), detail: update.detail };
    if (this.bar === undefined || this.phase !== update.phase) {
      // A finished phase stays on screen as a completed bar; the next gets its own.
      this.bar = this.bars.create(100, value, payload);
      this.phase = update.phase;
    } else {
      this.bar.update(value, payload);
    }
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}

/**
 * Plain lines for logs and pipes: a line when the phase changes, and then at
 * most one a second when the whole percentage moves, so a CI log shows the
 * job moving without a line per poll.
 */
export class LineReporter implements ProgressReporter {
  private phase: string | undefined;
  private percent: number | undefined;
  private lastAt = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly minIntervalMs = 1000,
  ) {}

  update(update: ProgressUpdate): void {
    const percent = update.percent === undefined ? undefined : Math.floor(update.percent);
    const phaseChanged = update.phase !== this.phase;
    const moved = percent !== this.percent;
    const finished = percent === 100 && moved;
    if (!phaseChanged && !finished && (!moved || this.now() - this.lastAt < this.minIntervalMs)) return;
    this.phase = update.phase;
    this.percent = percent;
    this.lastAt = this.now();
    const shown = percent === undefined ? '' : ` ${percent}%`;
    this.write(`${update.phase}${shown}${update.detail ? ` ${update.detail}` : ''}`);
  }

  note(line: string): void {
    this.write(line);
  }

  stop(): void {}
}

/** Reports nothing (`--quiet`). */
class SilentReporter implements ProgressReporter {
  update(): void {}
  note(): void {}
  stop(): void {}
}

/**
 * Bars when stderr is a terminal, lines when it is not, nothing when quiet.
 * Progress always goes to stderr: stdout is for results (`--json`).
 */
export function createReporter(options: { quiet: boolean; stream?: NodeJS.WriteStream }): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return new SilentReporter();
  if (stream.isTTY) return new BarReporter(stream);
  return new LineReporter((line) => stream.write(`${line}\n`));
}
