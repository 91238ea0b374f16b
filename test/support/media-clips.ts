import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClipOptions {
  seconds?: number;
  width?: number;
  height?: number;
  /** false for a video-only clip. */
  audio?: boolean;
  /** Display rotation in degrees, as phones record portrait video. */
  rotation?: number;
  /** Extra output args for the encode. */
  extraArgs?: string[];
  ffmpegPath?: string;
}

/**
 * Writes a short synthetic H.264/AAC MP4 (colour test pattern + 440 Hz tone)
 * and returns its absolute path. Fast enough to make in a beforeAll.
 */
export async function makeTestClip(dir: string, name: string, options: ClipOptions = {}): Promise<string> {
  const {
    seconds = 3,
    width = 320,
    height = 240,
    audio = true,
    rotation,
    extraArgs = [],
    ffmpegPath = 'ffmpeg',
  } = options;
  const output = path.resolve(dir, name);
  const encoded = rotation === undefined ? output : `${output}.unrotated.mp4`;
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-b:a', '96k'] : []),
    ...extraArgs,
    '-f', 'mp4', `file:${encoded}`,
  ];
  await run(ffmpegPath, args);
  if (rotation !== undefined) {
    // FFmpeg 5.1 honours the rotate tag only when stream-copying, hence the second pass.
    // prettier-ignore
    await run(ffmpegPath, [
      '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
      '-i', `file:${encoded}`, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotation}`,
      '-f', 'mp4', `file:${output}`,
    ]);
    await rm(encoded);
  }
  return output;
}
