import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { faststartArgs, filterArgs, inputArgs, mapStream, outputArgs } from './common-args';
import { audioArgsFor } from './encoders';
import { formatFacts } from './formats';
import type { FfmpegPlan, PlanIo, StreamKind } from './plan-types';

/**
 * The shape every video-producing operation shares: map the chosen video
 * stream (and the first audio stream, if any), apply the video codec args and
 * filters the operation decided on, and handle audio by copy-if-it-fits.
 */
export function videoOutputPlan(options: {
  probe: MediaProbe;
  video: VideoStreamInfo;
  io: PlanIo;
  container: VideoContainer;
  videoArgs: string[];
  filters: string[];
  videoCopied: boolean;
  /** Defaults to copy-if-the-container-takes-it, else the container's usual encoder. */
  audioArgs?: string[];
}): FfmpegPlan {
  const { probe, video, io, container, videoArgs, filters, videoCopied } = options;
  const facts = formatFacts(container);
  const copiedStreams: StreamKind[] = videoCopied ? ['video'] : [];

  let audioArgs: string[] = ['-an'];
  if (probe.audio) {
    const chosen = options.audioArgs
      ? { args: options.audioArgs, copied: false }
      : audioArgsFor(probe.audio.codec, container);
    audioArgs = chosen.args;
    if (chosen.copied) copiedStreams.push('audio');
  }

  const args = [
    ...inputArgs(io),
    ...mapStream(video.index),
    ...(probe.audio ? mapStream(probe.audio.index) : []),
    ...filterArgs(filters),
    ...videoArgs,
    ...audioArgs,
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
