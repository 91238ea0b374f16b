/** One `-progress` block, as FFmpeg reports it after each chunk of output. */
export interface ProgressSnapshot {
  outTimeSec: number;
  speed?: number;
  frame?: number;
  fps?: number;
  /** True for the last block (`progress=end`). */
  done: boolean;
}

/**
 * Incremental parser for `ffmpeg -progress pipe:1` output: `key=value` lines,
 * each block closed by `progress=continue` or `progress=end`. Chunks may split
 * lines anywhere; a partial line waits for the next chunk.
 */
export class ProgressParser {
  private pending = '';
  private block = new Map<string, string>();

  /** Feeds a chunk and returns the blocks it completed. */
  push(chunk: string): ProgressSnapshot[] {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    return lines.flatMap((line) => this.consume(line));
  }

  /** Call when the stream ends: a last line without its newline still counts. */
  flush(): ProgressSnapshot[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : this.consume(rest);
  }

  private consume(rawLine: string): ProgressSnapshot[] {
    const line = rawLine.trim();
    const separator = line.indexOf('=');
    if (separator <= 0) return [];
    const key = line.slice(0, separator).trim();
    const value = line.slice(separator + 1).trim();
    if (key !== 'progress') {
      this.block.set(key, value);
      return [];
    }
    const snapshot = snapshotOf(this.block, value === 'end');
    this.block = new Map();
    return [snapshot];
  }
}

function snapshotOf(block: ReadonlyMap<string, string>, done: boolean): ProgressSnapshot {
  const speed = parseSpeed(block.get('speed'));
  const frame = parseNumber(block.get('frame'));
  const fps = parseNumber(block.get('fps'));
  return {
    outTimeSec: outTimeOf(block),
    ...(speed === undefined ? {} : { speed }),
    ...(frame === undefined ? {} : { frame }),
    ...(fps === undefined ? {} : { fps }),
    done,
  };
}

/**
 * out_time_us is microseconds; out_time_ms is also microseconds (a long-standing
 * FFmpeg naming bug); out_time is HH:MM:SS.micro. Early blocks can report N/A
 * or a negative time (audio priming), which counts as 0.
 */
function outTimeOf(block: ReadonlyMap<string, string>): number {
  const micros = parseNumber(block.get('out_time_us')) ?? parseNumber(block.get('out_time_ms'));
  const seconds = micros === undefined ? parseClock(block.get('out_time')) : micros / 1_000_000;
  return seconds === undefined || seconds < 0 ? 0 : seconds;
}

function parseNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'N/A') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** "1.23x" → 1.23; "N/A" and "0x" (nothing written yet) → undefined. */
function parseSpeed(value: string | undefined): number | undefined {
  const parsed = parseNumber(value?.replace(/x$/, '').trim());
  return parsed !== undefined && parsed > 0 ? parsed : undefined;
}

function parseClock(value: string | undefined): number | undefined {
  const match = /^(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value ?? '');
  if (!match) return undefined;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4]);
  return match[1] === '-' ? -seconds : seconds;
}

/** Percent done, held below 100 until FFmpeg says it has finished. */
export function toPercent(outTimeSec: number, durationSec: number, done = false): number {
  if (done) return 100;
  if (!(durationSec > 0) || !(outTimeSec > 0)) return 0;
  return Math.min(99.9, (outTimeSec / durationSec) * 100);
}

/** Seconds left at the current speed; undefined while the speed is unknown. */
export function etaSeconds(outTimeSec: number, durationSec: number, speed: number | undefined): number | undefined {
  if (speed === undefined || !(speed > 0) || !(durationSec > 0)) return undefined;
  return Math.max(0, durationSec - outTimeSec) / speed;
}
