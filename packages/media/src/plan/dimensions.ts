import type { VideoStreamInfo } from '../probe-types';

export interface Size {
  width: number;
  height: number;
}

export const DEFAULT_RESIZE_BOX: Size = { width: 1280, height: 720 };

/** Nearest even number, at least 2: 4:2:0 video needs even sizes. */
export function toEven(value: number): number {
  return Math.max(2, Math.round(value / 2) * 2);
}

/** The largest even number not above `limit` (at least 2). */
function evenFloor(limit: number): number {
  return Math.max(2, Math.floor(limit / 2) * 2);
}

/**
 * The largest size with the source's aspect ratio that fits inside the box.
 * The limiting side is fixed first and the other derived from it, so rounding
 * to even never skews the shape by more than a pixel.
 */
export function fitWithin(source: Size, box: Size): Size {
  const aspect = source.width / source.height;
  if (aspect >= box.width / box.height) {
    const width = evenFloor(box.width);
    return { width, height: Math.min(toEven(width / aspect), evenFloor(box.height)) };
  }
  const height = evenFloor(box.height);
  return { width: Math.min(toEven(height * aspect), evenFloor(box.width)), height };
}

/**
 * The size frames are shown at: quarter-turn rotation swaps the sides and
 * non-square pixels stretch the width. This is what viewers see, so it is what
 * a resize must preserve the shape of.
 */
export function displaySize(video: Pick<VideoStreamInfo, 'width' | 'height' | 'rotation' | 'sampleAspectRatio'>): Size {
  const width = video.width * (video.sampleAspectRatio ?? 1);
  const quarterTurn = video.rotation === 90 || video.rotation === 270;
  return quarterTurn ? { width: video.height, height: width } : { width, height: video.height };
}

/**
 * The output size of a resize: both sides given → fit inside that box; one
 * side → the other follows the aspect ratio; neither → fit inside 1280x720.
 * Never stretches.
 */
export function targetDimensions(source: Size, request: { width?: number; height?: number }): Size {
  const { width, height } = request;
  if (width !== undefined && height === undefined) {
    const evenWidth = evenFloor(width);
    return { width: evenWidth, height: toEven((evenWidth * source.height) / source.width) };
  }
  if (height !== undefined && width === undefined) {
    const evenHeight = evenFloor(height);
    return { width: toEven((evenHeight * source.width) / source.height), height: evenHeight };
  }
  return fitWithin(source, { width: width ?? DEFAULT_RESIZE_BOX.width, height: height ?? DEFAULT_RESIZE_BOX.height });
}
