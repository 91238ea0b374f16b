import { spawn } from 'node:child_process';
import { AppError } from '@mediaflow/domain';

export interface CapturedProcess {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a short-lived helper (ffprobe, `ffmpeg -encoders`) with an argument
 * array, never a shell, and collects its output. A non-zero exit is returned,
 * not thrown: each caller knows what a failure means for it.
 */
export async function captureProcess(
  binary: string,
  args: readonly string[],
  options: { signal?: AbortSignal; maxOutputBytes?: number } = {},
): Promise<CapturedProcess> {
  const { signal, maxOutputBytes = 64 * 1024 * 1024 } = options;
  if (signal?.aborted) throw abortedError(binary);

  return new Promise<CapturedProcess>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let failure: Error | undefined;

    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > maxOutputBytes) {
        failure ??= new Error(`${binary} wrote more than ${maxOutputBytes} bytes of output`);
        child.kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') failure ??= abortedError(binary, error);
      else failure ??= spawnError(binary, error);
    });
    child.on('close', (exitCode, exitSignal) => {
      if (failure) {
        reject(failure);
        return;
      }
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode,
        signal: exitSignal,
      });
    });
  });
}

/** A binary that cannot be started is a deployment mistake, not a job failure. */
export function spawnError(binary: string, error: NodeJS.ErrnoException): Error {
  const hint =
    error.code === 'ENOENT'
      ? `${binary} was not found: install FFmpeg or point FFMPEG_PATH/FFPROBE_PATH at it`
      : `${binary} could not be started (${error.code ?? error.message})`;
  return new Error(hint, { cause: error });
}

export function abortedError(binary: string, cause?: unknown): AppError {
  return new AppError('JOB_ABORTED', `${binary} was stopped because the job was aborted`, { cause });
}
