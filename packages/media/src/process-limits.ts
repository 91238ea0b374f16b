import { accessSync, constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';

/**
 * Kernel-enforced ceilings for one FFmpeg or ffprobe process, so a hostile
 * file that slips past the probe checks (a decoder bug, a decompression bomb)
 * costs a bounded amount of memory and CPU instead of the whole worker.
 */
export interface ProcessLimits {
  /**
   * Ceiling on private writable memory (heap, anonymous mappings, thread
   * stacks), in MiB. It is RLIMIT_DATA, not RLIMIT_AS: the address space also
   * counts shared libraries and glibc's per-thread arena reservations, which
   * grow with the core count and not with real use.
   */
  memoryMb?: number;
  /** Ceiling on CPU time summed over all threads, in seconds. */
  cpuSeconds?: number;
  /** Scheduling niceness, 1 (slightly lower) to 19 (lowest); 0 or unset leaves it alone. */
  niceness?: number;
}

/** Absolute paths of the helpers that apply limits; a missing one leaves its limits off. */
export interface LimitTools {
  prlimit?: string;
  nice?: string;
}

export interface LimitedCommand {
  command: string;
  args: string[];
  /** The limits the kernel really enforces on this run. */
  enforced: { memory: boolean; cpu: boolean; niceness: boolean };
  /** Helpers a requested limit needed but that were not found. */
  missingTools: string[];
}

/**
 * After SIGXCPU at the soft CPU limit FFmpeg stops and closes its files; the
 * hard limit, this much later, is SIGKILL for a process that does not.
 */
export const CPU_GRACE_SECONDS = 5;

/**
 * Builds `prlimit --data=… --cpu=soft:hard --core=0 -- nice -n N -- binary args…`.
 * Both helpers exec the next program in place, so the spawned PID is
 * FFmpeg's own and signals reach it directly. Pure: the tools are given.
 */
export function wrapWithLimits(
  binary: string,
  args: readonly string[],
  limits: ProcessLimits | undefined,
  tools: LimitTools,
): LimitedCommand {
  const memoryMb = positiveInt(limits?.memoryMb);
  const cpuSeconds = positiveInt(limits?.cpuSeconds);
  const niceness = positiveInt(limits?.niceness);
  const missingTools: string[] = [];
  let argv = [binary, ...args];

  const { nice, prlimit } = tools;
  if (niceness !== undefined && nice === undefined) missingTools.push('nice');
  const useNice = niceness !== undefined && nice !== undefined;
  if (useNice) argv = [nice, '-n', String(Math.min(niceness, 19)), '--', ...argv];

  const rlimits = [
    ...(memoryMb === undefined ? [] : [`--data=${memoryMb * 1024 * 1024}`]),
    ...(cpuSeconds === undefined ? [] : [`--cpu=${cpuSeconds}:${cpuSeconds + CPU_GRACE_SECONDS}`]),
  ];
  if (rlimits.length > 0 && prlimit === undefined) missingTools.push('prlimit');
  const usePrlimit = rlimits.length > 0 && prlimit !== undefined;
  // --core=0: a crash under a limit must not leave a multi-gigabyte core file behind.
  if (usePrlimit) argv = [prlimit, '--core=0', ...rlimits, '--', ...argv];

  return {
    command: argv[0],
    args: argv.slice(1),
    enforced: {
      memory: usePrlimit && memoryMb !== undefined,
      cpu: usePrlimit && cpuSeconds !== undefined,
      niceness: useNice,
    },
    missingTools,
  };
}

/**
 * wrapWithLimits with the helpers found on PATH. A missing helper is warned
 * about once per process, and the command runs without that limit rather
 * than not at all: the limits are a second line of defence behind the probe
 * checks, and a worker on a host without util-linux should still work.
 */
export function limitedCommand(
  binary: string,
  args: readonly string[],
  limits: ProcessLimits | undefined,
): LimitedCommand {
  const command = wrapWithLimits(binary, args, limits, limitTools());
  for (const tool of command.missingTools) warnOnce(tool);
  return command;
}

let cachedTools: LimitTools | undefined;

function limitTools(): LimitTools {
  if (!cachedTools) {
    const prlimit = findExecutable('prlimit');
    const nice = findExecutable('nice');
    cachedTools = { ...(prlimit ? { prlimit } : {}), ...(nice ? { nice } : {}) };
  }
  return cachedTools;
}

export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

const warned = new Set<string>();

function warnOnce(tool: string): void {
  if (warned.has(tool)) return;
  warned.add(tool);
  const what = tool === 'nice' ? 'at normal priority' : 'without memory and CPU-time limits';
  process.emitWarning(`${tool} was not found on PATH; FFmpeg and ffprobe run ${what}`, {
    code: 'MEDIAFLOW_LIMITS_UNAVAILABLE',
  });
}

export interface ProcessEnd {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** The end of the process's stderr. */
  stderr: string;
}

// What FFmpeg, its libraries and the dynamic loader print when an allocation
// or a thread fails under RLIMIT_DATA. Some allocation failures are reported
// only as a generic error; those stay FFMPEG_FAILED, equally final.
const ALLOCATION_FAILURE =
  /Cannot allocate memory|malloc of size \d+ failed|out of memory|Resource temporarily unavailable|failed to map segment/i;

/**
 * RESOURCE_LIMIT_EXCEEDED when a process ended because of a limit this run
 * enforced, undefined otherwise. The caller must not ask about a process it
 * killed itself.
 */
export function resourceLimitError(
  name: string,
  end: ProcessEnd,
  limits: ProcessLimits | undefined,
  enforced: LimitedCommand['enforced'],
): AppError | undefined {
  const sigxcpu = os.constants.signals.SIGXCPU;
  const cpuHit =
    enforced.cpu &&
    (end.exitSignal === 'SIGXCPU' ||
      // FFmpeg catches SIGXCPU, finishes its files and says so.
      new RegExp(`received signal ${sigxcpu}\\b`).test(end.stderr) ||
      /Received > 3 system signals/.test(end.stderr));
  if (cpuHit) {
    return new AppError(
      'RESOURCE_LIMIT_EXCEEDED',
      `${name} used up its CPU-time limit of ${limits?.cpuSeconds ?? '?'} s and was stopped`,
    );
  }
  if ((enforced.cpu || enforced.memory) && end.exitSignal === 'SIGKILL') {
    return new AppError(
      'RESOURCE_LIMIT_EXCEEDED',
      `${name} was killed by the system after exceeding its CPU-time or memory limit`,
    );
  }
  if (enforced.memory && end.exitCode !== 0 && ALLOCATION_FAILURE.test(end.stderr)) {
    return new AppError(
      'RESOURCE_LIMIT_EXCEEDED',
      `${name} ran out of memory under its limit of ${limits?.memoryMb ?? '?'} MiB`,
    );
  }
  return undefined;
}

/**
 * The wrapper started but could not exec the real binary (126: not
 * executable, 127: not found): a deployment mistake, like ENOENT on spawn.
 */
export function wrappedExecError(binary: string, end: ProcessEnd, wrapped: boolean): Error | undefined {
  if (!wrapped || (end.exitCode !== 126 && end.exitCode !== 127)) return undefined;
  const reason = end.stderr.trim().split(/\r?\n/).at(-1) ?? '';
  if (/error while loading shared libraries/.test(reason)) return undefined;
  const hint = /No such file|not found/i.test(reason)
    ? `${binary} was not found: install FFmpeg or point FFMPEG_PATH/FFPROBE_PATH at it`
    : `${binary} could not be started (${reason || `exit code ${end.exitCode}`})`;
  return new Error(hint);
}

function positiveInt(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : undefined;
}
