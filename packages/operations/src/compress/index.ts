import { z } from 'zod';
import { X264_PRESETS } from '@mediaflow/domain';
import { planCompress, withAudioTrack } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import { defineOperation } from '../operation-definition';
import { planSingleOutput } from '../single-output';

export const compressParams = z.strictObject({
  crf: z.number().int().min(0).max(51).default(28),
  preset: z.enum(X264_PRESETS).default('veryfast'),
  audio_track: audioTrackParam,
});

/** H.264 at a chosen CRF and preset with AAC audio in MP4: the widely playable smaller file. */
export const compress = defineOperation({
  name: 'compress',
  aliases: [],
  summary: 'Re-encode to H.264/AAC MP4 at a chosen quality (CRF) and speed (preset).',
  schema: z.strictObject({
    method_name: z.literal('compress'),
    output_format: z.literal('mp4').default('mp4'),
    params: compressParams.default({ crf: 28, preset: 'veryfast' }),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'compress', 'mp4', (io) =>
      planCompress(operation, withAudioTrack(probe, operation.params.audio_track), io),
    ),
});
