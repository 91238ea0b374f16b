import { z } from 'zod';
import { displaySize } from '@mediaflow/media';
import type { AudioStreamInfo, MediaProbe, SubtitleStreamInfo, VideoStreamInfo } from '@mediaflow/media';
import type { ExecutionPlan } from '../execution-plan';
import { defineOperation } from '../operation-definition';

export const PROBE_OUTPUT_PATH = 'probe.json';

/**
 * The source's normalised metadata as clients see it: snake_case like the
 * rest of the API, units in the names, and only what the worker itself acts
 * on (the same normalisation the other operations plan from), so it never
 * exposes container tags such as GPS positions or device serials.
 */
export function probeDocument(probe: MediaProbe): Record<string, unknown> {
  const audio = probe.audioStreams ?? (probe.audio ? [probe.audio] : []);
  return {
    format: probe.formatName,
    duration_sec: probe.durationSec,
    size_bytes: probe.sizeBytes,
    ...(probe.bitRate === undefined ? {} : { bit_rate_bps: probe.bitRate }),
    stream_count: probe.streamCount,
    video: probe.video ? videoDocument(probe.video) : null,
    audio_streams: audio.map((stream) => audioDocument(stream, stream.index === probe.audio?.index)),
    subtitle_streams: (probe.subtitleStreams ?? []).map(subtitleDocument),
    ...(probe.timecode === undefined ? {} : { timecode: probe.timecode }),
    empty_streams: (probe.emptyStreams ?? []).map((stream) => ({ index: stream.index, kind: stream.kind })),
  };
}

function videoDocument(video: VideoStreamInfo): Record<string, unknown> {
  const shown = displaySize(video);
  return {
    index: video.index,
    codec: video.codec,
    width: video.width,
    height: video.height,
    display_width: shown.width,
    display_height: shown.height,
    ...(video.fps === undefined ? {} : { frame_rate: video.fps }),
    ...(video.pixFmt === undefined ? {} : { pixel_format: video.pixFmt }),
    rotation_deg: video.rotation ?? 0,
    sample_aspect_ratio: video.sampleAspectRatio ?? 1,
    colour: {
      range: video.colour?.range ?? null,
      primaries: video.colour?.primaries ?? null,
      transfer: video.colour?.transfer ?? null,
      matrix: video.colour?.matrix ?? null,
    },
    scan: video.fieldOrder === undefined ? 'progressive' : 'interlaced',
    ...(video.fieldOrder === undefined ? {} : { field_order: video.fieldOrder }),
  };
}

function audioDocument(stream: AudioStreamInfo, chosen: boolean): Record<string, unknown> {
  return {
    index: stream.index,
    codec: stream.codec,
    channels: stream.channels,
    ...(stream.channelLayout === undefined ? {} : { channel_layout: stream.channelLayout }),
    sample_rate_hz: stream.sampleRate,
    ...(stream.language === undefined ? {} : { language: stream.language }),
    ...(stream.title === undefined ? {} : { title: stream.title }),
    default: stream.isDefault === true,
    // The track every operation uses unless a job names another with audio_track.
    chosen,
  };
}

function subtitleDocument(stream: SubtitleStreamInfo): Record<string, unknown> {
  return {
    index: stream.index,
    codec: stream.codec,
    ...(stream.language === undefined ? {} : { language: stream.language }),
    ...(stream.title === undefined ? {} : { title: stream.title }),
    default: stream.isDefault === true,
    forced: stream.isForced === true,
  };
}

/**
 * The probe the worker already ran, written as JSON: no FFmpeg step at all,
 * which makes it the cheapest real job (the control plane's throughput
 * benchmark uses it).
 */
export function planProbe(probe: MediaProbe): ExecutionPlan {
  return {
    steps: [
      {
        id: 'write-metadata',
        kind: 'write_text',
        weight: 1,
        path: PROBE_OUTPUT_PATH,
        content: `${JSON.stringify(probeDocument(probe), null, 2)}\n`,
      },
    ],
    outputs: [{ kind: 'json', path: PROBE_OUTPUT_PATH, contentType: 'application/json; charset=utf-8', primary: true }],
    expectedDurationSec: probe.durationSec,
  };
}

/** The source's normalised metadata (duration, streams, codecs, sizes, rotation, colour, bit rate) as JSON. */
export const probe = defineOperation({
  name: 'probe',
  aliases: [],
  summary:
    'Report the source’s normalised metadata as JSON: duration, streams, codecs, sizes, rotation, colour, bit rate.',
  schema: z.strictObject({
    method_name: z.literal('probe'),
    output_format: z.literal('json').default('json'),
    params: z.strictObject({}).default({}),
  }),
  plan: (_operation, source) => planProbe(source),
});
