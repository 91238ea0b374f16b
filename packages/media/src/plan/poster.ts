import { AppError } from '@mediaflow/domain';
import { fileUrl } from '../input-url';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { inputArgs } from './common-args';
import { displaySize, toEven } from './dimensions';
import type { Size } from './dimensions';
import { requireVideo } from './require-streams';
import { picturePlan } from './picture';

/** The poster is at most this wide (pixels): plenty for a player's still, small to fetch. */
export const POSTER_MAX_WIDTH = 1280;

/** The poster window starts this far in (fraction of the duration)... */
const POSTER_START_FRACTION = 0.1;
/** ...but never later than this (seconds): a long film's opening minute is representative enough. */
const POSTER_MAX_START_SEC = 60;
/** Length of the window the thumbnail filter chooses from, seconds. */
const POSTER_WINDOW_SEC = 4;
/**
 * Frames per second sampled for the choice. The thumbnail filter holds every
 * candidate frame in memory at output size, so the window is thinned out
 * first: 4 s × 5 fps = 20 frames, about 28 MB at 1280x720.
 */
const CANDIDATE_RATE = 5;

/**
 * The displayed size scaled down to fit `maxWidth`, never up; even sides.
 * @param video coded size, rotation, SAR; @param maxWidth pixels.
 */
export function stillSize(
  video: Pick<VideoStreamInfo, 'width' | 'height' | 'rotation' | 'sampleAspectRatio'>,
  maxWidth: number,
): Size {
  const display = displaySize(video);
  if (display.width <= maxWidth) return { width: toEven(display.width), height: toEven(display.height) };
  return { width: toEven(maxWidth), height: toEven((maxWidth * display.height) / display.width) };
}

/**
 * Where the poster is chosen from: skip the first 10 % (at most 60 s), where
 * fades from black, slates and logos sit, then a 4 s window. An unknown
 * duration (0) starts at 0: any later start might lie past the end.
 * @param durationSec seconds, 0 when unknown.
 * @returns seconds.
 */
export function posterWindow(durationSec: number): { startSec: number; windowSec: number } {
  if (durationSec <= 0) return { startSec: 0, windowSec: POSTER_WINDOW_SEC };
  const startSec = Math.min(durationSec * POSTER_START_FRACTION, POSTER_MAX_START_SEC);
  return { startSec: round3(startSec), windowSec: round3(Math.min(POSTER_WINDOW_SEC, durationSec - startSec)) };
}

/**
 * A filtergraph chain from `inLabel` to `outLabel` giving exactly one frame:
 * the most representative (closest to the window's average histogram, see
 * FFmpeg's `thumbnail` filter) of the poster window, at `size`. The batch
 * size exceeds the window's sample count, so the filter emits once, at the
 * window's end; trim ends the branch there, so nothing piles up behind it.
 * @param size output pixels; @param durationSec seconds, 0 when unknown.
 */
export function posterChain(inLabel: string, outLabel: string, size: Size, durationSec: number): string {
  const { startSec, windowSec } = posterWindow(durationSec);
  const candidates = Math.ceil(windowSec * CANDIDATE_RATE) + 2;
  // prettier-ignore
  return `[${inLabel}]` + [
    `trim=start=${startSec}:duration=${windowSec}`,
    `fps=${CANDIDATE_RATE}`,
    ...stillFilters(size),
    `thumbnail=n=${candidates}`,
  ].join(',') + `[${outLabel}]`;
}

/**
 * Exact size with square pixels (JPEG viewers ignore a sample aspect ratio)
 * in full-range 4:2:0, the only 8-bit 4:2:0 layout FFmpeg 5.1's MJPEG
 * encoder takes without -strict.
 */
/**
 * A still's filtergraph fed by the source stream, deinterlaced and brought to
 * 8-bit SDR BT.709 first when it needs it, as every re-encode does
 * (picturePlan): an HDR or interlaced source would otherwise give a
 * washed-out or combed still. `chain` builds the rest from an input label.
 */
