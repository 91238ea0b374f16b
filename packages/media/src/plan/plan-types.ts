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
  /** What the output leaves out of the source and why (an image subtitle MP4 cannot hold), for the job log. */
  warnings?: string[];
  /** What the written file must hold for the job to complete; the worker probes it (see OutputExpectation). */
  expect?: OutputExpectation;
}

/**
 * What a media output must turn out to be, checked by probing it after the
 * steps ran: these streams present and decodable, and its packets spanning
 * `durationSec` give or take `toleranceSec`.
 */
export interface OutputExpectation {
  streams?: ('video' | 'audio' | 'subtitle')[];
  /** Seconds the output should last; absent or 0 when unknown (not checked). */
  durationSec?: number;
  /** Seconds the duration may differ by (see durationToleranceSec). */
  toleranceSec?: number;
}

export interface PlanIo {
  /** Absolute path of the local input file. */
  inputPath: string;
  /** Absolute path the output is written to. */
  outputPath: string;
}
