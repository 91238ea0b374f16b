import { FORMAT_WHITELIST } from '../allow-lists';
import { fileUrl } from '../input-url';
import type { PlanIo } from './plan-types';

/** Global options and the one input, the same for every operation. */
export function inputArgs(io: PlanIo): string[] {
  // prettier-ignore
  return [
    '-hide_banner',
    '-y',
    '-nostdin',
    // Both are input options, so they bind this input only (-progress
    // pipe:1 and the output are opened without them). The protocol list stops
    // URLs and devices; the format list stops playlists and concat lists,
    // which would otherwise open other local files by name.
    '-protocol_whitelist', 'file',
    '-format_whitelist', FORMAT_WHITELIST,
    '-i', fileUrl(io.inputPath),
  ];
}

/**
 * Options shared by every output, and the output itself. Metadata is dropped:
 * phone videos carry GPS positions and device details that have no business
 * travelling into a processed copy.
 */
export function outputArgs(io: PlanIo, muxer: string): string[] {
  return ['-map_metadata', '-1', '-threads', '0', '-f', muxer, fileUrl(io.outputPath)];
}

export function mapStream(index: number): string[] {
  return ['-map', `0:${index}`];
}

export function filterArgs(filters: readonly string[]): string[] {
  return filters.length === 0 ? [] : ['-vf', filters.join(',')];
}

/** MP4 and MOV readers can start playing before the whole file has arrived. */
export function faststartArgs(muxer: string): string[] {
  return muxer === 'mp4' || muxer === 'mov' || muxer === 'ipod' ? ['-movflags', '+faststart'] : [];
}
