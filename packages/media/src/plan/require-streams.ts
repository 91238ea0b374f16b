import { AppError } from '@mediaflow/domain';
import type { AudioStreamInfo, MediaProbe, VideoStreamInfo } from '../probe-types';

/** @throws AppError NO_VIDEO_STREAM when the input has no video stream, or only one without frames. */
export function requireVideo(probe: MediaProbe, operation: string): VideoStreamInfo {
  if (!probe.video || isEmpty(probe, probe.video.index)) {
    throw new AppError(
      'NO_VIDEO_STREAM',
      `${operation} needs a video stream, and the input has ${noneOrEmpty(probe, 'video')}`,
    );
  }
  return probe.video;
}

/**
 * @throws AppError NO_AUDIO_STREAM when the input has no audio stream, or the
 * chosen one (or every one) holds no audio data.
 */
export function requireAudio(probe: MediaProbe, operation: string): AudioStreamInfo {
  if (!probe.audio || isEmpty(probe, probe.audio.index)) {
    throw new AppError(
      'NO_AUDIO_STREAM',
      `${operation} needs an audio stream, and the input has ${noneOrEmpty(probe, 'audio')}`,
    );
  }
  return probe.audio;
}

function isEmpty(probe: MediaProbe, index: number): boolean {
  return (probe.emptyStreams ?? []).some((stream) => stream.index === index);
}

/** A declared track without packets is why users ask "but it has audio?": say so. */
function noneOrEmpty(probe: MediaProbe, kind: 'video' | 'audio'): string {
  const empty = (probe.emptyStreams ?? []).filter((stream) => stream.kind === kind);
  if (empty.length === 0) return 'none';
  const what = kind === 'audio' ? 'audio data' : 'frames';
  return empty.length === 1
    ? `only ${kind === 'audio' ? 'an' : 'a'} ${kind} track (${empty[0].codec}) that holds no ${what}`
    : `only ${kind} tracks that hold no ${what}`;
}
