import type { VideoContainer } from '@mediaflow/domain';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { codecFitsContainer } from './container-codecs';
import { evenSizeFilter, videoEncoderArgs } from './encoders';
import type { FfmpegPlan, PlanIo } from './plan-types';
import { requireVideo } from './require-streams';
import { subtitleTrackOutput } from './track-output';
import type { TrackOutput } from './track-output';
import { videoOutputPlan } from './video-output';

/**
 * Rewraps streams the target container takes as they are; re-encodes only
 * the ones it does not. A conversion keeps what the container can hold:
 *
 * - the video, with its start timecode (a tmcd track in MP4/MOV, a tag in MKV);
 * - every audio stream, copied when the container takes its codec (24-bit
 *   PCM in MOV stays 24-bit PCM), else encoded to the container's usual
 *   codec in a layout it takes; the probe's `audio` (the source's default,
 *   or the job's `audio_track`) is the default track;
 * - every subtitle stream it can hold, converted to its text format when
 *   needed; image subtitles outside MKV are left out with a job warning;
 * - each track's language, title and default/forced flags. Global metadata
 *   is dropped (outputArgs), and so are data streams other than the
 *   timecode: camera telemetry such as GoPro's GPMF carries GPS positions.
 */
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
    allAudio: true,
    extra: conversionExtras(probe, container),
  });
}

/** Subtitles, the video's flag and its timecode. */
function conversionExtras(probe: MediaProbe, container: VideoContainer): TrackOutput {
  const subtitles = subtitleTrackOutput(probe.subtitleStreams ?? [], container);
  const timecode =
    probe.timecode !== undefined && container !== 'webm' ? ['-metadata:s:v:0', `timecode=${probe.timecode}`] : [];
  return {
    ...subtitles,
    // Dispositions are written for the audio and subtitles, which turns off FFmpeg's automatic default for the video.
    args: ['-disposition:v:0', 'default', ...timecode, ...subtitles.args],
  };
}

/**
 * FFmpeg 5.1's Matroska/WebM muxer does not write the display matrix, so a
 * copied portrait phone video would come out sideways. Re-encoding lets
 * FFmpeg's auto-rotation turn the pixels themselves upright.
 */
function losesRotation(video: VideoStreamInfo, container: VideoContainer): boolean {
  return Boolean(video.rotation) && (container === 'mkv' || container === 'webm');
}
