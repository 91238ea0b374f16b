import { z } from 'zod';
import { VIDEO_CONTAINERS } from '@mediaflow/domain';
import { formatFacts, planGrayscale, withAudioTrack } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import { defineOperation } from '../operation-definition';
import { planSingleOutput } from '../single-output';

/** Colour removed, still a YUV 4:2:0 video every player takes. */
export const grayscale = defineOperation({
  name: 'grayscale',
  aliases: ['black_and_white'],
  summary: 'Remove the colour (black and white), keeping a widely playable video.',
  schema: z.strictObject({
    method_name: z.literal('grayscale'),
    output_format: z.enum(VIDEO_CONTAINERS).default('mp4'),
    params: z.strictObject({ audio_track: audioTrackParam }).default({}),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'grayscale', formatFacts(operation.output_format).extension, (io) =>
      planGrayscale(operation, withAudioTrack(probe, operation.params.audio_track), io),
    ),
});
