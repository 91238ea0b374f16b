import { picturePlan } from './picture';
import { AppError } from '@mediaflow/domain';
import { fileUrl } from '../input-url';
import type { MediaProbe } from '../probe-types';
import { inputArgs } from './common-args';
import type { HlsAudioInfo, HlsVariantInfo } from './hls-playlists';
import { DEFAULT_LADDER_HEIGHTS, ladderFrameRate, planLadder } from './ladder';
import type { LadderRung } from './ladder';
import { jpegOutputArgs, POSTER_MAX_WIDTH, posterChain, stillSize } from './poster';
import { storyboardChain } from './storyboard';
import type { StoryboardGeometry } from './storyboard';
import { colourTagArgs } from './colour';

/** The DASH manifest's file name inside the package directory. */
export const CMAF_MANIFEST_NAME = 'manifest.mpd';
/** The HLS master playlist's file name inside the package directory (dashenc's -hls_master_name). */
export const HLS_MASTER_NAME = 'master.m3u8';
/** RFC 6381 codec string of AAC-LC (FFmpeg's native `aac` encoder writes LC). */
export const AAC_LC_CODEC = 'mp4a.40.2';

/** x264 speed/quality for every rung: fixed so the profile (High: CABAC, 8x8 transform) and thus CODECS are known. */
const X264_PRESET = 'veryfast';
/** Constant quality, capped per rung by -maxrate/-bufsize ("capped CRF"): easy scenes cost fewer bits than the cap. */
const X264_CRF = 22;
/** Audio above this rate is resampled (Hz): AAC players handle 48 kHz everywhere, 96 kHz not. */
const MAX_AUDIO_SAMPLE_RATE = 48000;

/**
 * The HLS media playlist FFmpeg 5.1's dash muxer writes for an output stream
 * with `-hls_playlist 1`: `media_<output stream index>.m3u8`, beside the MPD
 * (libavformat/dashenc.c, get_hls_playlist_name). Output streams are numbered
 * in -map order, so the video rungs come first, then the audio.
 */
export function dashencPlaylistName(outputStreamIndex: number): string {
  return `media_${outputStreamIndex}.m3u8`;
}

/** What to package and which extra stills to take from the same decode. */
export interface CmafPackageOptions {
  /** Absolute path of the source. */
  inputPath: string;
  /** Absolute path of the package directory (must exist before FFmpeg runs). */
  packageDir: string;
  /** Requested rendition heights (short side, pixels); default 1080/720/480/360/240. */
  heights?: readonly number[];
  /** Segment length in seconds (whole). */
  segmentSeconds: number;
  /** AAC bitrate in kbit/s. */
  audioBitrateKbps: number;
  /** Whether dashenc also writes HLS playlists over the same segments. */
  hls: boolean;
  /** Absolute path of a poster JPEG to take in the same pass; ignored without video. */
  posterPath?: string;
  /** Absolute path and geometry of a storyboard sprite to take in the same pass; ignored without video. */
  storyboard?: { spritePath: string; geometry: StoryboardGeometry };
}

export interface CmafPackagePlan {
  /** FFmpeg argv without the binary (the runner adds -progress/-nostats). */
  args: string[];
  /** The video renditions, highest first; empty for an audio-only source. */
  rungs: LadderRung[];
  /** The HLS variant playlists dashenc writes for the rungs, in ladder order. */
  variants: HlsVariantInfo[];
  /** The audio rendition, when the source has audio. */
  audio?: HlsAudioInfo;
  /** Whether the poster / the sprite are outputs of this run. */
  poster: boolean;
  storyboard: boolean;
  /** Seconds of media FFmpeg works through; 0 when unknown. */
  expectedDurationSec: number;
}

