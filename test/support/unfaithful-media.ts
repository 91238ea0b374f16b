import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Sources whose headers promise more (or other) than their data holds, as
 * users upload them, made with FFmpeg at test time from lavfi sources. Each
 * returns the absolute path of the file it wrote.
 */

const QUIET = ['-hide_banner', '-loglevel', 'error', '-y', '-nostdin'];

/**
 * A Matroska file whose H.264 video plays for `seconds` and whose Opus audio
 * track is declared but holds no packets: the audio source is trimmed away
 * entirely (`atrim` past its end), so the muxer writes the track header and
 * nothing else, as a recorder without a working microphone does.
 */
export async function makeEmptyAudioMkv(dir: string, name: string, seconds = 3): Promise<string> {
  const output = path.resolve(dir, name);
  // prettier-ignore
  await run('ffmpeg', [
    ...QUIET,
    '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1,atrim=start=5',
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'libopus',
    '-f', 'matroska', `file:${output}`,
  ]);
  return output;
}

/**
 * A faststart MP4 (index at the front, stating the full `seconds`) cut off
 * after `keepFraction` of its bytes, as an interrupted upload leaves it.
 * @returns The path and the sizes, so a test can say how much was kept.
 */
export async function makeTruncatedFaststartMp4(
  dir: string,
  name: string,
  options: { seconds?: number; keepFraction?: number } = {},
): Promise<{ file: string; fullBytes: number; keptBytes: number }> {
  const { seconds = 10, keepFraction = 0.4 } = options;
  const full = path.resolve(dir, `full-${name}`);
  // prettier-ignore
  await run('ffmpeg', [
    ...QUIET,
    '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k',
    '-movflags', '+faststart',
    '-f', 'mp4', `file:${full}`,
  ]);
  const bytes = await readFile(full);
  const keptBytes = Math.floor(bytes.length * keepFraction);
  const file = path.resolve(dir, name);
  await writeFile(file, bytes.subarray(0, keptBytes));
  return { file, fullBytes: bytes.length, keptBytes };
}

/**
 * A WebM written to a pipe, as a browser's MediaRecorder or a piped capture
 * writes it: the muxer cannot seek back, so the file has no Duration and no
 * Cues. VP8 + Opus, `seconds` long.
 */
export async function makePipedWebm(
  dir: string,
  name: string,
  options: { seconds?: number; width?: number; height?: number } = {},
): Promise<string> {
  const { seconds = 6, width = 320, height = 240 } = options;
  const output = path.resolve(dir, name);
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    ...QUIET,
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k',
    '-c:a', 'libopus',
    '-f', 'webm', 'pipe:1',
  ], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  await writeFile(output, stdout);
  return output;
}

/** ffprobe's view of a file: its streams' types and codecs, and the container's duration (s, or undefined for N/A). */
export async function ffprobeSummary(
  file: string,
): Promise<{ streams: { codec_type: string; codec_name: string }[]; durationSec: number | undefined }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name:format=duration',
    '-of',
    'json',
    file,
  ]);
  const parsed = JSON.parse(stdout) as {
    streams?: { codec_type: string; codec_name: string }[];
    format?: { duration?: string };
  };
  const duration = Number(parsed.format?.duration);
  return { streams: parsed.streams ?? [], durationSec: Number.isFinite(duration) ? duration : undefined };
}
