import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe } from '../probe-types';
import { evenSizeFilter, videoEncoderArgs } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { videoOutputPlan } from './video-output';

/**
 * hue=s=0 removes saturation but keeps a YUV 4:2:0 stream (chroma planes sit
 * at the neutral 128), so the result plays everywhere a colour video does;
 * a "gray" pixel format would not.
 */
export function planGrayscale(operation: { output_format: VideoContainer }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const video = requireVideo(probe, 'grayscale');
  return videoOutputPlan({
    probe,
    video,
    io,
    container: operation.output_format,
    videoArgs: videoEncoderArgs(operation.output_format),
    filters: ['hue=s=0', ...evenSizeFilter(video)],
    videoCopied: false,
  });
}
