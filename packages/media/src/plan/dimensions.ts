import { AppError } from '@mediaflow/domain';
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

/** Smallest output side a resize may give, in pixels (the API's own lower bound for width and height). */
export const MIN_RESIZE_SIDE = 16;

/**
 * Largest change of aspect ratio that rounding to even sides may cause (1 %).
 * Rounding moves a side by at most a pixel, so only outputs with a side
 * under ~100 px can exceed it; there a pixel is a visible stretch.
 */
export const MAX_ASPECT_ERROR = 0.01;

/** A candidate output size and how far its shape is from the source's. */
interface Fit {
  size: Size;
  /** The unrounded other side, as the aspect ratio asks for it (px). */
  exact: Size;
  /** |output aspect / source aspect − 1|. */
  aspectError: number;
}

/**
 * The output size of a resize, always with the source's displayed aspect
 * ratio and even sides (4:2:0):
 * - only `width` (or only `height`): that side (made even, never larger),
 *   the other derived, rounded to whichever even neighbour keeps the shape best;
 * - both: the largest size that fits inside the box with the shape kept
 *   (within {@link MAX_ASPECT_ERROR}); a smaller size is fine, the box is a limit;
 * - neither: the same, inside {@link DEFAULT_RESIZE_BOX}.
 *
 * A request this source cannot meet is refused rather than stretched: one
 * side given exactly, where even rounding would distort the shape by more
 * than 1 %, or any request leaving a side under {@link MIN_RESIZE_SIDE} px
 * (2000x16 at width 16 would be 16x0.128). This depends on the source, so it
 * is only known once the job has probed it; the API refuses at submit only
 * what no source could give (a side below 16 or above 7680).
 *
 * @param source The displayed size (see {@link displaySize}), px; may be fractional for non-square pixels.
 * @param request Requested width/height in px.
 * @returns Even width and height in px.
 * @throws AppError RESIZE_IMPOSSIBLE (422, not retryable) naming the computed size, with `details`
 *   (source, requested, computed, rounded, aspect_error_percent, minimum_side and, for a one-side
 *   request, the nearest value that works).
 */
export function targetDimensions(source: Size, request: { width?: number; height?: number }): Size {
  const { width, height } = request;
  const aspect = source.width / source.height;
  if (width !== undefined && height === undefined) {
    const fit = fitToWidth(aspect, evenFloor(width));
    if (!acceptable(fit)) throw impossible(source, request, fit, nearestSide(aspect, evenFloor(width), fitToWidth));
    return fit.size;
  }
  if (height !== undefined && width === undefined) {
    const fit = fitToHeight(aspect, evenFloor(height));
    if (!acceptable(fit)) throw impossible(source, request, fit, nearestSide(aspect, evenFloor(height), fitToHeight));
    return fit.size;
  }
  const box = { width: width ?? DEFAULT_RESIZE_BOX.width, height: height ?? DEFAULT_RESIZE_BOX.height };
  return fitInBox(source, request, box);
}

/**
 * Inside a box only the limiting side is pinned, so when rounding the other
 * would distort, a slightly smaller size with a truer shape is taken instead.
 * Only derived sides under ~100 px can round off by over 1 %, so the search
 * is short; it stops at the first size whose derived side is too small,
 * since smaller ones are smaller still.
 */
function fitInBox(source: Size, request: { width?: number; height?: number }, box: Size): Size {
  const aspect = source.width / source.height;
  const byWidth = aspect >= box.width / box.height;
  const fitSide = byWidth ? fitToWidth : fitToHeight;
  const boxOther = evenFloor(byWidth ? box.height : box.width);
  let first: Fit | undefined;
  for (let side = evenFloor(byWidth ? box.width : box.height); side >= MIN_RESIZE_SIDE; side -= 2) {
    const fit = clampOther(fitSide(aspect, side), byWidth, boxOther, aspect);
    first ??= fit;
    if (Math.min(fit.size.width, fit.size.height) < MIN_RESIZE_SIDE) break;
    if (fit.aspectError <= MAX_ASPECT_ERROR) return fit.size;
  }
  throw impossible(source, request, first ?? fitSide(aspect, MIN_RESIZE_SIDE), undefined);
}

