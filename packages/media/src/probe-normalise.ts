import { AppError } from '@mediaflow/domain';
import { z } from 'zod';
import { audioStreamsOf, defaultAudio, subtitleStreamsOf, timecodeOf } from './probe-tracks';
import type { FieldOrder, MediaProbe, VideoColour, VideoStreamInfo } from './probe-types';

// ffprobe prints numbers sometimes as JSON numbers, sometimes as strings, and
// "N/A" when unknown. Every field is optional and falls back to undefined on a
// surprising type, so one odd field never makes a playable file unreadable.
const numberish = z.union([z.number(), z.string()]).optional().catch(undefined);
const text = z.string().optional().catch(undefined);

const streamSchema = z.looseObject({
  index: z.number().int().optional().catch(undefined),
  codec_type: text,
  codec_name: text,
  width: numberish,
  height: numberish,
  pix_fmt: text,
  avg_frame_rate: text,
  r_frame_rate: text,
  sample_aspect_ratio: text,
  color_range: text,
  color_primaries: text,
  color_transfer: text,
  color_space: text,
  field_order: text,
  channels: numberish,
  sample_rate: numberish,
  channel_layout: text,
  codec_tag_string: text,
  duration: numberish,
  disposition: z.record(z.string(), z.unknown()).optional().catch(undefined),
  tags: z.record(z.string(), z.unknown()).optional().catch(undefined),
  side_data_list: z.array(z.unknown()).optional().catch(undefined),
});

const probeSchema = z.looseObject({
  streams: z.array(z.unknown()),
  format: z
    .looseObject({
      format_name: text,
      duration: numberish,
      size: numberish,
      bit_rate: numberish,
      nb_streams: numberish,
    })
    .optional()
    .catch(undefined),
});

type RawStream = z.infer<typeof streamSchema>;

/**
 * Turns `ffprobe -print_format json -show_format -show_streams` output into a
 * MediaProbe. Pure, so it is tested against captured ffprobe output.
 */
export function normaliseProbe(json: unknown): MediaProbe {
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError('NOT_MEDIA', 'The file is not a readable media file (ffprobe reported no streams)');
  }
  // A stream entry that is not even an object becomes an empty one, so array
  // positions still match stream indices when ffprobe omits "index".
  const streams = parsed.data.streams.map((raw) => {
    const stream = streamSchema.safeParse(raw);
    return stream.success ? stream.data : streamSchema.parse({});
  });
  const format = parsed.data.format;

  const video = firstVideo(streams);
  const audioStreams = audioStreamsOf(streams);
  const audio = defaultAudio(audioStreams);
  const timecode = timecodeOf(streams);
  if (!video && !audio) {
    throw new AppError('NOT_MEDIA', 'The file has neither an audio nor a video stream');
  }

  const bitRate = positive(toNumber(format?.bit_rate));
  return {
    formatName: format?.format_name ?? 'unknown',
    durationSec: durationOf(format?.duration, streams),
    sizeBytes: Math.max(0, Math.trunc(toNumber(format?.size) ?? 0)),
    ...(bitRate === undefined ? {} : { bitRate }),
    streamCount: Math.trunc(toNumber(format?.nb_streams) ?? streams.length),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    audioStreams,
    subtitleStreams: subtitleStreamsOf(streams),
    ...(timecode ? { timecode } : {}),
  };
}

function firstVideo(streams: RawStream[]): VideoStreamInfo | undefined {
  for (const [position, stream] of streams.entries()) {
    if (stream.codec_type !== 'video' || stream.disposition?.attached_pic === 1) continue;
    const width = positive(toNumber(stream.width));
    const height = positive(toNumber(stream.height));
    // A video stream without dimensions cannot be decoded into frames.
    if (width === undefined || height === undefined) continue;
    const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate);
    const rotation = rotationOf(stream);
    const sar = parseRate(stream.sample_aspect_ratio);
    const colour = colourOf(stream);
    const fieldOrder = fieldOrderOf(stream.field_order);
    return {
      index: stream.index ?? position,
      codec: normaliseCodec(stream.codec_name),
      width: Math.trunc(width),
      height: Math.trunc(height),
      ...(fps === undefined ? {} : { fps }),
      ...(stream.pix_fmt ? { pixFmt: stream.pix_fmt } : {}),
      ...(rotation ? { rotation } : {}),
      ...(sar !== undefined && Math.abs(sar - 1) > 1e-6 ? { sampleAspectRatio: sar } : {}),
      ...(colour ? { colour } : {}),
      ...(fieldOrder ? { fieldOrder } : {}),
    };
  }
  return undefined;
}

// FFmpeg's colour names are short lower-case words ("bt709", "arib-std-b67");
// anything else is not trusted, since these values end up in filter arguments.
const COLOUR_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const UNSPECIFIED = new Set(['unknown', 'unspecified', 'reserved']);

function colourName(value: string | undefined): string | undefined {
  return value !== undefined && COLOUR_NAME.test(value) && !UNSPECIFIED.has(value) ? value : undefined;
}

/**
 * The stream's colour signalling. The "j" pixel formats (yuvj420p, …) are
 * full range by definition, which ffprobe does not always say.
 */
function colourOf(stream: RawStream): VideoColour | undefined {
  const stated = stream.color_range === 'tv' || stream.color_range === 'pc' ? stream.color_range : undefined;
  const range = stated ?? (stream.pix_fmt?.startsWith('yuvj') ? 'pc' : undefined);
  const colour: VideoColour = {
    ...(range ? { range } : {}),
    ...optional('primaries', colourName(stream.color_primaries)),
    ...optional('transfer', colourName(stream.color_transfer)),
    ...optional('matrix', colourName(stream.color_space)),
  };
  return Object.keys(colour).length > 0 ? colour : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

// "progressive" and "unknown" are left out: only interlacing changes what a re-encode must do.
const FIELD_ORDERS: readonly FieldOrder[] = ['tt', 'bb', 'tb', 'bt'];

function fieldOrderOf(value: string | undefined): FieldOrder | undefined {
  return FIELD_ORDERS.find((order) => order === value);
}

function normaliseCodec(name: string | undefined): string {
  if (!name) return 'unknown';
  return name === 'h265' ? 'hevc' : name;
}

/** The container's duration, else the longest stream's (Matroska keeps it in a tag). */
function durationOf(formatDuration: unknown, streams: RawStream[]): number {
  const fromFormat = positive(toNumber(formatDuration));
  if (fromFormat !== undefined) return fromFormat;
  const fromStreams = streams.map(
    (stream) => positive(toNumber(stream.duration)) ?? positive(parseClock(stream.tags?.DURATION)) ?? 0,
  );
  return Math.max(0, ...fromStreams);
}

function rotationOf(stream: RawStream): number {
  const fromSideData = (stream.side_data_list ?? []).map((entry) =>
    typeof entry === 'object' && entry !== null && 'rotation' in entry ? toNumber(entry.rotation) : undefined,
  );
  const degrees = fromSideData.find((value) => value !== undefined) ?? toNumber(stream.tags?.rotate) ?? 0;
  const normalised = ((Math.round(degrees) % 360) + 360) % 360;
  return normalised;
}

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'N/A') return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** "30000/1001" or "4:3" → number; "0/0" and "N/A" → undefined. */
function parseRate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const match = /^(\d+(?:\.\d+)?)[/:](\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return positive(toNumber(value));
  const numerator = Number(match[1]);
  const denominator = Number(match[2]);
  if (numerator <= 0 || denominator <= 0) return undefined;
  return numerator / denominator;
}

/** "00:00:03.000000000" → 3. */
function parseClock(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}
