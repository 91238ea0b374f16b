export type StreamKind = 'video' | 'audio';

/** Everything the runner needs to produce one output, decided before FFmpeg starts. */
export interface FfmpegPlan {
  /** The full FFmpeg argv without the binary and without -progress/-nostats (the runner adds those). */
  args: string[];
  /** Without the dot, e.g. "mp4". */
  outputExtension: string;
  contentType: string;
  outputKind: StreamKind;
  /** What 100 % means for progress. 0 when the input's duration is unknown. */
  expectedDurationSec: number;
  /** Streams passed through untouched (`-c:v copy` / `-c:a copy`). */
  copiedStreams: StreamKind[];
}

export interface PlanIo {
  /** Absolute path of the local input file. */
  inputPath: string;
  /** Absolute path the output is written to. */
  outputPath: string;
}
