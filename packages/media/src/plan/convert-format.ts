import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { codecFitsContainer } from './container-codecs';
import { evenSizeFilter, videoEncoderArgs } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { videoOutputPlan } from './video-output';

/** Rewraps streams the target container takes as they are; re-encodes only the ones it does not. */
export function planConvertFormat(operation: { output_format: VideoContainer }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const container = operation.output_format;
  const video = requireVideo(probe, 'convert_format');
  const copyVideo = codecFitsContainer('video', video.codec, container) && !losesRotation(video, container);

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

/**
 * FFmpeg 5.1's Matroska/WebM muxer does not write the display matrix, so a
 * copied portrait phone video would come out sideways. Re-encoding lets
 * FFmpeg's auto-rotation turn the pixels themselves upright.
 */
function losesRotation(video: VideoStreamInfo, container: VideoContainer): boolean {
  return Boolean(video.rotation) && (container === 'mkv' || container === 'webm');
}
