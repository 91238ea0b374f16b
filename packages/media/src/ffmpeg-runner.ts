import { spawn } from 'node:child_process';
import { abortedError, spawnError } from './capture-process';
import { BoundedLog } from './bounded-log';
import { FfmpegFailure, lastMeaningfulLines } from './ffmpeg-failure';
import { limitedCommand, resourceLimitError, wrappedExecError } from './process-limits';
import type { ProcessLimits } from './process-limits';
import { etaSeconds, ProgressParser, toPercent } from './progress';
import type { ProgressSnapshot } from './progress';
import { ffmpegPathLabels, redactPaths } from './redact-paths';

export interface FfmpegProgress {
  percent: number;
  outTimeSec: number;
  speed?: number;
  etaSeconds?: number;
  done: boolean;
}

export interface RunFfmpegOptions {
  ffmpegPath?: string;
  /** FFmpeg's argv without the binary and without -progress/-nostats, e.g. FfmpegPlan.args. */
  args: readonly string[];
  /** The input's duration, for percent and ETA; 0 when unknown. */
  durationSec: number;
  signal?: AbortSignal;
  /** Called for every progress block; throttling is the caller's business. */
  onProgress?: (progress: FfmpegProgress) => void;
  cwd?: string;
  stderrLimitBytes?: number;
  /**
   * Memory, CPU-time and priority limits, enforced by the kernel. Hitting
   * one rejects with RESOURCE_LIMIT_EXCEEDED.
   */
  limits?: ProcessLimits;
  /**
   * How long FFmpeg gets after SIGTERM before SIGKILL (default 2 s). A caller
   * that throws the output away on abort (a cancelled job) can pass 0.
   */
  abortGraceMs?: number;
}

export interface FfmpegRunResult {
  /** FFmpeg's stderr, head and tail kept when it exceeded the limit. */
  log: string;
  durationMs: number;
  lastProgress?: FfmpegProgress;
}

/** How long FFmpeg gets to finish its file after SIGTERM before it is killed outright. */
const DEFAULT_ABORT_GRACE_MS = 2000;

/**
 * Runs one FFmpeg process: progress from stdout, stderr kept as the log,
 * AbortSignal → SIGTERM then SIGKILL. Resolves only once the process is gone,
 * so the caller may delete or upload its files straight away.
 */
export async function runFfmpeg(options: RunFfmpegOptions): Promise<FfmpegRunResult> {
  const {
    ffmpegPath = 'ffmpeg',
    args,
    durationSec,
    signal,
    onProgress,
    cwd,
    stderrLimitBytes = 1024 * 1024,
    limits,
    abortGraceMs = DEFAULT_ABORT_GRACE_MS,
  } = options;
  if (signal?.aborted) throw abortedError('ffmpeg');

  const startedAt = Date.now();
  const command = limitedCommand(ffmpegPath, ['-progress', 'pipe:1', '-nostats', ...args], limits);
  const child = spawn(command.command, command.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd === undefined ? {} : { cwd }),
  });

  const log = new BoundedLog(stderrLimitBytes);
  const parser = new ProgressParser();
  let lastProgress: FfmpegProgress | undefined;
  let failure: Error | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const stop = (reason: Error, firstSignal: NodeJS.Signals): void => {
    if (failure) return;
    failure = reason;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(firstSignal);
    killTimer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, abortGraceMs);
  };

  const report = (snapshots: ProgressSnapshot[]): void => {
    for (const snapshot of snapshots) {
      lastProgress = toProgress(snapshot, durationSec);
      if (!onProgress || failure) continue;
      try {
        onProgress(lastProgress);
      } catch (error) {
        // A throwing callback is a bug in the caller; carrying on would hide it.
        stop(error instanceof Error ? error : new Error(String(error)), 'SIGKILL');
      }
    }
  };

  const onAbort = (): void => stop(abortedError('ffmpeg', signal?.reason), abortGraceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => report(parser.push(chunk)));
  child.stderr.on('data', (chunk: Buffer) => log.append(chunk));

  return new Promise<FfmpegRunResult>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= spawnError(ffmpegPath, error);
    });
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      report(parser.flush());

      if (failure) {
        reject(failure);
        return;
      }
      const text = log.toString();
      if (exitCode !== 0) {
        const end = { exitCode, exitSignal, stderr: log.tailText() };
        const limitError = resourceLimitError('ffmpeg', end, limits, command.enforced);
        const execError = limitError ? undefined : wrappedExecError(ffmpegPath, end, command.command !== ffmpegPath);
        if (execError) {
          reject(execError);
          return;
        }
        // Job errors reach API clients; the worker's paths stay in the log.
        const labels = ffmpegPathLabels(args, cwd);
        const message = redactPaths(
          limitError?.message ?? failureMessage(end.stderr, exitCode, exitSignal),
          labels,
        ).slice(0, 1000);
        reject(
          new FfmpegFailure(message, {
            log: text,
            exitCode,
            exitSignal,
            ...(limitError ? { code: 'RESOURCE_LIMIT_EXCEEDED' as const } : {}),
          }),
        );
        return;
      }
      resolve({
        log: text,
        durationMs: Date.now() - startedAt,
        ...(lastProgress ? { lastProgress } : {}),
      });
    });
  });
}

function toProgress(snapshot: ProgressSnapshot, durationSec: number): FfmpegProgress {
  const eta = snapshot.done ? 0 : etaSeconds(snapshot.outTimeSec, durationSec, snapshot.speed);
  return {
    percent: toPercent(snapshot.outTimeSec, durationSec, snapshot.done),
    outTimeSec: snapshot.outTimeSec,
    ...(snapshot.speed === undefined ? {} : { speed: snapshot.speed }),
    ...(eta === undefined ? {} : { etaSeconds: eta }),
    done: snapshot.done,
  };
}

function failureMessage(tail: string, exitCode: number | null, exitSignal: NodeJS.Signals | null): string {
  const how = exitSignal ? `was killed by ${exitSignal}` : `exited with code ${exitCode}`;
  const lines = lastMeaningfulLines(tail);
  const reason = lines.length > 0 ? `: ${lines.join(' | ')}` : '';
  return `ffmpeg ${how}${reason}`;
}
