import { subtitleLanguageCode } from './plan/subtitle-language';
import type { AudioStreamInfo, SubtitleStreamInfo } from './probe-types';

/** The fields of one ffprobe stream entry this module reads (already type-checked by the normaliser). */
export interface RawTrackStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  channels?: number | string;
  channel_layout?: string;
  sample_rate?: number | string;
  disposition?: Record<string, unknown>;
  tags?: Record<string, unknown>;
}

/** Every audio stream in file order, with the labels a player shows. */
export function audioStreamsOf(streams: readonly RawTrackStream[]): AudioStreamInfo[] {
  return streams.flatMap((stream, position) => {
    if (stream.codec_type !== 'audio') return [];
    const layout = channelLayoutOf(stream.channel_layout);
    const info: AudioStreamInfo = {
      index: stream.index ?? position,
      codec: stream.codec_name || 'unknown',
      channels: Math.trunc(numberOf(stream.channels) ?? 0),
      sampleRate: Math.trunc(numberOf(stream.sample_rate) ?? 0),
      ...(layout ? { channelLayout: layout } : {}),
      ...labelsOf(stream),
    };
    return [info];
  });
}

/** The track a player starts with: the first one flagged default, else the first. */
export function defaultAudio(audioStreams: readonly AudioStreamInfo[]): AudioStreamInfo | undefined {
  return audioStreams.find((stream) => stream.isDefault) ?? audioStreams[0];
}

/** Every subtitle stream in file order. */
export function subtitleStreamsOf(streams: readonly RawTrackStream[]): SubtitleStreamInfo[] {
  return streams.flatMap((stream, position) => {
    if (stream.codec_type !== 'subtitle') return [];
    const info: SubtitleStreamInfo = {
      index: stream.index ?? position,
      codec: stream.codec_name || 'unknown',
      ...labelsOf(stream),
      ...(flag(stream.disposition, 'forced') ? { isForced: true } : {}),
    };
    return [info];
  });
}

// "01:00:00:00", or "01:00:00;00" for drop-frame. Anything else is not
// trusted: the value goes into FFmpeg's argv, and a malformed one fails the mux.
const TIMECODE_PATTERN = /^\d{2}:[0-5]\d:[0-5]\d[:;.]\d{2}$/;

/**
 * The start timecode: FFmpeg reports a QuickTime tmcd track's value on the
 * video stream and on the tmcd (data) stream itself, and Matroska keeps it
 * as a TIMECODE tag on the video stream.
 */
export function timecodeOf(streams: readonly RawTrackStream[]): string | undefined {
  const candidates = [
    ...streams.filter((stream) => stream.codec_type === 'video'),
    ...streams.filter((stream) => stream.codec_type === 'data' && stream.codec_tag_string === 'tmcd'),
  ];
  for (const stream of candidates) {
    // Matroska tags read back upper-case.
    const value = stream.tags?.timecode ?? stream.tags?.TIMECODE;
    if (typeof value === 'string' && TIMECODE_PATTERN.test(value.trim())) return value.trim();
  }
  return undefined;
}

// Language tags are ISO 639-2 in MP4 and Matroska ("eng", "fre"); a 639-1
// code ("en") turns up in hand-made files. "und" means untagged.
const LANGUAGE = /^[a-z]{2,3}$/;
/** Titles reach FFmpeg's argv and players' menus; a longer one is someone's notes, not a track name. */
const MAX_TITLE_CHARS = 200;

function labelsOf(stream: RawTrackStream): { language?: string; title?: string; isDefault?: boolean } {
  const stated = typeof stream.tags?.language === 'string' ? stream.tags.language.trim().toLowerCase() : '';
  // A 639-1 code ("en") becomes its 639-2 one, the only kind the MP4 muxer writes (it turns others into "und").
  const language = stated.length === 2 ? subtitleLanguageCode(stated) : stated;
  const title = typeof stream.tags?.title === 'string' ? printable(stream.tags.title) : '';
  return {
    ...(LANGUAGE.test(language) && language !== 'und' ? { language } : {}),
    ...(title ? { title: title.slice(0, MAX_TITLE_CHARS) } : {}),
    ...(flag(stream.disposition, 'default') ? { isDefault: true } : {}),
  };
}

/** "5.1(side)", "stereo", "FL+FR+LFE"; ffprobe says "unknown" (or nothing) when the file states only a count. */
function channelLayoutOf(value: string | undefined): string | undefined {
  const layout = value?.trim();
  if (!layout || layout === 'unknown' || /channels/.test(layout)) return undefined;
  return /^[\w.()+-]{1,64}$/.test(layout) ? layout : undefined;
}

/** Control characters would end up in players' menus; the rest of Unicode is a fine title. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
}

function flag(disposition: Record<string, unknown> | undefined, name: string): boolean {
  return disposition?.[name] === 1 || disposition?.[name] === true;
}

function numberOf(value: number | string | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}
