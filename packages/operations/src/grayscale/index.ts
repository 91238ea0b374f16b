import { z } from 'zod';
import { VIDEO_CONTAINERS } from '@mediaflow/domain';
import { formatFacts, planGrayscale } from '@mediaflow/media';
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
    params: z.strictObject({}).default({}),
  }),
  plan: (operation, probe, context) =>
    planSingleOutput(context, 'grayscale', formatFacts(operation.output_format).extension, (io) =>
      planGrayscale(operation, probe, io),
    ),
});
