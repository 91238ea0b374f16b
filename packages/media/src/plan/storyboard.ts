import { AppError } from '@mediaflow/domain';
import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { inputArgs } from './common-args';
import { displaySize, toEven } from './dimensions';
import { fromPicture, jpegOutputArgs } from './poster';
import { requireVideo } from './require-streams';

/** Default tile width in pixels: what scrubbing previews commonly show. */
export const DEFAULT_TILE_WIDTH = 160;
/** With no interval given, the interval is chosen so there are at most this many tiles. */
export const TARGET_TILE_COUNT = 100;
/**
 * With an explicit interval, at most this many tiles: beyond it the interval
 * is raised. 400 tiles of 320x180 already make a 6400x3600 sprite, near what
 * browsers decode comfortably, and JPEG cannot exceed 65535 on a side.
 */
export const MAX_TILE_COUNT = 400;
/** Columns of a sprite of up to 100 tiles; bigger sprites go square. */
const DEFAULT_COLUMNS = 10;
/**
 * A trailing stretch shorter than this gets no tile of its own (its time is
 * added to the last cue): the container duration can run a frame or so past
 * the last video frame, and a tile there would stay black.
 */
const TRAILING_SLACK_SEC = 0.1;

/** Where every tile sits in the sprite, and which stretch of time it stands for. */
export interface StoryboardGeometry {
  /** Seconds covered: the cues run from 0 to here. */
  durationSec: number;
  /** Seconds between tiles (whole seconds, ≥ 1). */
  intervalSec: number;
  tileCount: number;
  columns: number;
  rows: number;
  /** Tile size in pixels (displayed aspect ratio, even sides). */
  tileWidth: number;
  tileHeight: number;
  /** Sprite size in pixels: columns × tileWidth by rows × tileHeight. */
  spriteWidth: number;
  spriteHeight: number;
}

/**
 * Decides the storyboard's interval and grid for a duration.
 * @param durationSec seconds, > 0.
 * @param video coded size, rotation and SAR (the tiles show the displayed shape).
 * @param options tileWidth pixels (default 160); intervalSec seconds (default: whole seconds giving ≤ 100 tiles).
 * @throws AppError UNSUPPORTED_MEDIA when the duration is unknown (0): neither the tile count nor the cues can be planned.
 */
export function storyboardGeometry(
  durationSec: number,
  video: Pick<VideoStreamInfo, 'width' | 'height' | 'rotation' | 'sampleAspectRatio'>,
  options: { tileWidth?: number; intervalSec?: number } = {},
): StoryboardGeometry {
  if (!(durationSec > 0)) {
    throw new AppError('UNSUPPORTED_MEDIA', 'a storyboard needs the input duration, and it is unknown');
  }
  const counted = (interval: number): number => Math.max(1, Math.ceil((durationSec - TRAILING_SLACK_SEC) / interval));
  let intervalSec = options.intervalSec ?? Math.max(1, Math.ceil(durationSec / TARGET_TILE_COUNT));
  if (counted(intervalSec) > MAX_TILE_COUNT) intervalSec = Math.ceil(durationSec / MAX_TILE_COUNT);
  const tileCount = counted(intervalSec);
  const columns = Math.min(tileCount, Math.max(DEFAULT_COLUMNS, Math.ceil(Math.sqrt(tileCount))));
  const rows = Math.ceil(tileCount / columns);
  const display = displaySize(video);
  const tileWidth = toEven(options.tileWidth ?? DEFAULT_TILE_WIDTH);
  const tileHeight = toEven((tileWidth * display.height) / display.width);
  return {
    durationSec,
    intervalSec,
    tileCount,
    columns,
    rows,
    tileWidth,
    tileHeight,
    spriteWidth: columns * tileWidth,
    spriteHeight: rows * tileHeight,
  };
}

/**
 * A filtergraph chain from `inLabel` to `outLabel` giving the sprite as one
 * frame. `select` keeps the first frame at or after each multiple of the
 * interval (so tile i shows time i × interval, as its cue says) and `tile`
 * lays them out row by row, emitting the sheet once `tileCount` are in (or at
 * the end, blank-filled).
 */
export function storyboardChain(inLabel: string, outLabel: string, geometry: StoryboardGeometry): string {
  // prettier-ignore
  return `[${inLabel}]` + [
    // The comma inside the expression is escaped from the filtergraph parser.
    `select=gte(t\\,selected_n*${geometry.intervalSec})`,
    `scale=w=${geometry.tileWidth}:h=${geometry.tileHeight}`,
    'setsar=1',
    `tile=layout=${geometry.columns}x${geometry.rows}:nb_frames=${geometry.tileCount}`,
    'format=yuvj420p',
  ].join(',') + `[${outLabel}]`;
}

/**
 * The WebVTT index of a sprite (the thumbnail-track convention players such
 * as video.js and JW Player read): one cue per tile, `<sprite>#xywh=x,y,w,h`
 * (W3C Media Fragments spatial dimension), together covering 0 to the
 * duration without gaps.
 * @param spriteUri the sprite's URI relative to the VTT, e.g. "sprite.jpg".
 */
export function storyboardVtt(geometry: StoryboardGeometry, spriteUri: string): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < geometry.tileCount; i += 1) {
    const start = i * geometry.intervalSec;
    const end = i === geometry.tileCount - 1 ? geometry.durationSec : (i + 1) * geometry.intervalSec;
    const x = (i % geometry.columns) * geometry.tileWidth;
    const y = Math.floor(i / geometry.columns) * geometry.tileHeight;
    lines.push(
      `${vttTimestamp(start)} --> ${vttTimestamp(end)}`,
      `${spriteUri}#xywh=${x},${y},${geometry.tileWidth},${geometry.tileHeight}`,
      '',
    );
  }
  return lines.join('\n');
}

/** WebVTT timestamp `hh:mm:ss.ttt` (hours always present: valid for any length). */
export function vttTimestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/**
 * A storyboard as its own FFmpeg run: the sprite JPEG, and the VTT text to
 * write beside it.
 * @param io inputPath and spritePath, absolute.
 * @param options tileWidth pixels; intervalSec seconds (optional).
 * @throws AppError NO_VIDEO_STREAM without video; UNSUPPORTED_MEDIA when the duration is unknown.
 */
export function planStoryboard(
  probe: MediaProbe,
  io: { inputPath: string; spritePath: string },
  options: { tileWidth?: number; intervalSec?: number; spriteUri?: string } = {},
): { args: string[]; geometry: StoryboardGeometry; vtt: string; expectedDurationSec: number } {
  const video = requireVideo(probe, 'storyboard');
  const geometry = storyboardGeometry(probe.durationSec, video, options);
  return {
    args: [
      ...inputArgs({ inputPath: io.inputPath, outputPath: io.spritePath }),
      '-filter_complex',
      fromPicture(video, (label) => storyboardChain(label, 'sprite', geometry)),
      '-map_metadata',
      '-1',
      ...jpegOutputArgs('sprite', io.spritePath, 1),
    ],
    geometry,
    vtt: storyboardVtt(geometry, options.spriteUri ?? 'sprite.jpg'),
    expectedDurationSec: probe.durationSec,
  };
}
