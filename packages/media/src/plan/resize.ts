import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe } from '../probe-types';
import { displaySize, targetDimensions } from './dimensions';
import { videoEncoderArgs } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { videoOutputPlan } from './video-output';

/**
 * The size is computed here from the probe rather than left to scale's -2
 * expressions, so tests can pin it and the job can report it. FFmpeg
 * auto-rotates before the filter, hence the display (rotated) size.
 * @throws AppError RESIZE_IMPOSSIBLE when this source cannot be given the requested size without distortion (see targetDimensions).
 * @throws AppError NO_VIDEO_STREAM for audio-only input.
 */
export function planResize(operation: { output_format: VideoContainer; params: { width?: number; height?: number } }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const video = requireVideo(probe, 'resize');
  const size = targetDimensions(displaySize(video), operation.params);
  return videoOutputPlan({
    probe,
    video,
    io,
    container: operation.output_format,
    videoArgs: videoEncoderArgs(operation.output_format),
    // setsar=1: the new size already includes any non-square pixel shape.
    filters: [`scale=${size.width}:${size.height}`, 'setsar=1'],
    videoCopied: false,
  });
}
