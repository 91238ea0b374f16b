import { AppError } from '@mediaflow/domain';
import { audioStreamsOf } from './audio-track';
import { ALLOWED_AUDIO_CODECS, ALLOWED_CONTAINERS, ALLOWED_VIDEO_CODECS, isAllowedContainer } from './allow-lists';
import type { MediaProbe } from './probe-types';

/** What a probed upload may be before any decoder or encoder is started for it. */
export interface MediaLimits {
  maxDurationSec: number;
  /** Width x height of the video stream that would be decoded. */
  maxVideoPixels: number;
  /** Either side, so a 100000x16 strip cannot hide under the pixel budget. */
  maxVideoSide: number;
  maxStreams: number;
  allowedContainers: readonly string[];
  allowedVideoCodecs: readonly string[];
  allowedAudioCodecs: readonly string[];
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxDurationSec: 4 * 3600,
  // 8K UHD (DCI 8K is 8192x4320).
  maxVideoPixels: 8192 * 4320,
  // The largest side H.264/HEVC levels and most decoders accept.
  maxVideoSide: 16384,
  maxStreams: 16,
  allowedContainers: ALLOWED_CONTAINERS,
  allowedVideoCodecs: ALLOWED_VIDEO_CODECS,
  allowedAudioCodecs: ALLOWED_AUDIO_CODECS,
};

/**
 * Refuses a probed file that is too big to process or made of parts outside
 * the allow-lists: UNSUPPORTED_MEDIA for what we do not read at all,
 * MEDIA_LIMIT_EXCEEDED for what we read but will not spend the resources on.
 * Pure, so every rule is unit-tested; call it between probeMedia and planning.
 *
 * A duration of 0 means ffprobe found none (WebM from browsers often states
 * none), not a zero-length file; the CPU-time limit bounds those instead.
 */
export function assertMediaWithinLimits(probe: MediaProbe, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): void {
  if (!isAllowedContainer(probe.formatName, limits.allowedContainers)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA',
      `The container format "${probe.formatName}" is not supported; supported: ${limits.allowedContainers.join(', ')}`,
    );
  }
  if (probe.video && !limits.allowedVideoCodecs.includes(probe.video.codec)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA',
      `The video codec "${probe.video.codec}" is not supported; supported: ${limits.allowedVideoCodecs.join(', ')}`,
    );
  }
  // Every audio stream, not just the default: a conversion carries them all, and a job may pick any.
  const refusedAudio = audioStreamsOf(probe).find((stream) => !limits.allowedAudioCodecs.includes(stream.codec));
  if (refusedAudio) {
    throw new AppError(
      'UNSUPPORTED_MEDIA',
      `The audio codec "${refusedAudio.codec}" is not supported; supported: ${limits.allowedAudioCodecs.join(', ')}`,
    );
  }

  if (probe.streamCount > limits.maxStreams) {
    throw limitExceeded(`The file has ${probe.streamCount} streams; at most ${limits.maxStreams} are allowed`);
  }
  if (probe.durationSec > limits.maxDurationSec) {
    throw limitExceeded(
      `The media lasts ${clock(probe.durationSec)}; at most ${clock(limits.maxDurationSec)} is allowed`,
    );
  }
  if (probe.video) {
    const { width, height } = probe.video;
    if (width > limits.maxVideoSide || height > limits.maxVideoSide) {
      throw limitExceeded(`The video is ${width}x${height}; neither side may exceed ${limits.maxVideoSide} pixels`);
    }
    if (width * height > limits.maxVideoPixels) {
      throw limitExceeded(
        `The video is ${width}x${height} (${width * height} pixels); at most ${limits.maxVideoPixels} pixels per frame are allowed`,
      );
    }
  }
}

function limitExceeded(message: string): AppError {
  return new AppError('MEDIA_LIMIT_EXCEEDED', message);
}

/** 18000.5 → "5:00:00 (18000.5 s)": readable, and exact where it matters. */
function clock(seconds: number): string {
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = String(Math.floor((whole % 3600) / 60)).padStart(2, '0');
  const secs = String(whole % 60).padStart(2, '0');
  return `${hours}:${minutes}:${secs} (${Math.round(seconds * 100) / 100} s)`;
}
