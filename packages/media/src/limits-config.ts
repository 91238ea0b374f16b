import type { AppConfig } from '@mediaflow/domain';
import { DEFAULT_MEDIA_LIMITS } from './limits';
import type { MediaLimits } from './limits';
import type { MediaProbe } from './probe-types';
import type { ProcessLimits } from './process-limits';

/** The settings this module reads, so a caller can depend on just these. */
export type MediaLimitsConfig = Pick<
  AppConfig,
  | 'MAX_MEDIA_DURATION_SECONDS'
  | 'MAX_VIDEO_PIXELS'
  | 'MAX_STREAMS'
  | 'FFMPEG_MEMORY_LIMIT_MB'
  | 'FFMPEG_CPU_TIME_LIMIT_SECONDS'
>;

/** Encodes yield to the worker's own I/O, heartbeats and other processes. */
export const FFMPEG_NICENESS = 10;

/** ffprobe reads a few seconds of media; a minute of CPU is already pathological. */
export const PROBE_CPU_SECONDS = 60;

/**
 * The floor, and the budget per second of 1080p30 media, of the scaled
 * CPU-time limit. Measured with FFmpeg 5.1 on 1080p30 test footage, x264
 * `veryfast` (the default) takes about 1 CPU-second per media second and
 * `veryslow` about 9; harder real footage needs more, hence the margin.
 */
export const MIN_CPU_SECONDS = 300;
export const CPU_SECONDS_PER_MEDIA_SECOND = 30;
const REFERENCE_PIXELS = 1920 * 1080;
const REFERENCE_FPS = 30;

/**
 * What an unknown duration counts as for the CPU budget. WebM recorded in
 * browsers (MediaRecorder) usually states no duration, so 0 cannot mean
 * "refuse" or "tiny budget".
 */
export const UNKNOWN_DURATION_ASSUMED_SEC = 3600;

export function mediaLimitsFromConfig(config: MediaLimitsConfig): MediaLimits {
  return {
    ...DEFAULT_MEDIA_LIMITS,
    maxDurationSec: config.MAX_MEDIA_DURATION_SECONDS,
    maxVideoPixels: config.MAX_VIDEO_PIXELS,
    maxStreams: config.MAX_STREAMS,
  };
}

export function probeProcessLimits(config: MediaLimitsConfig): ProcessLimits {
  return { memoryMb: config.FFMPEG_MEMORY_LIMIT_MB, cpuSeconds: PROBE_CPU_SECONDS, niceness: FFMPEG_NICENESS };
}

/**
 * Limits for the encode of a probed input. Unless FFMPEG_CPU_TIME_LIMIT_SECONDS
 * fixes it, the CPU budget grows with the duration, and with the picture
 * size and frame rate beyond 1080p30:
 * max(300, duration x 30 x max(1, pixels / 1080p) x max(1, fps / 30)).
 * It is a ceiling against runaway decodes and bombs, not an estimate.
 */
export function ffmpegProcessLimits(
  config: MediaLimitsConfig,
  probe: Pick<MediaProbe, 'durationSec' | 'video'>,
): ProcessLimits {
  return {
    memoryMb: config.FFMPEG_MEMORY_LIMIT_MB,
    cpuSeconds:
      config.FFMPEG_CPU_TIME_LIMIT_SECONDS > 0 ? config.FFMPEG_CPU_TIME_LIMIT_SECONDS : scaledCpuSeconds(probe),
    niceness: FFMPEG_NICENESS,
  };
}

export function scaledCpuSeconds(probe: Pick<MediaProbe, 'durationSec' | 'video'>): number {
  const duration = probe.durationSec > 0 ? probe.durationSec : UNKNOWN_DURATION_ASSUMED_SEC;
  const pixels = probe.video ? probe.video.width * probe.video.height : 0;
  const sizeFactor = Math.max(1, pixels / REFERENCE_PIXELS);
  const rateFactor = Math.max(1, (probe.video?.fps ?? 0) / REFERENCE_FPS);
  return Math.max(MIN_CPU_SECONDS, Math.ceil(duration * CPU_SECONDS_PER_MEDIA_SECOND * sizeFactor * rateFactor));
}