/**
 * One FFmpeg process that encodes every rendition and packages them as CMAF
 * (fragmented MP4) segments with FFmpeg's dash muxer, which writes the DASH
 * MPD and, with `-hls_playlist 1`, HLS media playlists over the very same
 * segments (FFmpeg formats documentation, "dash").
 *
 * Video: one decode, split and scaled per rung (filter_complex), libx264 High
 * at a fixed level per rung, capped CRF. Keyframes are forced at every
 * multiple of the segment length (`expr:gte(t,n_forced*N)`) with scene-cut
 * detection off and a GOP no longer than one segment, so every rendition
 * makes the same keyframe decisions, each segment starts with an IDR frame
 * and segment boundaries line up across renditions (RFC 8216 §6.2.4 /
 * EXT-X-INDEPENDENT-SEGMENTS; DASH segment alignment). Audio: one AAC-LC
 * rendition, at most stereo. Segment and init names use the representation
 * number only, never the source's name.
 *
 * The poster and storyboard sprite ride along as extra outputs of the same
 * decode (measured cheaper than separate runs, see the operation).
 *
 * @throws AppError NO_VIDEO_STREAM when the source has neither video nor audio.
 */
export function planCmafPackage(probe: MediaProbe, options: CmafPackageOptions): CmafPackagePlan {
  const { video, audio } = probe;
  if (!video && !audio) {
    throw new AppError(
      'NO_VIDEO_STREAM',
      'adaptive_stream needs a video or an audio stream, and the input has neither',
    );
  }
  const rungs = video ? planLadder(video, options.heights ?? DEFAULT_LADDER_HEIGHTS) : [];
  const withPoster = video !== undefined && options.posterPath !== undefined;
  const storyboard = video ? options.storyboard : undefined;
  const stills = (withPoster ? 1 : 0) + (storyboard ? 1 : 0);

  const graph: string[] = [];
  if (video) {
    const { rate, forced } = ladderFrameRate(video.fps);
    const branches = rungs.length + stills;
    const labels = Array.from({ length: branches }, (_, i) => `[b${i}]`).join('');
    // Deinterlace and bring the picture to 8-bit SDR BT.709 once, before the
    // split, so every rung and still looks like the source (HDR tone-mapped).
    const picture = picturePlan(video);
    const head = [...picture.filters, ...(forced ? [`fps=${formatRate(rate)}`] : [])];
    graph.push(`[0:${video.index}]${[...head, `split=${branches}`].join(',')}${labels}`);
    rungs.forEach((rung, i) => {
      // No setsar: the scale filter adjusts the sample aspect ratio by the
      // sub-pixel rounding, so every rung has exactly the source's display
      // aspect ratio, which dashenc requires within one adaptation set.
      graph.push(`[b${i}]scale=w=${rung.width}:h=${rung.height}[v${i}]`);
    });
    let next = rungs.length;
    if (withPoster) {
      graph.push(posterChain(`b${next}`, 'poster', stillSize(video, POSTER_MAX_WIDTH), probe.durationSec));
      next += 1;
    }
    if (storyboard) graph.push(storyboardChain(`b${next}`, 'sprite', storyboard.geometry));
  }

  const args = [...inputArgs({ inputPath: options.inputPath, outputPath: options.packageDir })];
  if (graph.length > 0) args.push('-filter_complex', graph.join(';'));
  rungs.forEach((_, i) => args.push('-map', `[v${i}]`));
  if (audio) args.push('-map', `0:${audio.index}`);
  if (video)
    args.push(...videoEncodeArgs(rungs, options.segmentSeconds), ...colourTagArgs(picturePlan(video).colour.output));
  if (audio) args.push(...audioEncodeArgs(audio.channels, audio.sampleRate, options.audioBitrateKbps));
  args.push(...dashMuxerArgs(rungs.length > 0, audio !== undefined, options));
  if (withPoster && options.posterPath !== undefined) {
    args.push('-map_metadata', '-1', ...jpegOutputArgs('poster', options.posterPath, 1));
  }
  if (storyboard) args.push('-map_metadata', '-1', ...jpegOutputArgs('sprite', storyboard.spritePath, 1));

  const variants = rungs.map((rung, i) => ({
    playlist: dashencPlaylistName(i),
    width: rung.width,
    height: rung.height,
    frameRate: rung.frameRate,
    videoCodec: rung.codec,
  }));
  return {
    args,
    rungs,
    variants,
    ...(audio
      ? {
          audio: {
            playlist: dashencPlaylistName(rungs.length),
            codec: AAC_LC_CODEC,
            language: 'und',
            channels: Math.min(audio.channels, 2),
          },
        }
      : {}),
    poster: withPoster,
    storyboard: storyboard !== undefined,
    expectedDurationSec: probe.durationSec,
  };
}

