import { z } from 'zod';
import { VIDEO_CONTAINERS } from '@mediaflow/domain';
import { formatFacts, planResize, withAudioTrack } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import { defineOperation } from '../operation-definition';
import { planSingleOutput } from '../single-output';

// Only what no source could give is refused at submit: the API has not seen
// the source, and whether e.g. width 16 keeps a picture's shape depends on
// it. What this source cannot give fails the job once probed, with
// RESIZE_IMPOSSIBLE (422, not retried) naming the size it would have been.
const dimension = z.number().int().min(16).max(7680);

export const resizeParams = z.strictObject({
  width: dimension.optional(),
  height: dimension.optional(),
  audio_track: audioTrackParam,
});

/** A new frame size that keeps the displayed aspect ratio (default: fit within 1280x720). */
export const resize = defineOperation({
  name: 'resize',
  aliases: [],
  summary: 'Scale the video to a width and/or height, keeping its displayed aspect ratio.',
  schema: z.strictObject({
    method_name: z.literal('resize'),
    output_format: z.enum(VIDEO_CONTAINERS).default('mp4'),
    params: resizeParams.default({}),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'resize', formatFacts(operation.output_format).extension, (io) =>
      planResize(operation, withAudioTrack(probe, operation.params.audio_track), io),
    ),
});
