import { AppError } from '@mediaflow/domain';
import type { AudioStreamInfo, MediaProbe, VideoStreamInfo } from '../probe-types';

export function requireVideo(probe: MediaProbe, operation: string): VideoStreamInfo {
  if (!probe.video) {
    throw new AppError('NO_VIDEO_STREAM', `${operation} needs a video stream, and the input has none`);
  }
  return probe.video;
}

export function requireAudio(probe: MediaProbe, operation: string): AudioStreamInfo {
  if (!probe.audio) {
    throw new AppError('NO_AUDIO_STREAM', `${operation} needs an audio stream, and the input has none`);
  }
  return probe.audio;
}
