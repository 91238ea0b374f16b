import type { AppConfig, Logger } from '@mediaflow/domain';
import type { MediaLimitsConfig, MediaProbe } from '@mediaflow/media';
import type { PlanStep, StepKind } from '@mediaflow/operations';
import type { StepMetrics } from '@mediaflow/runtime';
import type { StepProgress } from '../run/plan-progress';

export type StepConfig = Pick<
  AppConfig,
  'FFMPEG_PATH' | 'FFMPEG_STALL_TIMEOUT' | 'JOB_TIMEOUT_FACTOR' | 'JOB_TIMEOUT_MIN_SECONDS'
> &
  MediaLimitsConfig;

/** What a step executor may use, and how it reports. */
export interface StepContext {
  /** Absolute path of the job's work directory: every relative path in a step is under it. */
  workDir: string;
  /** Absolute path of the downloaded source. */
  inputPath: string;
  probe: MediaProbe;
  config: StepConfig;
  /** Aborted on cancel, lease loss, a watchdog verdict or shutdown; executors stop promptly. */
  signal: AbortSignal;
  logger: Logger;
  /** The step's own progress (0–100 of this step); also proof of life for the watchdog. */
  onProgress(progress: StepProgress): void;
  /** Appends to the job's log file (commands run, their output). */
  log(text: string): void;
  /**
   * Puts the step under a watchdog from now on: the attempt is stopped as
   * stalled after `stallMs` without progress, or as timed out after
   * `limitMs` in all. The runner ends the watch when the step ends.
   */
  watch(options: { stallMs: number; limitMs: number; what: 'FFmpeg' | 'transcription' }): void;
  /** Where a step reports its figures (FFmpeg speed, transcription real-time factor); absent: nowhere. */
  metrics?: StepMetrics;
}

/** Runs one kind of step. Throws AppError (or FfmpegFailure, which carries FFmpeg's log) on failure. */
export type StepExecutor<S extends PlanStep> = (step: S, context: StepContext) => Promise<void>;

/** One executor per step kind; the compiler keeps this exhaustive. */
export type StepExecutors = { [K in StepKind]: StepExecutor<Extract<PlanStep, { kind: K }>> };
