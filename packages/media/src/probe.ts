import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { FORMAT_WHITELIST } from './allow-lists';
import { captureProcess } from './capture-process';
import { fileUrl } from './input-url';
import { normaliseProbe } from './probe-normalise';
import { readPackets, withPacketExtent } from './probe-extent';
import type { MediaProbe } from './probe-types';
import { limitedCommand, resourceLimitError, wrappedExecError } from './process-limits';
import type { ProcessLimits } from './process-limits';
import { redactPaths } from './redact-paths';

export interface ProbeOptions {
  ffprobePath?: string;
  signal?: AbortSignal;
  /** Memory, CPU-time and priority limits for ffprobe itself. */
  limits?: ProcessLimits;
}

/**
 * Reads a local file's container and stream facts with ffprobe. The input
 * may only be a local file read by an allowed demuxer: playlists, concat
 * lists and image sequences, which make FFmpeg open other files by name,
 * are refused before they read anything. Then every packet is read once
 * (no decoding) to correct the header's promises: see withPacketExtent.
 *
 * @throws AppError NOT_MEDIA, UNSUPPORTED_MEDIA, MEDIA_LIMIT_EXCEEDED, RESOURCE_LIMIT_EXCEEDED, JOB_ABORTED.
 */
export async function probeMedia(filePath: string, options: ProbeOptions = {}): Promise<MediaProbe> {
  const { ffprobePath = 'ffprobe', signal, limits } = options;
  const absolute = path.resolve(filePath);
  const input = fileUrl(absolute);
  // prettier-ignore
  const args = [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-format_whitelist', FORMAT_WHITELIST,
    '-print_format', 'json',
    '-show_format',
    '-show_streams',
    '-i', input,
  ];
  const command = limitedCommand(ffprobePath, args, limits);
  const result = await captureProcess(command.command, command.args, signal ? { signal } : {});
  const stderr = redactPaths(result.stderr, [
    { path: absolute, label: 'input' },
    { path: path.dirname(absolute), label: '<job dir>' },
  ]);
  const end = { exitCode: result.exitCode, exitSignal: result.signal, stderr };

  const limitError = resourceLimitError('ffprobe', end, limits, command.enforced);
  if (limitError) throw limitError;
  const execError = wrappedExecError(ffprobePath, end, command.command !== ffprobePath);
  if (execError) throw execError;

  if (result.exitCode !== 0) {
    const refused = refusedDemuxer(stderr);
    if (refused !== undefined && GUESSED_FROM_NOISE.has(refused)) {
      throw new AppError(
        'NOT_MEDIA',
        `The file is not a readable media file: it has no supported container (FFmpeg's best guess was a raw "${refused}" stream)`,
      );
    }
    if (refused !== undefined) {
      throw new AppError(
        'UNSUPPORTED_MEDIA',
        `The file's container format "${refused}" is not supported; supported: ${FORMAT_WHITELIST.replaceAll(',', ', ')}`,
      );
    }
    const reason = firstLine(stderr) ?? `ffprobe exited with code ${result.exitCode}`;
    throw new AppError('NOT_MEDIA', `The file is not a readable media file: ${reason}`);
  }

  const oversized = invalidPictureSize(stderr);
  if (oversized !== undefined) {
    // FFmpeg blanks a picture size it cannot allocate, so the stream would
    // look like "no video"; the honest answer is that it is too big.
    throw new AppError(
      'MEDIA_LIMIT_EXCEEDED',
      `The video claims a ${oversized} picture, larger than FFmpeg can decode`,
    );
  }

  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch (error) {
    throw new AppError('NOT_MEDIA', 'The file is not a readable media file: ffprobe printed no usable JSON', {
      cause: error,
    });
  }
  // The header alone can promise what the file does not hold (no duration, a
  // cut-off upload, a track without packets): one demux pass checks it.
  const pass = await readPackets(absolute, {
    ffprobePath,
    ...(signal ? { signal } : {}),
    ...(limits ? { limits } : {}),
  });
  return withPacketExtent(normaliseProbe(json), pass);
}

/**
 * Headerless formats FFmpeg settles for when nothing better matches: about
 * 2 % of random 256 KiB blobs named .mp4 probe as raw H.263. Such a file is
 * "not media", not "media in an unsupported container".
 */
const GUESSED_FROM_NOISE = new Set([
  'h261',
  'h263',
  'h264',
  'hevc',
  'm4v',
  'mpegvideo',
  'cavsvideo',
  'vc1',
  'dirac',
  'mjpeg',
  'ac3',
  'eac3',
  'dts',
  'truehd',
  'mlp',
  'loas',
  'lrc',
  'g729',
  'gsm',
]);

/** "[hls @ 0x55d1c0] Format not on whitelist 'mov,…'" → "hls". */
function refusedDemuxer(stderr: string): string | undefined {
  return /^\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/m.exec(stderr)?.[1];
}

/** "[IMGUTILS @ 0x7ffc…] Picture size 100000x100000 is invalid" → "100000x100000". */
function invalidPictureSize(stderr: string): string | undefined {
  return /Picture size (\d+x\d+) is invalid/.exec(stderr)?.[1];
}

function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.length > 0);
  // "[mov,mp4,... @ 0x55d1c0] moov atom not found": the pointer only adds noise.
  return line === undefined ? undefined : line.replace(/ @ 0x[0-9a-f]+\]/i, ']').slice(0, 300);
}
