import type { FieldOrder, VideoStreamInfo } from '../probe-types';

/**
 * Scan and timing decisions for re-encoded video.
 *
 * Interlaced sources: every output here is progressive (H.264/VP9 encoded
 * frame by frame), and interlaced fields encoded as progressive frames show
 * combing on every movement. So an interlaced source (its field order from
 * the probe) is deinterlaced first, before anything scales it (scaling mixes
 * the two fields' lines). bwdif rather than yadif: sharper, fewer artefacts,
 * both built into every FFmpeg. One frame per frame (send_frame), so 25i
 * stays 25 fps, like every other source keeps its rate.
 *
 * Timing: FFmpeg's default for MP4/MOV is constant frame rate, which
 * duplicates and drops frames of a variable-frame-rate source (phone video,
 * screen recordings) to fill a grid. `-fps_mode vfr` keeps each frame's own
 * timestamp (dropping only exact duplicates), so VFR stays VFR, and CFR,
 * including 24000/1001, stays exactly CFR: the encoder's time base is the
 * source's own rate.
 */

/** The field displayed first, from FFmpeg's field order (coded first, displayed first). */
const FIRST_FIELD: Readonly<Record<FieldOrder, 'tff' | 'bff'>> = { tt: 'tff', bt: 'tff', bb: 'bff', tb: 'bff' };

/**
 * The deinterlacing filter an interlaced source needs, or none. deint=all:
 * the probe says the stream is interlaced, and decoders do not all flag each
 * frame, so trusting per-frame flags (deint=interlaced) could leave combing.
 */
export function deinterlaceFilters(video: Pick<VideoStreamInfo, 'fieldOrder'>): string[] {
  if (video.fieldOrder === undefined) return [];
  return [`bwdif=mode=send_frame:parity=${FIRST_FIELD[video.fieldOrder]}:deint=all`];
}

/** Output options that keep the source's frame timing (see above). */
export function frameTimingArgs(): string[] {
  return ['-fps_mode', 'vfr'];
}
