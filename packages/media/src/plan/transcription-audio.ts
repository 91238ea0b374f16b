import type { MediaProbe } from '../probe-types';
import { channelLayoutFor } from './channel-layouts';
import { inputArgs, mapStream, outputArgs } from './common-args';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireAudio } from './require-streams';

/** What Whisper's feature extractor works on; anything else is resampled on its side, slower. */
export const TRANSCRIPTION_SAMPLE_RATE = 16_000;

/**
 * The chosen audio stream (probe.audio) as 16 kHz mono 16-bit WAV, for the recogniser.
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
    // A layout FFmpeg cannot place (10 unlabelled channels) cannot be downmixed; its first two can.
    ...unplacedLayoutArgs(audio),
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

/** `-af pan=…` for a stream whose channels FFmpeg cannot place, so `-ac 1` has a layout to downmix. */
function unplacedLayoutArgs(audio: { channels: number; channelLayout?: string }): string[] {
  const { filter } = channelLayoutFor(audio, 'aac');
  return filter?.startsWith('pan=') ? ['-af', filter] : [];
}
