import type { AudioFormat } from '@mediaflow/domain';
import type { MediaProbe } from '../probe-types';
import { channelLayoutArgs } from './channel-layouts';
import type { AudioEncoderName } from './channel-layouts';
import { faststartArgs, inputArgs, mapStream, outputArgs } from './common-args';
import { formatFacts } from './formats';
import { mediaExpectation } from './output-expectation';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireAudio } from './require-streams';

const AUDIO_CODEC_ARGS: Record<AudioFormat, string[]> = {
  // VBR quality 2 (~190 kb/s): transparent for most listeners.
  mp3: ['-c:a', 'libmp3lame', '-q:a', '2'],
  m4a: ['-c:a', 'aac', '-b:a', '192k'],
  wav: ['-c:a', 'pcm_s16le'],
  opus: ['-c:a', 'libopus', '-b:a', '128k'],
};

/** The encoder of each format, for the channel-layout policy (MP3: stereo at most). */
const AUDIO_ENCODER: Record<AudioFormat, AudioEncoderName> = {
  mp3: 'libmp3lame',
  m4a: 'aac',
  wav: 'pcm_s16le',
  opus: 'libopus',
};

/**
 * The chosen audio stream (probe.audio) alone, re-encoded to the requested
 * format in a channel layout its encoder takes (see channelLayoutFor).
 */
export function planExtractAudio(operation: { output_format: AudioFormat }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const audio = requireAudio(probe, 'extract_audio');
  const facts = formatFacts(operation.output_format);
  const args = [
    ...inputArgs(io),
    ...mapStream(audio.index),
    '-vn',
    ...AUDIO_CODEC_ARGS[operation.output_format],
    ...channelLayoutArgs(audio, AUDIO_ENCODER[operation.output_format]),
    ...faststartArgs(facts.muxer),
    ...outputArgs(io, facts.muxer),
  ];
  return {
    args,
    outputExtension: facts.extension,
    contentType: facts.contentType,
    outputKind: 'audio',
    expectedDurationSec: probe.durationSec,
    copiedStreams: [],
    // The track's own span: an audio track may end (or start) apart from the video.
    expect: mediaExpectation(['audio'], probe.extent?.streamSec[audio.index] ?? probe.durationSec),
  };
}
