import type { VideoStreamInfo } from '../probe-types';
import { displaySize, toEven } from './dimensions';
import type { Size } from './dimensions';

/** The default rendition heights (short side, pixels), highest first. */
export const DEFAULT_LADDER_HEIGHTS: readonly number[] = [1080, 720, 480, 360, 240];

/** Frame rates above this are halved (or divided further) so every rung stays within level and bitrate budgets. */
export const MAX_LADDER_FRAME_RATE = 60;

/** The rate assumed, and forced with the fps filter, when the probe states none. */
export const FALLBACK_FRAME_RATE = 30;

/** One H.264 rendition of an adaptive package. */
export interface LadderRung {
  /** Coded = displayed size in pixels (square pixels, even). */
  width: number;
  height: number;
  /** The rung's nominal "height": its short side in pixels (equals height for landscape, width for portrait). */
  shortSide: number;
  /** Frames per second the rendition is encoded at. */
  frameRate: number;
  /** H.264 profile passed to libx264 (`-profile:v`). */
  profile: 'high';
  /** H.264 level as libx264 takes it, e.g. "3.1". */
  level: string;
  /** RFC 6381 `avc1.PPCCLL` codec string for this profile and level, e.g. "avc1.64001f". */
  codec: string;
  /** VBV cap (`-maxrate`), kbit/s. */
  maxrateKbps: number;
  /** VBV buffer (`-bufsize`), kbit. */
  bufsizeKbps: number;
}

/**
 * Peak bitrates (kbit/s) at up to 30 fps for H.264, by short side. Rungs in
 * between are interpolated linearly. The figures are in the range the common
 * published H.264 ladders use (e.g. Apple's HLS authoring guidance).
 */
const BITRATE_ANCHORS: readonly (readonly [number, number])[] = [
  [144, 250],
  [240, 450],
  [360, 850],
  [480, 1400],
  [720, 2800],
  [1080, 5000],
  [1440, 9000],
  [2160, 16000],
];

/**
 * The capped bitrate of a rung: the table above, scaled up for frame rates
 * above 30 (×1.5 at 60 fps, linear in between), since motion costs bits but
 * not twice as many per doubled rate.
 * @param shortSide pixels.
 * @param frameRate frames per second.
 * @returns kbit/s, integer.
 */
export function rungMaxrateKbps(shortSide: number, frameRate: number): number {
  const base = interpolateBitrate(shortSide);
  const fps = Math.min(Math.max(frameRate, 30), MAX_LADDER_FRAME_RATE);
  return Math.round(base * (1 + (0.5 * (fps - 30)) / 30));
}

function interpolateBitrate(shortSide: number): number {
  const first = BITRATE_ANCHORS[0];
  // Below the smallest anchor the bitrate falls with the pixel count.
  if (shortSide <= first[0]) return Math.max(64, first[1] * (shortSide / first[0]) ** 2);
  for (let i = 1; i < BITRATE_ANCHORS.length; i += 1) {
    const [h1, b1] = BITRATE_ANCHORS[i];
    const [h0, b0] = BITRATE_ANCHORS[i - 1];
    if (shortSide <= h1) return b0 + ((b1 - b0) * (shortSide - h0)) / (h1 - h0);
  }
  return BITRATE_ANCHORS.at(-1)![1];
}

/**
 * H.264 levels (ITU-T H.264 Table A-1): max macroblocks/s, max frame size in
 * macroblocks, max video bitrate and CPB (kbit/s, kbit; Baseline/Main
 * figures, High allows 1.25×). Lower levels than 3.0 are not offered: every
 * player that decodes High profile decodes 3.0.
 */
const H264_LEVELS: readonly { level: string; idc: number; mbps: number; fs: number; br: number; cpb: number }[] = [
  { level: '3.0', idc: 30, mbps: 40500, fs: 1620, br: 10000, cpb: 10000 },
  { level: '3.1', idc: 31, mbps: 108000, fs: 3600, br: 14000, cpb: 14000 },
  { level: '3.2', idc: 32, mbps: 216000, fs: 5120, br: 20000, cpb: 20000 },
  { level: '4.0', idc: 40, mbps: 245760, fs: 8192, br: 20000, cpb: 25000 },
  { level: '4.1', idc: 41, mbps: 245760, fs: 8192, br: 50000, cpb: 62500 },
  { level: '4.2', idc: 42, mbps: 522240, fs: 8704, br: 50000, cpb: 62500 },
  { level: '5.0', idc: 50, mbps: 589824, fs: 22080, br: 135000, cpb: 135000 },
  { level: '5.1', idc: 51, mbps: 983040, fs: 36864, br: 240000, cpb: 240000 },
  { level: '5.2', idc: 52, mbps: 2073600, fs: 36864, br: 240000, cpb: 240000 },
];

/** High profile's bitrate and CPB allowance over Table A-1 (cpbBrVclFactor 1250 vs 1000). */
const HIGH_PROFILE_FACTOR = 1.25;