export function fromPicture(video: VideoStreamInfo, chain: (inLabel: string) => string): string {
  const filters = picturePlan(video).filters;
  if (filters.length === 0) return chain(`0:${video.index}`);
  return `[0:${video.index}]${filters.join(',')}[src];${chain('src')}`;
}

export function stillFilters(size: Size): string[] {
  return [`scale=w=${size.width}:h=${size.height}`, 'setsar=1', 'format=yuvj420p'];
}

/**
 * Output args writing one labelled stream as JPEG: one file (`-update 1`)
 * when `pattern` is false, else numbered files from 1. Frames pass through
 * untimed, so the muxer neither duplicates nor drops any.
 * @param path absolute. @param frames how many frames at most.
 */
export function jpegOutputArgs(label: string, path: string, frames: number, pattern = false): string[] {
  // prettier-ignore
  return [
    '-map', `[${label}]`,
    '-frames:v', String(frames),
    '-fps_mode', 'passthrough',
    '-c:v', 'mjpeg',
    '-q:v', '3',
    ...(pattern ? ['-start_number', '1'] : ['-update', '1']),
    '-f', 'image2',
    fileUrl(path),
  ];
}

/** A poster as its own FFmpeg run (a separate step, when not folded into the package encode). */
export function planPoster(probe: MediaProbe, io: { inputPath: string; outputPath: string }): { args: string[] } {
  const video = requireVideo(probe, 'poster');
  const chain = fromPicture(video, (label) =>
    posterChain(label, 'poster', stillSize(video, POSTER_MAX_WIDTH), probe.durationSec),
  );
  return {
    args: [
      ...inputArgs(io),
      '-filter_complex',
      chain,
      '-map_metadata',
      '-1',
      ...jpegOutputArgs('poster', io.outputPath, 1),
    ],
  };
}

/** Settings of the thumbnails operation. */
export interface ThumbnailOptions {
  /** How many images, evenly spaced over the duration. */
  count: number;
  /** Largest width in pixels; smaller sources keep their size. */
  maxWidth: number;
}

/** Frames sampled per thumbnail's stretch of the video for the thumbnail filter to choose from. */
const CANDIDATES_PER_THUMBNAIL = 8;

/**
 * Representative stills spread over the video in one pass: the video is cut
 * into `count` equal stretches, each sampled at `8 × count / duration` fps, and
 * the thumbnail filter picks the most representative frame of every batch of
 * 8, so batch i is stretch i. Files are `<dir>/thumb-01.jpg`… (two digits:
 * count ≤ 50 is enforced by the operation's schema; more digits would still work).
 *
 * @param io inputPath absolute; outputPattern absolute path containing `%02d`.
 * @returns argv and the expected duration in seconds.
 * @throws AppError NO_VIDEO_STREAM without video; UNSUPPORTED_MEDIA when the duration is unknown (nothing to space them over).
 */
export function planThumbnails(
  probe: MediaProbe,
  io: { inputPath: string; outputPattern: string },
  options: ThumbnailOptions,
): { args: string[]; expectedDurationSec: number } {
  const video = requireVideo(probe, 'thumbnails');
  if (!(probe.durationSec > 0)) {
    throw new AppError('UNSUPPORTED_MEDIA', 'thumbnails needs the input duration to space images, and it is unknown');
  }
  const rate = (CANDIDATES_PER_THUMBNAIL * options.count) / probe.durationSec;
  // prettier-ignore
  const chain = `[0:${video.index}]` + [
    ...picturePlan(video).filters,
    `fps=${rate.toFixed(6)}`,
    ...stillFilters(stillSize(video, options.maxWidth)),
    `thumbnail=n=${CANDIDATES_PER_THUMBNAIL}`,
  ].join(',') + '[thumbs]';
  return {
    args: [
      ...inputArgs({ inputPath: io.inputPath, outputPath: io.outputPattern }),
      '-filter_complex',
      chain,
      '-map_metadata',
      '-1',
      ...jpegOutputArgs('thumbs', io.outputPattern, options.count, true),
    ],
    expectedDurationSec: probe.durationSec,
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
