import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import {
  CPU_GRACE_SECONDS,
  findExecutable,
  resourceLimitError,
  wrappedExecError,
  wrapWithLimits,
} from './process-limits';

const tools = { prlimit: '/usr/bin/prlimit', nice: '/usr/bin/nice' };
const all = { memory: true, cpu: true, niceness: true };
const none = { memory: false, cpu: false, niceness: false };

describe('wrapWithLimits', () => {
  it('runs the binary itself when no limits are asked for', () => {
    expect(wrapWithLimits('ffmpeg', ['-i', 'x'], undefined, tools)).toEqual({
      command: 'ffmpeg',
      args: ['-i', 'x'],
      enforced: none,
      missingTools: [],
    });
    expect(wrapWithLimits('ffmpeg', [], { niceness: 0 }, tools).command).toBe('ffmpeg');
  });

  it('chains prlimit and nice, each exec-ing the next, with the binary last', () => {
    const wrapped = wrapWithLimits(
      '/opt/ffmpeg',
      ['-i', 'file:/in'],
      { memoryMb: 512, cpuSeconds: 60, niceness: 10 },
      tools,
    );
    expect(wrapped.command).toBe('/usr/bin/prlimit');
    expect(wrapped.args).toEqual([
      '--core=0',
      `--data=${512 * 1024 * 1024}`,
      `--cpu=60:${60 + CPU_GRACE_SECONDS}`,
      '--',
      '/usr/bin/nice',
      '-n',
      '10',
      '--',
      '/opt/ffmpeg',
      '-i',
      'file:/in',
    ]);
    expect(wrapped.enforced).toEqual(all);
    expect(wrapped.missingTools).toEqual([]);
  });

  it('applies only the limits asked for, and rounds them to whole units', () => {
    const cpuOnly = wrapWithLimits('ffprobe', [], { cpuSeconds: 1.9 }, tools);
    expect(cpuOnly.args).toEqual(['--core=0', `--cpu=1:${1 + CPU_GRACE_SECONDS}`, '--', 'ffprobe']);
    expect(cpuOnly.enforced).toEqual({ memory: false, cpu: true, niceness: false });

    const niceOnly = wrapWithLimits('ffprobe', [], { niceness: 40 }, tools);
    expect([niceOnly.command, ...niceOnly.args]).toEqual(['/usr/bin/nice', '-n', '19', '--', 'ffprobe']);
  });

  it('ignores nonsense values rather than passing them to prlimit', () => {
    const wrapped = wrapWithLimits('ffmpeg', [], { memoryMb: 0, cpuSeconds: -5, niceness: Number.NaN }, tools);
    expect(wrapped.command).toBe('ffmpeg');
  });

  it('runs without the limits whose helper is missing, and says which', () => {
    const noPrlimit = wrapWithLimits(
      'ffmpeg',
      ['-y'],
      { memoryMb: 512, cpuSeconds: 60, niceness: 10 },
      { nice: '/bin/nice' },
    );
    expect([noPrlimit.command, ...noPrlimit.args]).toEqual(['/bin/nice', '-n', '10', '--', 'ffmpeg', '-y']);
    expect(noPrlimit.enforced).toEqual({ memory: false, cpu: false, niceness: true });
    expect(noPrlimit.missingTools).toEqual(['prlimit']);

    const nothing = wrapWithLimits('ffmpeg', ['-y'], { memoryMb: 512, niceness: 10 }, {});
    expect([nothing.command, ...nothing.args]).toEqual(['ffmpeg', '-y']);
    expect(nothing.missingTools).toEqual(['nice', 'prlimit']);
  });
});