/** Rounding up may poke one pixel out of the box: then the even size below is the only choice. */
function clampOther(fit: Fit, byWidth: boolean, boxOther: number, aspect: number): Fit {
  const other = byWidth ? fit.size.height : fit.size.width;
  if (other <= boxOther) return fit;
  const size = byWidth ? { width: fit.size.width, height: boxOther } : { width: boxOther, height: fit.size.height };
  return { size, exact: fit.exact, aspectError: aspectError(size, aspect) };
}

function fitToWidth(aspect: number, width: number): Fit {
  const exactHeight = width / aspect;
  return bestRounding(aspect, exactHeight, (height) => ({ width, height }), { width, height: exactHeight });
}

function fitToHeight(aspect: number, height: number): Fit {
  const exactWidth = height * aspect;
  return bestRounding(aspect, exactWidth, (width) => ({ width, height }), { width: exactWidth, height });
}

/** The even neighbour of `exact` (below or above, at least 2) that keeps the aspect ratio best. */
function bestRounding(aspect: number, exact: number, sizeOf: (other: number) => Size, exactSize: Size): Fit {
  const below = Math.max(2, Math.floor(exact / 2) * 2);
  const above = Math.max(2, Math.ceil(exact / 2) * 2);
  const fits = [below, above].map((other) => {
    const size = sizeOf(other);
    return { size, exact: exactSize, aspectError: aspectError(size, aspect) };
  });
  // A tie goes up, as toEven rounds halves up.
  return fits[1].aspectError <= fits[0].aspectError ? fits[1] : fits[0];
}

function aspectError(size: Size, aspect: number): number {
  return Math.abs(size.width / size.height / aspect - 1);
}

function acceptable(fit: Fit): boolean {
  return Math.min(fit.size.width, fit.size.height) >= MIN_RESIZE_SIDE && fit.aspectError <= MAX_ASPECT_ERROR;
}

/** The even value nearest `requested` (16..7680, the API's range) whose fit is acceptable, if any. */
function nearestSide(
  aspect: number,
  requested: number,
  fit: (aspect: number, side: number) => Fit,
): number | undefined {
  for (let step = 2; step <= MAX_REQUEST_SIDE; step += 2) {
    for (const side of [requested - step, requested + step]) {
      if (side >= MIN_RESIZE_SIDE && side <= MAX_REQUEST_SIDE && acceptable(fit(aspect, side))) return side;
    }
  }
  return undefined;
}

/** The largest side the API accepts in a resize request. */
const MAX_REQUEST_SIDE = 7680;

function impossible(
  source: Size,
  request: { width?: number; height?: number },
  fit: Fit,
  nearest: number | undefined,
): AppError {
  const side =
    request.width !== undefined && request.height === undefined
      ? 'width'
      : request.height !== undefined && request.width === undefined
        ? 'height'
        : undefined;
  const asked =
    side === undefined
      ? `into ${request.width ?? DEFAULT_RESIZE_BOX.width}x${request.height ?? DEFAULT_RESIZE_BOX.height}`
      : `to ${side} ${request[side]}`;
  const computed = `${px(fit.exact.width)}x${px(fit.exact.height)}`;
  const rounded = `${fit.size.width}x${fit.size.height}`;
  const tooSmall = Math.min(fit.size.width, fit.size.height) < MIN_RESIZE_SIDE;
  const reason = tooSmall
    ? `a side would be under the ${MIN_RESIZE_SIDE} px minimum`
    : `4:2:0 video needs even sides, and ${rounded} would change the aspect ratio by ${percent(fit.aspectError)} % (at most ${percent(MAX_ASPECT_ERROR)} % is allowed)`;
  const hint = side !== undefined && nearest !== undefined ? `; the nearest ${side} that works is ${nearest}` : '';
  return new AppError(
    'RESIZE_IMPOSSIBLE',
    `cannot resize the ${px(source.width)}x${px(source.height)} picture ${asked} without distorting it: it would be ${computed} px (${rounded} in even pixels); ${reason}${hint}`,
    {
      details: {
        source: { width: px(source.width), height: px(source.height) },
        requested: request,
        computed: { width: px(fit.exact.width), height: px(fit.exact.height) },
        rounded: fit.size,
        aspect_error_percent: percent(fit.aspectError),
        minimum_side: MIN_RESIZE_SIDE,
        ...(side !== undefined && nearest !== undefined ? { nearest: { [side]: nearest } } : {}),
      },
    },
  );
}

/** Pixels to at most 3 decimals, for messages: 0.128, 853.333. */
function px(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function percent(ratio: number): number {
  return Math.round(ratio * 1000) / 10;
}
