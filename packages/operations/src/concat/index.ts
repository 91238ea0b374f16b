import { z } from 'zod';
import { X264_PRESETS } from '@mediaflow/domain';
import { formatFacts, planConcat } from '@mediaflow/media';
import type { ConcatInput } from '@mediaflow/media';
import { defineOperation } from '../operation-definition';
import { singleFfmpegPlan, singleOutputName, workPath } from '../single-output';

const side = z.number().int().min(16).max(7680);

export const concatParams = z
  .strictObject({
    crf: z.number().int().min(0).max(51).default(23),
    preset: z.enum(X264_PRESETS).default('veryfast'),
    /** Output size; both or neither. Absent: the first source's (displayed) size. */
    width: side.optional(),
    height: side.optional(),
    /** Output frame rate; absent: the first source's. */
    fps: z.number().min(1).max(120).optional(),
    /** Output sample rate (Hz); absent: the first source's. WebM output is always 48000 (Opus). */
    sample_rate: z
      .union([z.literal(16_000), z.literal(22_050), z.literal(32_000), z.literal(44_100), z.literal(48_000)])
      .optional(),
  })
  .refine((params) => (params.width === undefined) === (params.height === undefined), {
    message: 'give both width and height, or neither',
    path: ['width'],
  });

/**
 * Joins several sources, in order, into one file. MediaRecorder chunks of
 * one recording (the first with the WebM header, the rest bare Clusters) are
 * joined byte for byte by the worker before this plan runs, so they arrive
 * as one input; separate recordings are normalised and joined here with the
 * concat filter (see planConcat for the mismatch policy).
 */
export const concat = defineOperation({
  name: 'concat',
  aliases: [],
  summary:
    'Join the job’s `sources`, in order, into one H.264/AAC MP4 (or VP9/Opus WebM): MediaRecorder chunks of one recording, or separate recordings normalised to one size, frame rate and sample rate.',
  multipleSources: true,
  schema: z.strictObject({
    method_name: z.literal('concat'),
    output_format: z.enum(['mp4', 'webm']).default('mp4'),
    params: concatParams.default({ crf: 23, preset: 'veryfast' }),
  }),
  plan: (operation, probe, context) => {
    const inputs: ConcatInput[] = context.inputs ?? [{ path: context.inputPath, probe }];
    const { params } = operation;
    const name = singleOutputName(context, 'concat', formatFacts(operation.output_format).extension);
    return singleFfmpegPlan(
      planConcat(
        {
          container: operation.output_format,
          crf: params.crf,
          preset: params.preset,
          ...(params.width === undefined ? {} : { width: params.width }),
          ...(params.height === undefined ? {} : { height: params.height }),
          ...(params.fps === undefined ? {} : { fps: params.fps }),
          ...(params.sample_rate === undefined ? {} : { sampleRate: params.sample_rate }),
        },
        inputs,
        workPath(context, name),
      ),
      name,
    );
  },
});
