import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { faststartArgs, filterArgs, inputArgs, mapStream, outputArgs } from './common-args';
import { audioStreamsOf } from '../audio-track';
import { audioEncodingFor } from './encoders';
import { formatFacts } from './formats';
import { audioWithData, mediaExpectation } from './output-expectation';
import { picturePlan } from './picture';
import type { FfmpegPlan, PlanIo, StreamKind } from './plan-types';
import { audioTrackOutput } from './track-output';
import type { AudioEncoding, TrackOutput } from './track-output';

/**
 * The shape every video-producing operation shares: map the chosen video
 * stream (and the chosen audio stream, or for a conversion every one), apply
 * the video codec args and filters the operation decided on, and handle audio
 * by copy-if-it-fits (see audioTrackOutput).
 */
export function videoOutputPlan(options: {
  probe: MediaProbe;
  video: VideoStreamInfo;
  io: PlanIo;
  container: VideoContainer;
  videoArgs: string[];
  filters: string[];
  videoCopied: boolean;
  /**
   * Encode the audio this way even when the container could take it as it
   * is (compress). Default: copy-if-it-fits, else the container's usual encoder.
   */
  audioEncoding?: AudioEncoding;
  /**
   * A conversion: every audio stream, not just probe.audio (which is
   * flagged default, the others not).
   */
  allAudio?: boolean;
  /** More streams and options after the audio (a conversion's subtitles, timecode), and what was left out. */
  extra?: TrackOutput;
}): FfmpegPlan {
  const { probe, video, io, container, videoArgs, filters, videoCopied } = options;
  const facts = formatFacts(container);
  const copiedStreams: StreamKind[] = videoCopied ? ['video'] : [];
  // A re-encode first deinterlaces and converts colour, then applies the operation's filters.
  const picture = videoCopied ? undefined : picturePlan(video);

  const audio = audioTrackOutput({
    streams: options.allAudio ? audioWithData(probe, audioStreamsOf(probe)) : probe.audio ? [probe.audio] : [],
    container,
    fallback: options.audioEncoding ?? audioEncodingFor(container),
    encodeAll: options.audioEncoding !== undefined,
    ...(options.allAudio && probe.audio ? { defaultIndex: probe.audio.index } : {}),
  });
  if (audio.copied) copiedStreams.push('audio');
  const warnings = [...audio.warnings, ...(options.extra?.warnings ?? [])];

  const args = [
    ...inputArgs(io),
    ...mapStream(video.index),
    ...audio.maps,
    ...(options.extra?.maps ?? []),
    ...filterArgs([...(picture?.filters ?? []), ...filters]),
    ...videoArgs,
    ...(picture?.outputArgs ?? []),
    ...audio.args,
    ...(options.extra?.args ?? []),
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
    ...(warnings.length > 0 ? { warnings } : {}),
    expect: mediaExpectation(audio.maps.length > 0 ? ['video', 'audio'] : ['video'], probe.durationSec),
  };
}
