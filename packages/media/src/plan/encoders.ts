import type { VideoContainer } from '@mediaflow/domain';
import type { VideoStreamInfo } from '../probe-types';
import { codecFitsContainer } from './container-codecs';
import type { AudioEncoding } from './track-output';

export interface X264Settings {
  preset: string;
  crf: number;
}

/** A fast, good-enough default for operations that must re-encode but are not about size. */
export const DEFAULT_X264: X264Settings = { preset: 'veryfast', crf: 23 };

export function x264Args(settings: X264Settings): string[] {
  // yuv420p: 10-bit or 4:4:4 sources would otherwise produce files many players reject.
  return ['-c:v', 'libx264', '-preset', settings.preset, '-crf', String(settings.crf), '-pix_fmt', 'yuv420p'];
}

/** VP9 in constant-quality mode with libvpx's realtime speed settings: quick rather than small. */
export function vp9Args(): string[] {
  // prettier-ignore
  return [
    '-c:v', 'libvpx-vp9',
    '-deadline', 'realtime',
    '-cpu-used', '8',
    '-row-mt', '1',
    '-b:v', '0',
    '-crf', '33',
    '-pix_fmt', 'yuv420p',
  ];
}

export function videoEncoderArgs(container: VideoContainer, settings: X264Settings = DEFAULT_X264): string[] {
  return container === 'webm' ? vp9Args() : x264Args(settings);
}

export function audioEncoderArgs(container: VideoContainer): string[] {
  return container === 'webm' ? ['-c:a', 'libopus', '-b:a', '128k'] : ['-c:a', 'aac', '-b:a', '128k'];
}

/** The container's usual audio encoder, for streams it cannot take as they are. */
export function audioEncodingFor(container: VideoContainer): AudioEncoding {
  return { args: audioEncoderArgs(container), encoder: container === 'webm' ? 'libopus' : 'aac' };
}

/** Copy the audio when the container takes its codec; else encode to the container's usual codec. */
export function audioArgsFor(codec: string, container: VideoContainer): { args: string[]; copied: boolean } {
  if (codecFitsContainer('audio', codec, container)) return { args: ['-c:a', 'copy'], copied: true };
  return { args: audioEncoderArgs(container), copied: false };
}

/**
 * libx264 with 4:2:0 chroma cannot encode odd widths or heights; trim the odd
 * pixel. An expression rather than numbers, because FFmpeg auto-rotates before
 * the filter runs and only it knows the orientation the frames arrive in.
 */
export function evenSizeFilter(video: VideoStreamInfo): string[] {
  if (video.width % 2 === 0 && video.height % 2 === 0) return [];
  return ['scale=trunc(iw/2)*2:trunc(ih/2)*2'];
}