/**
 * libx264 for every rung, with the per-stream level and VBV cap. The GOP
 * length is one segment's worth of frames rounded up, so x264's own keyframe
 * limit never fires before the forced keyframe (segments of a 23.976 fps
 * source are 96 frames, now and then 95), and with scene-cut detection off
 * x264 places no keyframe of its own in between.
 */
export function videoEncodeArgs(rungs: readonly LadderRung[], segmentSeconds: number): string[] {
  const frameRate = rungs[0]?.frameRate ?? ladderFrameRate(undefined).rate;
  const gop = String(Math.ceil(segmentSeconds * frameRate - 1e-6));
  // prettier-ignore
  const args = [
    '-c:v', 'libx264',
    '-preset', X264_PRESET,
    '-crf', String(X264_CRF),
    '-profile:v', 'high',
    '-pix_fmt', 'yuv420p',
    '-g', gop,
    '-keyint_min', gop,
    '-sc_threshold', '0',
    '-forced-idr', '1',
    '-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`,
  ];
  rungs.forEach((rung, i) => {
    // prettier-ignore
    args.push(
      `-level:v:${i}`, rung.level,
      `-maxrate:v:${i}`, `${rung.maxrateKbps}k`,
      `-bufsize:v:${i}`, `${rung.bufsizeKbps}k`,
    );
  });
  return args;
}

/** AAC-LC, at most stereo (a surround mix would be downmixed by most players anyway), at most 48 kHz. */
export function audioEncodeArgs(channels: number, sampleRate: number, bitrateKbps: number): string[] {
  // prettier-ignore
  return [
    '-c:a', 'aac',
    '-b:a', `${bitrateKbps}k`,
    '-ac', String(Math.min(Math.max(channels, 1), 2)),
    ...(sampleRate > MAX_AUDIO_SAMPLE_RATE ? ['-ar', String(MAX_AUDIO_SAMPLE_RATE)] : []),
  ];
}

/**
 * The dash muxer over `<packageDir>/manifest.mpd`: static MPD with
 * SegmentTemplate + SegmentTimeline, video and audio in their own adaptation
 * sets, and the HLS playlists when asked for. When HLS is not wanted dashenc
 * simply writes none; the MPD is always written, as it is the muxer's own
 * output (an HLS-only package leaves it unlisted in the job's outputs).
 */
function dashMuxerArgs(hasVideo: boolean, hasAudio: boolean, options: CmafPackageOptions): string[] {
  const sets = [...(hasVideo ? ['streams=v'] : []), ...(hasAudio ? ['streams=a'] : [])].map(
    (streams, id) => `id=${id},${streams}`,
  );
  // prettier-ignore
  return [
    '-map_metadata', '-1',
    '-map_chapters', '-1',
    '-f', 'dash',
    '-seg_duration', String(options.segmentSeconds),
    '-use_template', '1',
    '-use_timeline', '1',
    '-adaptation_sets', sets.join(' '),
    '-init_seg_name', 'init-$RepresentationID$.m4s',
    '-media_seg_name', 'seg-$RepresentationID$-$Number%05d$.m4s',
    ...(options.hls ? ['-hls_playlist', '1', '-hls_master_name', HLS_MASTER_NAME] : []),
    fileUrl(`${options.packageDir}/${CMAF_MANIFEST_NAME}`),
  ];
}

/** A frame rate for the fps filter: up to 6 decimals, no float noise. */
function formatRate(rate: number): string {
  return String(Math.round(rate * 1e6) / 1e6);
}
