import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ffmpegProcessLimits, runFfmpeg } from '@mediaflow/media';
import type { FfmpegStep } from '@mediaflow/operations';
import { jobTimeLimitMs } from '../retry-policy';
import type { StepContext } from './step-executor';

/**
 * Runs one FFmpeg invocation under the watchdog, in the work directory, with
 * the process limits the probe calls for. The command and FFmpeg's output go
 * to the job's log, on failure too (FfmpegFailure carries it).
 * @throws FfmpegFailure (FFMPEG_FAILED, or a media code read from FFmpeg's output), JOB_ABORTED when the signal fired.
 */
export async function runFfmpegStep(step: Pick<FfmpegStep, 'args' | 'expectedDurationSec' | 'createDirs'>, context: StepContext): Promise<void> {
  const { config, workDir } = context;
  for (const dir of step.createDirs ?? []) await mkdir(path.join(workDir, dir), { recursive: true });
  context.watch({
    what: 'FFmpeg',
    stallMs: config.FFMPEG_STALL_TIMEOUT * 1000,
    limitMs: jobTimeLimitMs(step.expectedDurationSec, config.JOB_TIMEOUT_FACTOR, config.JOB_TIMEOUT_MIN_SECONDS),
  });
  context.log(commandLine(config.FFMPEG_PATH, step.args));
  try {
    const result = await runFfmpeg({
      ffmpegPath: config.FFMPEG_PATH,
      args: step.args,
      durationSec: step.expectedDurationSec,
      signal: context.signal,
      // Every abort discards the outputs, so FFmpeg need not finish its files.
      abortGraceMs: 0,
      cwd: workDir,
      limits: ffmpegProcessLimits(config, context.probe),
      onProgress: (progress) => context.onProgress(progress),
    });
    context.log(`${result.log}\n`);
    // Media seconds per wall-clock second over the whole run (FFmpeg's own figure is a moving one).
    const mediaSec = result.lastProgress?.outTimeSec ?? 0;
    if (mediaSec > 0 && result.durationMs > 0) context.metrics?.ffmpegRun(mediaSec / (result.durationMs / 1000));
  } catch (error) {
    const log = logOf(error);
    if (log) context.log(`${log}\n`);
    throw error;
  }
}

function logOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'log' in error && typeof error.log === 'string') return error.log;
  return undefined;
}

/** The command as a reader of the log would retype it; only our own temp paths appear in it. */
export function commandLine(binary: string, args: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['$', binary, ...args.map(quote)].join(' ');
}
