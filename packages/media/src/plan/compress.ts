import type { MediaProbe } from '../probe-types';
import { evenSizeFilter, x264Args } from './encoders';
import type { X264Settings } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { videoOutputPlan } from './video-output';

/** H.264 at the requested CRF/preset with AAC audio: the widely playable small file. */
export function planCompress(operation: { params: X264Settings }, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  const video = requireVideo(probe, 'compress');
  return videoOutputPlan({
    probe,
    video,
    io,
    container: 'mp4',
    videoArgs: x264Args(operation.params),
    filters: evenSizeFilter(video),
    videoCopied: false,
    // Always re-encode: copying a large source's audio would defeat the point of compressing.
    audioEncoding: { args: ['-c:a', 'aac', '-b:a', '128k'], encoder: 'aac' },
  });
}
