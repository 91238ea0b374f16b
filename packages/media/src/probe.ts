import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { captureProcess } from './capture-process';
import { fileUrl } from './input-url';
import { normaliseProbe } from './probe-normalise';
import type { MediaProbe } from './probe-types';

export interface ProbeOptions {
  ffprobePath?: string;
  signal?: AbortSignal;
}

/** Reads a local file's container and stream facts with ffprobe. */
export async function probeMedia(filePath: string, options: ProbeOptions = {}): Promise<MediaProbe> {
  const { ffprobePath = 'ffprobe', signal } = options;
  const input = fileUrl(path.resolve(filePath));
  // prettier-ignore
  const args = [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-print_format', 'json',
    '-show_format',
    '-show_streams',
    '-i', input,
  ];
  const result = await captureProcess(ffprobePath, args, signal ? { signal } : {});

  if (result.exitCode !== 0) {
    const reason = firstLine(result.stderr.replaceAll(input, 'input')) ?? `ffprobe exited with code ${result.exitCode}`;
    throw new AppError('NOT_MEDIA', `The file is not a readable media file: ${reason}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch (error) {
    throw new AppError('NOT_MEDIA', 'The file is not a readable media file: ffprobe printed no usable JSON', {
      cause: error,
    });
  }
  return normaliseProbe(json);
}

function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.length > 0);
  // "[mov,mp4,... @ 0x55d1c0] moov atom not found": the pointer only adds noise.
  return line === undefined ? undefined : line.replace(/ @ 0x[0-9a-f]+\]/i, ']').slice(0, 300);
}
