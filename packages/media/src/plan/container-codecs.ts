import type { VideoContainer } from '@mediaflow/domain';
import type { StreamKind } from './plan-types';

const MP4_VIDEO = ['h264', 'hevc', 'mpeg4', 'av1'];
const MP4_AUDIO = ['aac', 'mp3', 'alac', 'ac3', 'eac3'];
// Checked with FFmpeg 5.1 (`-c copy` into each muxer); MP4 takes none of them.
const PCM = [
  'pcm_u8',
  'pcm_s16le',
  'pcm_s16be',
  'pcm_s24le',
  'pcm_s24be',
  'pcm_s32le',
  'pcm_s32be',
  'pcm_f32le',
  'pcm_alaw',
  'pcm_mulaw',
];

/**
 * Codecs each container takes as they are, so a stream can be copied instead
 * of re-encoded. Deliberately conservative: a codec missing here is
 * re-encoded, which is slower but always plays.
 */
// prettier-ignore
const FITS: Record<VideoContainer, Record<StreamKind, readonly string[]>> = {
  mp4: { video: MP4_VIDEO, audio: MP4_AUDIO },
  // Every PCM flavour: a MOV master's 24-bit PCM stays 24-bit PCM.
  mov: { video: [...MP4_VIDEO, 'prores', 'mjpeg'], audio: [...MP4_AUDIO, ...PCM, 'pcm_f32be'] },
  webm: { video: ['vp8', 'vp9', 'av1'], audio: ['opus', 'vorbis'] },
  mkv: {
    video: [
      'h264', 'hevc', 'mpeg4', 'av1', 'vp8', 'vp9', 'mpeg1video', 'mpeg2video',
      'prores', 'mjpeg', 'theora', 'ffv1', 'dnxhd',
    ],
    audio: [
      'aac', 'mp3', 'mp2', 'alac', 'ac3', 'eac3', 'dts', 'truehd', 'opus', 'vorbis', 'flac',
      ...PCM,
    ],
  },
};

export function codecFitsContainer(kind: StreamKind, codec: string, container: VideoContainer): boolean {
  return FITS[container][kind].includes(codec);
}

/** Every codec some target container takes as it is: the copy table's vocabulary, for the docs and their test. */
export function copyableCodecs(kind: StreamKind): string[] {
  return [...new Set(Object.values(FITS).flatMap((fits) => fits[kind]))];
}

/** The codecs one container takes as they are, for the docs. */
export function containerCodecs(container: VideoContainer, kind: StreamKind): readonly string[] {
  return FITS[container][kind];
}

/** What a conversion does with one subtitle stream. */
export type SubtitlePlan =
  | { action: 'copy' }
  /** FFmpeg encoder name: mov_text, webvtt or srt. */
  | { action: 'convert'; encoder: string }
  | { action: 'drop'; reason: string };

const TEXT_SUBTITLES = ['subrip', 'ass', 'ssa', 'webvtt', 'mov_text'];
const IMAGE_SUBTITLES = ['hdmv_pgs_subtitle', 'dvd_subtitle', 'dvb_subtitle'];

/** The text format each container's players read, and what it copies as it is. */
// prettier-ignore
const SUBTITLES: Record<VideoContainer, { copy: readonly string[]; textEncoder: string; keepsImages: boolean }> = {
  mp4: { copy: ['mov_text'], textEncoder: 'mov_text', keepsImages: false },
  mov: { copy: ['mov_text'], textEncoder: 'mov_text', keepsImages: false },
  webm: { copy: ['webvtt'], textEncoder: 'webvtt', keepsImages: false },
  // Matroska holds every text and image format but MP4's timed text.
  mkv: { copy: ['subrip', 'ass', 'ssa', 'webvtt', ...IMAGE_SUBTITLES], textEncoder: 'srt', keepsImages: true },
};

/**
 * Copy a subtitle stream when the container holds its codec, convert text
 * subtitles to the container's text format, and drop what cannot be
 * converted: image subtitles (Blu-ray PGS, DVD, DVB) outside Matroska, since
 * turning pictures into text needs OCR, and codecs outside the allow-list.
 */
export function subtitlePlan(codec: string, container: VideoContainer, allowed: readonly string[]): SubtitlePlan {
  if (!allowed.includes(codec)) return { action: 'drop', reason: `the subtitle codec "${codec}" is not supported` };
  const target = SUBTITLES[container];
  if (target.copy.includes(codec)) return { action: 'copy' };
  if (TEXT_SUBTITLES.includes(codec)) return { action: 'convert', encoder: target.textEncoder };
  if (IMAGE_SUBTITLES.includes(codec) && !target.keepsImages) {
    return {
      action: 'drop',
      reason: `${container.toUpperCase()} cannot hold image subtitles ("${codec}"); convert to MKV to keep them`,
    };
  }
  return { action: 'drop', reason: `${container.toUpperCase()} cannot hold "${codec}" subtitles` };
}
