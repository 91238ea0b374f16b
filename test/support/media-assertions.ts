import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ChromaStats {
  frames: number;
  /** Mean of the per-frame U/V averages; 128 is neutral for 8-bit video. */
  u: number;
  v: number;
  /** Mean saturation; ~0 for grayscale, ~100 for a colour test pattern. */
  satAvg: number;
  /** Extremes over all frames: a grayscale video keeps both close to 128. */
  uMin: number;
  uMax: number;
  vMin: number;
  vMax: number;
}

/**
 * Measures a video's colour with FFmpeg's signalstats filter. Note that u/v
 * (the mean chroma) sit near 128 for colourful footage too: testsrc2 averages
 * about u=129.6, v=127.3 with satAvg≈108. To tell grayscale from colour use
 * satAvg (≈0 for grayscale) or the U/V min-max range.
 */
export async function measureChroma(filePath: string, ffmpegPath = 'ffmpeg'): Promise<ChromaStats> {
  // prettier-ignore
  const { stdout } = await run(
    ffmpegPath,
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-i', `file:${path.resolve(filePath)}`,
      '-map', '0:v:0',
      '-vf', 'signalstats,metadata=print:file=-',
      '-f', 'null', '-',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return parseSignalstats(stdout);
}

export function parseSignalstats(output: string): ChromaStats {
  const sums = { UAVG: 0, VAVG: 0, SATAVG: 0 };
  const stats: ChromaStats = {
    frames: 0,
    u: 0,
    v: 0,
    satAvg: 0,
    uMin: Infinity,
    uMax: -Infinity,
    vMin: Infinity,
    vMax: -Infinity,
  };
  for (const line of output.split('\n')) {
    if (line.startsWith('frame:')) stats.frames += 1;
    const match = /^lavfi\.signalstats\.([A-Z]+)=([\d.]+)/.exec(line.trim());
    if (!match) continue;
    const key = match[1];
    const value = Number(match[2]);
    if (key === 'UAVG' || key === 'VAVG' || key === 'SATAVG') sums[key] += value;
    if (key === 'UMIN') stats.uMin = Math.min(stats.uMin, value);
    if (key === 'UMAX') stats.uMax = Math.max(stats.uMax, value);
    if (key === 'VMIN') stats.vMin = Math.min(stats.vMin, value);
    if (key === 'VMAX') stats.vMax = Math.max(stats.vMax, value);
  }
  if (stats.frames === 0) throw new Error('signalstats reported no frames');
  stats.u = sums.UAVG / stats.frames;
  stats.v = sums.VAVG / stats.frames;
  stats.satAvg = sums.SATAVG / stats.frames;
  return stats;
}
