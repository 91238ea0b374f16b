import path from 'node:path';
import { z } from 'zod';
import { planThumbnails } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import type { ExecutionPlan, OutputManifestEntry } from '../execution-plan';
import { defineOperation } from '../operation-definition';
import type { PlanContext } from '../operation-definition';

export const thumbnailsParams = z.strictObject({
  count: z.number().int().min(1).max(50).default(5),
  width: z.number().int().min(64).max(1920).default(320),
});

type ThumbnailsParams = z.output<typeof thumbnailsParams>;

export const THUMBNAILS_DIR = 'thumbnails';

/** The relative path of thumbnail `index` (1-based): thumbnails/thumb-01.jpg… */
export function thumbnailPath(index: number): string {
  return `${THUMBNAILS_DIR}/thumb-${String(index).padStart(2, '0')}.jpg`;
}

/**
 * One FFmpeg pass writing `count` representative JPEGs evenly spaced over the
 * video (see planThumbnails), each listed as its own output so a client can
 * link them directly; the first is primary.
 * @throws AppError NO_VIDEO_STREAM for audio-only sources; UNSUPPORTED_MEDIA when the duration is unknown.
 */
export function planThumbnailsOperation(
  operation: { params: ThumbnailsParams },
  probe: MediaProbe,
  context: PlanContext,
): ExecutionPlan {
  const { count, width } = operation.params;
  const ffmpeg = planThumbnails(
    probe,
    { inputPath: context.inputPath, outputPattern: path.join(context.workDir, THUMBNAILS_DIR, 'thumb-%02d.jpg') },
    { count, maxWidth: width },
  );
  const outputs: OutputManifestEntry[] = Array.from({ length: count }, (_, i) => ({
    kind: 'thumbnail',
    path: thumbnailPath(i + 1),
    contentType: 'image/jpeg',
    ...(i === 0 ? { primary: true } : {}),
  }));
  return {
    steps: [
      {
        id: 'thumbnails',
        kind: 'ffmpeg',
        weight: 1,
        args: ffmpeg.args,
        expectedDurationSec: ffmpeg.expectedDurationSec,
        createDirs: [THUMBNAILS_DIR],
      },
    ],
    outputs,
    expectedDurationSec: ffmpeg.expectedDurationSec,
  };
}

/** Evenly spaced representative stills of a video. */
export const thumbnails = defineOperation({
  name: 'thumbnails',
  aliases: [],
  summary: 'Evenly spaced representative JPEG stills of the video (1–50, at most `width` pixels wide).',
  schema: z.strictObject({
    method_name: z.literal('thumbnails'),
    output_format: z.literal('jpg').default('jpg'),
    params: thumbnailsParams.default({ count: 5, width: 320 }),
  }),
  plan: (operation, probe, context) => planThumbnailsOperation(operation, probe, context),
});
