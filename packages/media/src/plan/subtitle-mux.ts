import { fileUrl } from '../input-url';
import { audioStreamsOf } from '../audio-track';
import type { MediaProbe } from '../probe-types';
import { channelLayoutArgs } from './channel-layouts';
import { faststartArgs, filterArgs, inputArgs, mapStream, outputArgs } from './common-args';
import { codecFitsContainer } from './container-codecs';
import { audioArgsFor, DEFAULT_X264, evenSizeFilter, x264Args } from './encoders';
import { formatFacts } from './formats';
import { picturePlan } from './picture';
import type { FfmpegPlan, PlanIo, StreamKind } from './plan-types';
import { requireVideo } from './require-streams';
import { subtitleLanguageCode } from './subtitle-language';

export interface SubtitleMuxIo extends PlanIo {
  /** Absolute path of the SRT file the worker wrote. */
  subtitlesPath: string;
}

export interface SubtitleMuxOptions {
  /** The transcript's language, ISO 639-1 ("en") or 639-2/3; tagged on the track as ISO 639-2 ("eng"). */
  language?: string;
  /**
   * The input index of the audio stream to carry (the job's `audio_track`,
   * resolved when it was planned); default: probe.audio.
   */
  audioStreamIndex?: number;
}

/**
 * The input's video and chosen audio stream, plus the transcript as a soft
 * subtitle track (mov_text: the one text codec MP4 players read), in an MP4.
 * Streams MP4 takes are copied, so this is a remux, not an encode; video or
 * audio MP4 cannot hold is re-encoded to H.264 / AAC.
 */
export function planSubtitleMux(probe: MediaProbe, io: SubtitleMuxIo, options: SubtitleMuxOptions = {}): FfmpegPlan {
  const video = requireVideo(probe, 'embedding subtitles');
  const facts = formatFacts('mp4');
  const copiedStreams: StreamKind[] = [];

  const copyVideo = codecFitsContainer('video', video.codec, 'mp4');
  let videoArgs = copyVideo ? ['-c:v', 'copy'] : x264Args(DEFAULT_X264);
  // Apple players only recognise HEVC in MP4 under the hvc1 tag; FFmpeg defaults to hev1.
  if (copyVideo && video.codec === 'hevc') videoArgs = [...videoArgs, '-tag:v', 'hvc1'];
  if (copyVideo) copiedStreams.push('video');
  // A re-encode keeps the source's look and timing like every other one (see picturePlan).
  const picture = copyVideo ? undefined : picturePlan(video);

  const audio = audioStreamsOf(probe).find((stream) => stream.index === options.audioStreamIndex) ?? probe.audio;
  let audioArgs: string[] = [];
  if (audio) {
    const chosen = audioArgsFor(audio.codec, 'mp4');
    audioArgs = chosen.copied ? chosen.args : [...chosen.args, ...channelLayoutArgs(audio, 'aac')];
    if (chosen.copied) copiedStreams.push('audio');
  }

  // prettier-ignore
  const args = [
    ...inputArgs(io),
    // Our own SRT, read as SRT and nothing else, from a local file only.
    '-protocol_whitelist', 'file',
    '-format_whitelist', 'srt',
    '-f', 'srt',
    '-i', fileUrl(io.subtitlesPath),
    ...mapStream(video.index),
    ...(audio ? mapStream(audio.index) : []),
    '-map', '1:0',
    ...filterArgs(picture ? [...picture.filters, ...evenSizeFilter(video)] : []),
    ...videoArgs,
    ...(picture?.outputArgs ?? []),
    ...audioArgs,
    '-c:s', 'mov_text',
    '-metadata:s:s:0', `language=${subtitleLanguageCode(options.language)}`,
    // Players show a default track without being asked: the caller wanted the words on screen.
    '-disposition:s:0', 'default',
    ...faststartArgs(facts.muxer),
    ...outputArgs(io, facts.muxer),
  ];
  return {
    args,
    outputExtension: facts.extension,
    contentType: facts.contentType,
    outputKind: 'video',
    expectedDurationSec: probe.durationSec,
    copiedStreams,
  };
}
