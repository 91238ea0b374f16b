import path from 'node:path';
import { z } from 'zod';
import {
  CMAF_MANIFEST_NAME,
  DEFAULT_LADDER_HEIGHTS,
  HLS_MASTER_NAME,
  planCmafPackage,
  storyboardGeometry,
  storyboardVtt,
  withAudioTrack,
} from '@mediaflow/media';
import type { MediaProbe, StoryboardGeometry } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import type { ExecutionPlan, OutputManifestEntry, PlanStep } from '../execution-plan';
import { defineOperation } from '../operation-definition';
import type { PlanContext } from '../operation-definition';

export const STREAM_FORMATS = ['hls', 'dash'] as const;

/** More rungs than this costs more encoder time than any player's switching gains. */
const MAX_RENDITIONS = 8;

const unique = (list: readonly unknown[]): boolean => new Set(list).size === list.length;

export const adaptiveStreamParams = z.strictObject({
  formats: z
    .array(z.enum(STREAM_FORMATS))
    .min(1)
    .refine(unique, 'formats must not repeat a format')
    .default(['hls', 'dash']),
  renditions: z
    .array(z.number().int().min(144).max(2160))
    .min(1)
    .max(MAX_RENDITIONS)
    .refine(unique, 'renditions must not repeat a height')
    .default([...DEFAULT_LADDER_HEIGHTS]),
  segment_seconds: z.number().int().min(2).max(10).default(4),
  poster: z.boolean().default(true),
  storyboard: z.boolean().default(true),
  audio_bitrate_kbps: z.number().int().min(32).max(320).default(128),
  audio_track: audioTrackParam,
});

type AdaptiveStreamParams = z.output<typeof adaptiveStreamParams>;

/** Where things go, relative to the work directory (and the job's folder). */
export const ADAPTIVE_STREAM_PATHS = {
  packageDir: 'stream',
  master: `stream/${HLS_MASTER_NAME}`,
  manifest: `stream/${CMAF_MANIFEST_NAME}`,
  poster: 'poster.jpg',
  storyboardDir: 'storyboard',
  sprite: 'storyboard/sprite.jpg',
  vtt: 'storyboard/storyboard.vtt',
} as const;

/**
 * Step weights. The encode is nearly all the work (several libx264 encodes
 * of the whole duration); the finalise step reads a few playlists and stats
 * the segments; writing the VTT is instant.
 */
const WEIGHTS = { encode: 100, finalise: 1, writeText: 1 } as const;

/**
 * The plan of an adaptive_stream job:
 *
 * 1. `encode` (ffmpeg): every rendition packaged as CMAF under `stream/`
 *    (one set of segments, a DASH MPD and, when HLS is wanted, HLS
 *    playlists), and, from the same decode, `poster.jpg` and
 *    `storyboard/sprite.jpg`. Folding the stills into the encode was measured
 *    cheaper than separate FFmpeg runs, which decode the source again: on a
 *    30 s 1080p30 clip (2 cores, default ladder) the stills added about 2.5 s
 *    of CPU to a 62 s encode, against 3.9 s of CPU and 2.4 s of wall-clock
 *    time for the two separate runs.
 * 2. `finalise-hls` when HLS is wanted: one target duration, a measured
 *    master playlist.
 * 3. `storyboard-vtt` (write_text): the sprite's WebVTT index, computed here.
 *
 * Choices: an audio-only source gives an audio-only package and no poster or
 * storyboard (nothing to show). An unknown duration (probe 0) gives no
 * storyboard (its tile count and cues cannot be planned) and a poster from
 * the opening seconds. With `formats: ["hls"]` dashenc still writes the MPD
 * into `stream/` (it is the muxer's own output); it is published with the
 * package directory but not listed as a `dash` entry.
 *
 * @throws AppError NO_VIDEO_STREAM when the source has neither video nor audio.
 * @throws AppError AUDIO_TRACK_NOT_FOUND when params.audio_track names no audio stream of the source.
 */
