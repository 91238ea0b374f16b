import type { VideoContainer } from '@mediaflow/domain';
import type { StreamKind } from './plan-types';

const MP4_VIDEO = ['h264', 'hevc', 'mpeg4', 'av1'];
const MP4_AUDIO = ['aac', 'mp3', 'alac', 'ac3', 'eac3'];

/**
 * Codecs each container takes as they are, so a stream can be copied instead
 * of re-encoded. Deliberately conservative: a codec missing here is
 * re-encoded, which is slower but always plays.
 */
// prettier-ignore
const FITS: Record<VideoContainer, Record<StreamKind, readonly string[]>> = {
  mp4: { video: MP4_VIDEO, audio: MP4_AUDIO },
  mov: { video: [...MP4_VIDEO, 'prores', 'mjpeg'], audio: [...MP4_AUDIO, 'pcm_s16le'] },
  webm: { video: ['vp8', 'vp9', 'av1'], audio: ['opus', 'vorbis'] },
  mkv: {
    video: [
      'h264', 'hevc', 'mpeg4', 'av1', 'vp8', 'vp9', 'mpeg1video', 'mpeg2video',
      'prores', 'mjpeg', 'theora', 'ffv1', 'dnxhd',
    ],
    audio: [
      'aac', 'mp3', 'mp2', 'alac', 'ac3', 'eac3', 'dts', 'truehd', 'opus', 'vorbis', 'flac',
      'pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le',
    ],
  },
};

export function codecFitsContainer(kind: StreamKind, codec: string, container: VideoContainer): boolean {
  return FITS[container][kind].includes(codec);
}
