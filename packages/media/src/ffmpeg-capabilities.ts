import { captureProcess } from './capture-process';

export const REQUIRED_ENCODERS = ['libx264', 'aac', 'libmp3lame', 'libopus', 'libvpx-vp9', 'pcm_s16le'] as const;

export interface FfmpegCapabilities {
  /** e.g. "5.1.9-0+deb12u1". */
  version: string;
  ffprobeVersion: string;
  encoders: Set<string>;
}

/**
 * Parses `ffmpeg -hide_banner -encoders`: a legend, a "------" rule, then one
 * line per encoder: flags (V/A/S and five more columns), name, description.
 */
export function parseEncoders(output: string): Set<string> {
  const encoders = new Set<string>();
  const lines = output.split(/\r?\n/);
  const rule = lines.findIndex((line) => line.trim() === '------');
  for (const line of lines.slice(rule + 1)) {
    const match = /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line);
    if (match) encoders.add(match[1]);
  }
  return encoders;
}

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright ..." → "5.1.9-0+deb12u1". */
export function parseVersion(output: string): string | undefined {
  return /^\S+ version (\S+)/m.exec(output)?.[1];
}

/**
 * Fails fast at start-up when FFmpeg or ffprobe is missing, or when the build
 * lacks an encoder the operations use, instead of failing every job later.
 */
export async function checkFfmpeg(
  paths: { ffmpegPath?: string; ffprobePath?: string } = {},
  requiredEncoders: readonly string[] = REQUIRED_ENCODERS,
): Promise<FfmpegCapabilities> {
  const { ffmpegPath = 'ffmpeg', ffprobePath = 'ffprobe' } = paths;
  const [versionRun, encodersRun, probeRun] = await Promise.all([
    captureProcess(ffmpegPath, ['-hide_banner', '-version']),
    captureProcess(ffmpegPath, ['-hide_banner', '-encoders']),
    captureProcess(ffprobePath, ['-hide_banner', '-version']),
  ]);

  const version = versionRun.exitCode === 0 ? parseVersion(versionRun.stdout) : undefined;
  if (version === undefined) throw new Error(`${ffmpegPath} -version failed: ${summary(versionRun.stderr)}`);
  const ffprobeVersion = probeRun.exitCode === 0 ? parseVersion(probeRun.stdout) : undefined;
  if (ffprobeVersion === undefined) throw new Error(`${ffprobePath} -version failed: ${summary(probeRun.stderr)}`);
  if (encodersRun.exitCode !== 0) throw new Error(`${ffmpegPath} -encoders failed: ${summary(encodersRun.stderr)}`);

  const encoders = parseEncoders(encodersRun.stdout);
  const missing = requiredEncoders.filter((name) => !encoders.has(name));
  if (missing.length > 0) {
    throw new Error(
      `FFmpeg ${version} at ${ffmpegPath} lacks required encoder(s): ${missing.join(', ')}. ` +
        'Install a build with them (Debian/Ubuntu "ffmpeg" has all of them).',
    );
  }
  return { version, ffprobeVersion, encoders };
}

function summary(stderr: string): string {
  return stderr.trim().split(/\r?\n/).slice(-3).join(' | ') || 'no output';
}
