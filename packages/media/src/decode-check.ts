import path from 'node:path';
import { FORMAT_WHITELIST } from './allow-lists';
import { captureProcess } from './capture-process';
import { fileUrl } from './input-url';
import type { PacketPassOptions } from './probe-extent';
import { limitedCommand, resourceLimitError, wrappedExecError } from './process-limits';

/**
 * Packets decoded per check. Enough to get past a decoder's start-up delay
 * (B-frame reordering, frame threads), which ffprobe flushes at the end of
 * the interval anyway; few enough that a check costs milliseconds.
 */
const PACKETS_DECODED = 10;

/**
 * Whether the first packets of a file's first stream of `kind` decode into
 * at least one frame. A probe reads headers and a packet pass reads packets;
 * only a decoder shows that the packets are what the headers say. ffprobe
 * runs with the probe's allow-lists and limits.
 *
 * @returns false when the file has no such stream, or none of its first packets decodes.
 * @throws AppError RESOURCE_LIMIT_EXCEEDED when ffprobe hit its limits; JOB_ABORTED when the signal fired.
 * @throws Error when ffprobe cannot be started (a deployment mistake).
 */
export async function firstFramesDecode(
  filePath: string,
  kind: 'video' | 'audio',
  options: PacketPassOptions = {},
): Promise<boolean> {
  const { ffprobePath = 'ffprobe', signal, limits } = options;
  // prettier-ignore
  const args = [
    '-v', 'error',
    '-protocol_whitelist', 'file',
    '-format_whitelist', FORMAT_WHITELIST,
    '-select_streams', kind === 'video' ? 'v:0' : 'a:0',
    '-read_intervals', `%+#${PACKETS_DECODED}`,
    '-show_entries', 'frame=media_type',
    '-print_format', 'csv=print_section=0',
    '-i', fileUrl(path.resolve(filePath)),
  ];
  const command = limitedCommand(ffprobePath, args, limits);
  const result = await captureProcess(command.command, command.args, signal ? { signal } : {});
  const end = { exitCode: result.exitCode, exitSignal: result.signal, stderr: result.stderr };
  const limitError = resourceLimitError('ffprobe', end, limits, command.enforced);
  if (limitError) throw limitError;
  const execError = wrappedExecError(ffprobePath, end, command.command !== ffprobePath);
  if (execError) throw execError;
  if (result.exitCode !== 0) return false;
  return result.stdout.split('\n').some((line) => line.trim() === kind);
}
