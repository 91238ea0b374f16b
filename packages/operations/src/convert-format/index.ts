import { z } from 'zod';
import { VIDEO_CONTAINERS } from '@mediaflow/domain';
import { formatFacts, planConvertFormat, withAudioTrack } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import { defineOperation } from '../operation-definition';
import { planSingleOutput } from '../single-output';

/** Another container, copying the streams it can hold and re-encoding only the rest. */
export const convertFormat = defineOperation({
  name: 'convert_format',
  aliases: [],
  summary: 'Rewrap into MP4, WebM, MKV or MOV, re-encoding only streams the target cannot hold.',
  schema: z.strictObject({
    method_name: z.literal('convert_format'),
    output_format: z.enum(VIDEO_CONTAINERS),
    // Every audio track is kept; audio_track chooses the one flagged default.
    params: z.strictObject({ audio_track: audioTrackParam }).default({}),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'convert_format', formatFacts(operation.output_format).extension, (io) =>
      planConvertFormat(operation, withAudioTrack(probe, operation.params.audio_track), io),
    ),
});
