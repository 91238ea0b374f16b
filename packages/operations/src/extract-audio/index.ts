import { z } from 'zod';
import { AUDIO_FORMATS } from '@mediaflow/domain';
import { formatFacts, planExtractAudio, withAudioTrack } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import { defineOperation } from '../operation-definition';
import { planSingleOutput } from '../single-output';

/** The audio track alone, re-encoded to the requested format. */
export const extractAudio = defineOperation({
  name: 'extract_audio',
  aliases: [],
  summary: 'Extract the audio track as MP3, M4A (AAC), WAV or Opus.',
  schema: z.strictObject({
    method_name: z.literal('extract_audio'),
    output_format: z.enum(AUDIO_FORMATS).default('mp3'),
    params: z.strictObject({ audio_track: audioTrackParam }).default({}),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'extract_audio', formatFacts(operation.output_format).extension, (io) =>
      planExtractAudio(operation, withAudioTrack(probe, operation.params.audio_track), io),
    ),
});
