import type { AudioFormat } from '@mediaflow/domain';
import type { MediaProbe } from '../probe-types';
import { faststartArgs, inputArgs, mapStream, outputArgs } from './common-args';
import { formatFacts } from './formats';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireAudio } from './require-streams';

const AUDIO_CODEC_ARGS: Record<AudioFormat, string[]> = {
  // VBR quality 2 (~190 kb/s): transparent for most listeners.
  mp3: ['-c:a', 'libmp3lame', '-q:a', '2'],
  m4a: ['-c:a', 'aac', '-b:a', '192k'],
  wav: ['-c:a', 'pcm_s16le'],
  opus: ['-c:a', 'libopus', '-b:a', '128k'],
};

/** The first audio stream alone, re-encoded to the requested format. */
export function planExtractAudio(operation: { output_format: AudioFormat }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const audio = requireAudio(probe, 'extract_audio');
  const facts = formatFacts(operation.output_format);
  const args = [
    ...inputArgs(io),
    ...mapStream(audio.index),
    '-vn',
    ...AUDIO_CODEC_ARGS[operation.output_format],
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
  };
}
