import type { MediaProbe } from '../probe-types';
import { inputArgs, mapStream, outputArgs } from './common-args';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireAudio } from './require-streams';

/** What Whisper's feature extractor works on; anything else is resampled on its side, slower. */
export const TRANSCRIPTION_SAMPLE_RATE = 16_000;

/**
 * The first audio stream as 16 kHz mono 16-bit WAV, for the recogniser.
 * FFmpeg does the decoding, under the same protocol and format allow-lists as
 * every other operation, so the Python side only ever opens a file we wrote.
 */
export function planTranscriptionAudio(probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const audio = requireAudio(probe, 'transcribe');
  // prettier-ignore
  const args = [
    ...inputArgs(io),
    ...mapStream(audio.index),
    '-vn', '-sn', '-dn',
    '-ac', '1',
    '-ar', String(TRANSCRIPTION_SAMPLE_RATE),
    '-c:a', 'pcm_s16le',
    ...outputArgs(io, 'wav'),
  ];
  return {
    args,
    outputExtension: 'wav',
    contentType: 'audio/wav',
    outputKind: 'audio',
    expectedDurationSec: probe.durationSec,
    copiedStreams: [],
  };
}