export function planAdaptiveStream(
  operation: { params: AdaptiveStreamParams },
  probe: MediaProbe,
  context: PlanContext,
): ExecutionPlan {
  const { params } = operation;
  const abs = (relative: string): string => path.join(context.workDir, relative);
  const hls = params.formats.includes('hls');
  const dash = params.formats.includes('dash');
  const wantsStills = probe.video !== undefined;
  const geometry: StoryboardGeometry | undefined =
    wantsStills && params.storyboard && probe.durationSec > 0 && probe.video
      ? storyboardGeometry(probe.durationSec, probe.video)
      : undefined;

  // The ladder's audio rendition is the job's audio_track, else the source's default track.
  const encode = planCmafPackage(withAudioTrack(probe, params.audio_track), {
    inputPath: context.inputPath,
    packageDir: abs(ADAPTIVE_STREAM_PATHS.packageDir),
    heights: params.renditions,
    segmentSeconds: params.segment_seconds,
    audioBitrateKbps: params.audio_bitrate_kbps,
    hls,
    ...(wantsStills && params.poster ? { posterPath: abs(ADAPTIVE_STREAM_PATHS.poster) } : {}),
    ...(geometry ? { storyboard: { spritePath: abs(ADAPTIVE_STREAM_PATHS.sprite), geometry } } : {}),
  });

  const steps: PlanStep[] = [
    {
      id: 'encode',
      kind: 'ffmpeg',
      weight: WEIGHTS.encode,
      args: encode.args,
      expectedDurationSec: encode.expectedDurationSec,
      createDirs: [ADAPTIVE_STREAM_PATHS.packageDir, ...(geometry ? [ADAPTIVE_STREAM_PATHS.storyboardDir] : [])],
    },
  ];
  if (hls) {
    steps.push({
      id: 'finalise-hls',
      kind: 'finalise_hls',
      weight: WEIGHTS.finalise,
      dir: ADAPTIVE_STREAM_PATHS.packageDir,
      masterName: HLS_MASTER_NAME,
      variants: encode.variants,
      ...(encode.audio ? { audio: encode.audio } : {}),
    });
  }
  if (geometry) {
    steps.push({
      id: 'storyboard-vtt',
      kind: 'write_text',
      weight: WEIGHTS.writeText,
      path: ADAPTIVE_STREAM_PATHS.vtt,
      content: storyboardVtt(geometry, path.posix.basename(ADAPTIVE_STREAM_PATHS.sprite)),
    });
  }

  const outputs: OutputManifestEntry[] = [];
  if (hls) {
    outputs.push({
      kind: 'hls',
      path: ADAPTIVE_STREAM_PATHS.master,
      contentType: 'application/vnd.apple.mpegurl',
      primary: true,
    });
  }
  if (dash) {
    outputs.push({
      kind: 'dash',
      path: ADAPTIVE_STREAM_PATHS.manifest,
      contentType: 'application/dash+xml',
      ...(hls ? {} : { primary: true }),
    });
  }
  outputs.push({ kind: 'package', path: `${ADAPTIVE_STREAM_PATHS.packageDir}/`, contentType: 'inode/directory' });
  if (encode.poster) outputs.push({ kind: 'poster', path: ADAPTIVE_STREAM_PATHS.poster, contentType: 'image/jpeg' });
  if (encode.storyboard) {
    outputs.push(
      { kind: 'storyboard', path: ADAPTIVE_STREAM_PATHS.vtt, contentType: 'text/vtt' },
      { kind: 'storyboard_image', path: ADAPTIVE_STREAM_PATHS.sprite, contentType: 'image/jpeg' },
    );
  }
  return { steps, outputs, expectedDurationSec: probe.durationSec };
}

/** CMAF renditions of the source with one set of segments behind an HLS master playlist and a DASH MPD. */
export const adaptiveStream = defineOperation({
  name: 'adaptive_stream',
  aliases: [],
  summary:
    'Package the media for adaptive streaming: an H.264/AAC CMAF rendition ladder behind an HLS master playlist and a DASH manifest, with a poster and a storyboard.',
  schema: z.strictObject({
    method_name: z.literal('adaptive_stream'),
    output_format: z.literal('cmaf').default('cmaf'),
    params: adaptiveStreamParams.default({
      formats: ['hls', 'dash'],
      renditions: [...DEFAULT_LADDER_HEIGHTS],
      segment_seconds: 4,
      poster: true,
      storyboard: true,
      audio_bitrate_kbps: 128,
    }),
  }),
  plan: (operation, probe, context) => planAdaptiveStream(operation, probe, context),
});