/**
 * The lowest H.264 level (from 3.0) whose limits a High-profile stream of
 * this size, rate and VBV fits, with its RFC 6381 codec string. Deciding it
 * here rather than letting libx264 pick is what lets the master playlist state
 * CODECS before anything is encoded.
 * @param size pixels; @param frameRate frames/s; @param maxrateKbps kbit/s; @param bufsizeKbps kbit.
 * @returns e.g. `{ level: '4.0', codec: 'avc1.640028' }`; level 5.2 when nothing smaller fits.
 */
export function h264Level(
  size: Size,
  frameRate: number,
  maxrateKbps: number,
  bufsizeKbps: number,
): { level: string; codec: string } {
  const widthMbs = Math.ceil(size.width / 16);
  const heightMbs = Math.ceil(size.height / 16);
  const frameMbs = widthMbs * heightMbs;
  const chosen =
    H264_LEVELS.find(
      (l) =>
        frameMbs <= l.fs &&
        frameMbs * frameRate <= l.mbps &&
        // A-3.1 (f): neither side may exceed sqrt(8 × MaxFS) macroblocks.
        Math.max(widthMbs, heightMbs) <= Math.sqrt(8 * l.fs) &&
        maxrateKbps <= l.br * HIGH_PROFILE_FACTOR &&
        bufsizeKbps <= l.cpb * HIGH_PROFILE_FACTOR,
    ) ?? H264_LEVELS.at(-1)!;
  return { level: chosen.level, codec: avc1Codec(0x64, chosen.idc) };
}

/**
 * RFC 6381 §3.3 `avc1.PPCCLL`: profile_idc, constraint flags, level_idc in
 * hex. libx264 writes no constraint flags for High profile, so CC is 00.
 */
export function avc1Codec(profileIdc: number, levelIdc: number): string {
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  return `avc1.${hex(profileIdc)}00${hex(levelIdc)}`;
}

/**
 * The frame rate the ladder is encoded at: the source's, divided by the
 * smallest whole number that brings it to 60 or below (120 → 60, 100 → 50),
 * so the output shows the same motion with whole frames dropped evenly.
 * @param sourceRate frames/s from the probe, undefined when unknown.
 * @returns `{ rate, forced }`; forced means the fps filter must impose it (source too fast or rate unknown).
 */
export function ladderFrameRate(sourceRate: number | undefined): { rate: number; forced: boolean } {
  if (sourceRate === undefined || !Number.isFinite(sourceRate) || sourceRate <= 0) {
    return { rate: FALLBACK_FRAME_RATE, forced: true };
  }
  if (sourceRate <= MAX_LADDER_FRAME_RATE + 0.01) return { rate: sourceRate, forced: false };
  return { rate: sourceRate / Math.ceil(sourceRate / MAX_LADDER_FRAME_RATE), forced: true };
}

/** The largest even number not above `value` (at least 2): never upscale by rounding. */
function evenFloor(value: number): number {
  return Math.max(2, Math.floor(value / 2) * 2);
}

/**
 * The renditions of an adaptive package for a video, highest first.
 *
 * A rung's "height" is its short side, so a portrait video gets the same
 * ladder as its landscape twin. The ladder never upscales: rungs above the
 * source's displayed short side are dropped, and the source's own short side
 * becomes the top rung when it lies below the highest requested rung (540p →
 * 540/480/360/240; a source below every rung → one rung at its own size).
 * Sizes follow the displayed size (rotation and sample aspect ratio applied)
 * and are even; the scale filter keeps the displayed aspect ratio exactly by
 * adjusting the sample aspect ratio by the sub-pixel rounding left over.
 *
 * @param video the probed stream (coded size, rotation in degrees, SAR).
 * @param heights requested short sides in pixels, any order, unique.
 * @returns rungs sorted by short side, descending; never empty.
 */
export function planLadder(
  video: Pick<VideoStreamInfo, 'width' | 'height' | 'rotation' | 'sampleAspectRatio' | 'fps'>,
  heights: readonly number[] = DEFAULT_LADDER_HEIGHTS,
): LadderRung[] {
  const display = displaySize(video);
  const portrait = display.height > display.width;
  const sourceShort = Math.min(display.width, display.height);
  const sourceLong = Math.max(display.width, display.height);
  const aspect = sourceLong / sourceShort;
  const { rate } = ladderFrameRate(video.fps);

  const requested = [...heights].sort((a, b) => b - a);
  const kept = requested.filter((h) => h <= sourceShort);
  // The source's own size joins as the top rung when the ladder went above it.
  if (requested.length > 0 && requested[0] > sourceShort && !kept.includes(sourceShort)) kept.unshift(sourceShort);

  const shortSides = [...new Set(kept.map(evenFloor))];
  return shortSides.map((shortSide) => {
    const longSide = Math.min(toEven(shortSide * aspect), evenFloor(sourceLong));
    const size = portrait ? { width: shortSide, height: longSide } : { width: longSide, height: shortSide };
    const maxrateKbps = rungMaxrateKbps(shortSide, rate);
    const bufsizeKbps = maxrateKbps * 2;
    const { level, codec } = h264Level(size, rate, maxrateKbps, bufsizeKbps);
    return { ...size, shortSide, frameRate: rate, profile: 'high', level, codec, maxrateKbps, bufsizeKbps };
  });
}
