import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TILE_WIDTH, planStoryboard } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import type { ExecutionPlan } from '../execution-plan';
import { defineOperation } from '../operation-definition';
import type { PlanContext } from '../operation-definition';

export const storyboardParams = z.strictObject({
  /** Seconds between tiles; absent: chosen so there are at most 100 tiles. */
  interval_seconds: z.number().int().min(1).max(60).optional(),
  tile_width: z.number().int().min(80).max(320).default(DEFAULT_TILE_WIDTH),
});

type StoryboardParams = z.output<typeof storyboardParams>;

export const STORYBOARD_PATHS = {
  dir: 'storyboard',
  sprite: 'storyboard/sprite.jpg',
  vtt: 'storyboard/storyboard.vtt',
} as const;

/**
 * A sprite sheet of frames every N seconds (one FFmpeg pass) and its WebVTT
 * index (written from the plan: the geometry is known before FFmpeg runs).
 * The VTT is primary: it is what a player is given, and it names the sprite.
 * An explicit interval that would need more than 400 tiles is raised (see
 * storyboardGeometry).
 * @throws AppError NO_VIDEO_STREAM for audio-only sources; UNSUPPORTED_MEDIA when the duration is unknown (the cues cannot be planned).
 */
export function planStoryboardOperation(
  operation: { params: StoryboardParams },
  probe: MediaProbe,
  context: PlanContext,
): ExecutionPlan {
  const { interval_seconds: intervalSec, tile_width: tileWidth } = operation.params;
  const ffmpeg = planStoryboard(
    probe,
    { inputPath: context.inputPath, spritePath: path.join(context.workDir, STORYBOARD_PATHS.sprite) },
    { tileWidth, ...(intervalSec === undefined ? {} : { intervalSec }), spriteUri: 'sprite.jpg' },
  );
  return {
    steps: [
      {
        id: 'sprite',
        kind: 'ffmpeg',
        weight: 20,
        args: ffmpeg.args,
        expectedDurationSec: ffmpeg.expectedDurationSec,
        createDirs: [STORYBOARD_PATHS.dir],
      },
      { id: 'storyboard-vtt', kind: 'write_text', weight: 1, path: STORYBOARD_PATHS.vtt, content: ffmpeg.vtt },
    ],
    outputs: [
      { kind: 'storyboard', path: STORYBOARD_PATHS.vtt, contentType: 'text/vtt', primary: true },
      { kind: 'storyboard_image', path: STORYBOARD_PATHS.sprite, contentType: 'image/jpeg' },
    ],
    expectedDurationSec: ffmpeg.expectedDurationSec,
  };
}

/** A scrubbing-preview sprite sheet with its WebVTT thumbnail track. */
export const storyboard = defineOperation({
  name: 'storyboard',
  aliases: [],
  summary: 'A sprite sheet of video frames every N seconds and the WebVTT track that maps times to its tiles.',
  schema: z.strictObject({
    method_name: z.literal('storyboard'),
    output_format: z.literal('jpg').default('jpg'),
    params: storyboardParams.default({ tile_width: DEFAULT_TILE_WIDTH }),
  }),
  plan: (operation, probe, context) => planStoryboardOperation(operation, probe, context),
});
