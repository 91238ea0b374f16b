import path from 'node:path';
import type { FfmpegPlan } from '@mediaflow/media';
import type { ExecutionPlan } from './execution-plan';
import { outputBaseName } from './download-name';
import type { PlanContext } from './operation-definition';

/** The output file name of a one-file operation, before its builder runs. */
export function singleOutputName(context: PlanContext, methodName: string, extension: string): string {
  return `${outputBaseName(context.sourceName, methodName)}.${extension}`;
}

/** Absolute path in the work directory, for FFmpeg's argv. */
export function workPath(context: PlanContext, relative: string): string {
  return path.join(context.workDir, relative);
}

/**
 * The plan of an operation that is one FFmpeg invocation writing one file:
 * one step, one primary output.
 */
export function singleFfmpegPlan(ffmpeg: FfmpegPlan, outputName: string): ExecutionPlan {
  return {
    steps: [{ id: 'encode', kind: 'ffmpeg', weight: 1, args: ffmpeg.args, expectedDurationSec: ffmpeg.expectedDurationSec }],
    outputs: [
      {
        kind: ffmpeg.outputKind,
        path: outputName,
        contentType: ffmpeg.contentType,
        primary: true,
        ...(ffmpeg.expect ? { expect: ffmpeg.expect } : {}),
      },
    ],
    expectedDurationSec: ffmpeg.expectedDurationSec,
    ...(ffmpeg.warnings && ffmpeg.warnings.length > 0 ? { warnings: ffmpeg.warnings } : {}),
  };
}

/**
 * Runs a single-output builder against the file name the operation's output
 * will have. The builders take absolute paths; the manifest wants relative.
 */
export function planSingleOutput(
  context: PlanContext,
  methodName: string,
  extension: string,
  build: (io: { inputPath: string; outputPath: string }) => FfmpegPlan,
): ExecutionPlan {
  const name = singleOutputName(context, methodName, extension);
  return singleFfmpegPlan(build({ inputPath: context.inputPath, outputPath: workPath(context, name) }), name);
}