describe('resourceLimitError', () => {
  const limits = { memoryMb: 256, cpuSeconds: 30 };

  it('recognises the CPU limit: SIGXCPU, or FFmpeg’s own note that it caught it', () => {
    for (const end of [
      { exitCode: null, exitSignal: 'SIGXCPU' as const, stderr: '' },
      { exitCode: 255, exitSignal: null, stderr: 'frame=1\nExiting normally, received signal 24.\n' },
      { exitCode: 123, exitSignal: null, stderr: 'Received > 3 system signals, hard exiting\n' },
    ]) {
      const error = resourceLimitError('ffmpeg', end, limits, all);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'RESOURCE_LIMIT_EXCEEDED', retryable: false });
      expect(error?.message).toBe('ffmpeg used up its CPU-time limit of 30 s and was stopped');
    }
  });

  it('blames the limits for a SIGKILL nobody in the worker sent', () => {
    const error = resourceLimitError('ffprobe', { exitCode: null, exitSignal: 'SIGKILL', stderr: '' }, limits, all);
    expect(error?.message).toMatch(/^ffprobe was killed by the system after exceeding its CPU-time or memory limit/);
  });

  it.each([
    'x264 [error]: malloc of size 22941440 failed',
    'Error while opening decoder for input stream #0:0 : Resource temporarily unavailable',
    '[h264 @ 0x1] Cannot allocate memory',
    'ffmpeg: error while loading shared libraries: libgsm.so.1: failed to map segment from shared object',
  ])('recognises running out of memory: %s', (stderr) => {
    const error = resourceLimitError('ffmpeg', { exitCode: 1, exitSignal: null, stderr }, limits, all);
    expect(error?.message).toBe('ffmpeg ran out of memory under its limit of 256 MiB');
  });

  it('says nothing about ordinary failures, or about limits that were not enforced', () => {
    const ordinary = { exitCode: 1, exitSignal: null, stderr: "Unknown encoder 'nope'" };
    expect(resourceLimitError('ffmpeg', ordinary, limits, all)).toBeUndefined();
    const xcpu = { exitCode: null, exitSignal: 'SIGXCPU' as const, stderr: '' };
    expect(resourceLimitError('ffmpeg', xcpu, limits, none)).toBeUndefined();
    const killed = { exitCode: null, exitSignal: 'SIGKILL' as const, stderr: '' };
    expect(resourceLimitError('ffmpeg', killed, undefined, none)).toBeUndefined();
    const oom = { exitCode: 1, exitSignal: null, stderr: 'Cannot allocate memory' };
    expect(resourceLimitError('ffmpeg', oom, limits, { ...all, memory: false })).toBeUndefined();
  });
});

describe('wrappedExecError', () => {
  it('turns a wrapper that could not exec the binary into a deployment error', () => {
    const end = {
      exitCode: 127,
      exitSignal: null,
      stderr: 'prlimit: failed to execute /nope/ffmpeg: No such file or directory\n',
    };
    expect(wrappedExecError('/nope/ffmpeg', end, true)?.message).toBe(
      '/nope/ffmpeg was not found: install FFmpeg or point FFMPEG_PATH/FFPROBE_PATH at it',
    );
    const denied = { exitCode: 126, exitSignal: null, stderr: "nice: '/x/ffmpeg': Permission denied\n" };
    expect(wrappedExecError('/x/ffmpeg', denied, true)?.message).toMatch(
      /could not be started \(nice: .*Permission denied\)/,
    );
  });

  it('leaves unwrapped runs and other exit codes alone', () => {
    const end = { exitCode: 127, exitSignal: null, stderr: 'No such file or directory' };
    expect(wrappedExecError('ffmpeg', end, false)).toBeUndefined();
    expect(wrappedExecError('ffmpeg', { ...end, exitCode: 1 }, true)).toBeUndefined();
  });
});

describe('findExecutable', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-which-'));
    await writeFile(path.join(dir, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'tool'), 0o755);
    await writeFile(path.join(dir, 'data'), 'not executable');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds executables on the search path and skips files that are not', () => {
    expect(findExecutable('tool', `/nonexistent${path.delimiter}${dir}`)).toBe(path.join(dir, 'tool'));
    expect(findExecutable('data', dir)).toBeUndefined();
    expect(findExecutable('tool', '')).toBeUndefined();
  });
});
