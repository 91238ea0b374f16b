import { AppError } from '@mediaflow/domain';
import { FORMAT_WHITELIST } from '../allow-lists';
import { fileUrl } from '../input-url';
import type { MediaProbe } from '../probe-types';
import { displaySize, toEven } from './dimensions';
import { faststartArgs } from './common-args';
import { vp9Args, x264Args } from './encoders';
import { formatFacts } from './formats';
import { mediaExpectation } from './output-expectation';
import type { FfmpegPlan } from './plan-types';

/** One local input of a concat, in order. */
export interface ConcatInput {
  /** Absolute path of a file the worker downloaded (or joined) itself. */
  path: string;
  probe: MediaProbe;
}

/** What the joined output is normalised to and encoded as. */
export interface ConcatSettings {
  container: 'mp4' | 'webm';
  /** x264 (mp4 only). */
  crf: number;
  preset: string;
  /** Output picture size (even pixels); absent: the first input with video's display size. */
  width?: number;
  height?: number;
  /** Output frames per second; absent: the first video's rate (30 when unknown, at most 60). */
  fps?: number;
  /** Output sample rate (Hz); absent: the first audio's (48000 for webm, whose Opus wants it). */
  sampleRate?: number;
}

/** Frames per second used when the first video states none, and the most a default may be. */
const FALLBACK_FPS = 30;
const MAX_DEFAULT_FPS = 60;
const FALLBACK_SAMPLE_RATE = 48_000;

/** The normalisation targets a concat will use for these inputs, with defaults resolved. */
export interface ConcatTarget {
  width: number;
  height: number;
  fps: number;
  /** undefined: no input has audio, so the output has none. */
  sampleRate: number | undefined;
}

/**
 * Resolves the output's size, frame rate and sample rate: what the settings
 * state, else what the first input with video (or audio) has.
 * @throws AppError NO_VIDEO_STREAM when no input has a video stream.
 */
export function concatTarget(settings: ConcatSettings, inputs: readonly ConcatInput[]): ConcatTarget {
  const firstVideo = inputs.find((input) => input.probe.video)?.probe.video;
  if (!firstVideo) {
    throw new AppError('NO_VIDEO_STREAM', 'concat needs a video stream, and none of the sources has one');
  }
  const shown = displaySize(firstVideo);
  const firstAudio = inputs.find((input) => input.probe.audio)?.probe.audio;
  const fps = settings.fps ?? Math.min(MAX_DEFAULT_FPS, roundRate(firstVideo.fps ?? FALLBACK_FPS));
  const sampleRate =
    firstAudio === undefined
      ? undefined
      : settings.container === 'webm'
        ? FALLBACK_SAMPLE_RATE
        : (settings.sampleRate ?? (firstAudio.sampleRate > 0 ? firstAudio.sampleRate : FALLBACK_SAMPLE_RATE));
  return {
    width: toEven(settings.width ?? shown.width),
    height: toEven(settings.height ?? shown.height),
    fps,
    sampleRate,
  };
}

/**
 * Joins the inputs, in order, into one file with FFmpeg's concat *filter*:
 * every input is decoded and normalised to one picture size (scaled to fit,
 * then padded black, keeping its shape), one frame rate, one sample rate and
 * stereo; an input without audio contributes silence for its length, one
 * without video black frames. The concat demuxer and playlists are never
 * used: each input is a separate `-i` of a local file, with the same
 * protocol and format allow-lists as every other job.
 *
 * @throws AppError NO_VIDEO_STREAM when no input has video.
 */
export function planConcat(settings: ConcatSettings, inputs: readonly ConcatInput[], outputPath: string): FfmpegPlan {
  if (inputs.length === 0) throw new AppError('INTERNAL', 'concat planned without inputs');
  const target = concatTarget(settings, inputs);
  const { width, height, fps, sampleRate } = target;
  const withAudio = sampleRate !== undefined;
  const filters: string[] = [];
  const labels: string[] = [];
  for (const [i, { probe }] of inputs.entries()) {
    const duration = probe.durationSec > 0 ? probe.durationSec : 0;
    const picture = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=${fps},format=yuv420p`;
    filters.push(
      probe.video
        ? `[${i}:${probe.video.index}]${picture}[v${i}]`
        : `color=c=black:s=${width}x${height}:r=${fps}:d=${duration},format=yuv420p,setsar=1[v${i}]`,
    );
    labels.push(`[v${i}]`);
    if (withAudio) {
      // async=1 stretches or pads audio to its timestamps, so a recording with holes keeps sync.
      filters.push(
        probe.audio
          ? `[${i}:${probe.audio.index}]aresample=${sampleRate}:async=1,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
          : `anullsrc=r=${sampleRate}:cl=stereo,atrim=duration=${duration},aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`,
      );
      labels.push(`[a${i}]`);
    }
  }
  filters.push(`${labels.join('')}concat=n=${inputs.length}:v=1:a=${withAudio ? 1 : 0}[v]${withAudio ? '[a]' : ''}`);
  const facts = formatFacts(settings.container);
  const durationSec = inputs.reduce((sum, input) => sum + Math.max(0, input.probe.durationSec), 0);
  // prettier-ignore
  const args = [
    '-hide_banner', '-y', '-nostdin',
    // Input options bind the next -i only, so each input gets the allow-lists.
    ...inputs.flatMap((input) => [
      '-protocol_whitelist', 'file',
      '-format_whitelist', FORMAT_WHITELIST,
      '-i', fileUrl(input.path),
    ]),
    '-filter_complex', filters.join(';'),
    '-map', '[v]',
    ...(withAudio ? ['-map', '[a]'] : []),
    ...(settings.container === 'webm' ? vp9Args() : x264Args(settings)),
    ...(withAudio
      ? settings.container === 'webm'
        ? ['-c:a', 'libopus', '-b:a', '128k']
        : ['-c:a', 'aac', '-b:a', '128k']
      : []),
    ...faststartArgs(facts.muxer),
    '-map_metadata', '-1', '-threads', '0', '-f', facts.muxer, fileUrl(outputPath),
  ];
  return {
    args,
    outputExtension: facts.extension,
    contentType: facts.contentType,
    outputKind: 'video',
    expectedDurationSec: durationSec,
    copiedStreams: [],
    expect: mediaExpectation(withAudio ? ['video', 'audio'] : ['video'], durationSec),
  };
}

/** 29.97 stays 29.97; 30.0001 from a timestamp estimate becomes 30. */
function roundRate(fps: number): number {
  return Math.round(fps * 1000) / 1000;
}
