import type { OperationOf } from '@mediaflow/domain';
import type { MediaProbe } from '../probe-types';
import { codecFitsContainer } from './container-codecs';
import { evenSizeFilter, videoEncoderArgs } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { videoOutputPlan } from './video-output';

/** Rewraps streams the target container takes as they are; re-encodes only the ones it does not. */
export function planConvertFormat(
  operation: OperationOf<'convert_format'>,
  probe: MediaProbe,
  io: PlanIo,
): FfmpegPlan {
  const container = operation.output_format;
  const video = requireVideo(probe, 'convert_format');
  const copyVideo = codecFitsContainer('video', video.codec, container);

  let videoArgs = copyVideo ? ['-c:v', 'copy'] : videoEncoderArgs(container);
  // Apple players only recognise HEVC in MP4/MOV under the hvc1 tag; FFmpeg defaults to hev1.
  if (copyVideo && video.codec === 'hevc' && container !== 'mkv') videoArgs = [...videoArgs, '-tag:v', 'hvc1'];

  return videoOutputPlan({
    probe,
    video,
    io,
    container,
    videoArgs,
    filters: copyVideo ? [] : evenSizeFilter(video),
    videoCopied: copyVideo,
  });
}
