import { AppError } from '@mediaflow/domain';

/**
 * FFMPEG_FAILED (or RESOURCE_LIMIT_EXCEEDED when a process limit stopped it)
 * with FFmpeg's stderr attached for the job's log file. The log is a
 * property, not `details`, because details are rendered to API clients and
 * the log is for operators.
 */
export class FfmpegFailure extends AppError {
  readonly log: string;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;

  constructor(
    message: string,
    options: {
      log: string;
      exitCode: number | null;
      exitSignal: NodeJS.Signals | null;
      code?: 'FFMPEG_FAILED' | 'RESOURCE_LIMIT_EXCEEDED';
    },
  ) {
    super(options.code ?? 'FFMPEG_FAILED', message);
    this.name = 'FfmpegFailure';
    this.log = options.log;
    this.exitCode = options.exitCode;
    this.exitSignal = options.exitSignal;
  }
}

/** The last few lines of stderr that say something, pointer addresses removed. */
export function lastMeaningfulLines(log: string, count = 3): string[] {
  return log
    .split(/\r?\n/)
    .map((line) => line.replace(/ @ 0x[0-9a-f]+\]/gi, ']').trim())
    .filter((line) => line.length > 0 && !line.startsWith('[... '))
    .slice(-count);
}
