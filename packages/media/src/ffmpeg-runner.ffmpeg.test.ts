import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { FfmpegFailure } from './ffmpeg-failure';
import { runFfmpeg } from './ffmpeg-runner';
import type { FfmpegProgress } from './ffmpeg-runner';

// Runs the real ffmpeg with hand-written arguments over synthetic lavfi inputs.
describe('runFfmpeg (real ffmpeg)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-runner-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function synthArgs(seconds: number, output: string, size = '320x240'): string[] {
    // prettier-ignore
    return [
      '-hide_banner', '-y', '-nostdin',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
      '-f', 'mp4', `file:${output}`,
    ];
  }

  it('encodes, reports rising progress that ends at 100 %, and returns the log', async () => {
    const output = path.join(dir, 'progress.mp4');
    const reports: FfmpegProgress[] = [];
    const result = await runFfmpeg({
      args: synthArgs(8, output, '640x480'),
      durationSec: 8,
      onProgress: (progress) => reports.push(progress),
    });

    expect((await stat(output)).size).toBeGreaterThan(10_000);
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.log).toContain('Output #0, mp4');
    expect(result.lastProgress).toMatchObject({ percent: 100, done: true, etaSeconds: 0 });

    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (let at = 1; at < reports.length; at += 1) {
      expect(reports[at].percent).toBeGreaterThanOrEqual(reports[at - 1].percent);
      expect(reports[at].outTimeSec).toBeGreaterThanOrEqual(reports[at - 1].outTimeSec);
    }
    expect(reports.slice(0, -1).every((report) => report.percent < 100 && !report.done)).toBe(true);
    expect(reports.at(-1)).toEqual(result.lastProgress);
    expect(reports.at(-1)!.outTimeSec).toBeCloseTo(8, 0);
  });

  it('stops promptly on abort and rejects with JOB_ABORTED', async () => {
    const output = path.join(dir, 'long.mp4');
    const controller = new AbortController();
    let abortedAt = 0;
    const run = runFfmpeg({
      // prettier-ignore
      args: [
        '-hide_banner', '-y', '-nostdin',
        '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=30',
        '-t', '600',
        '-c:v', 'libx264', '-preset', 'medium',
        '-f', 'mp4', `file:${output}`,
      ],
      durationSec: 600,
      signal: controller.signal,
      onProgress: () => {
        // The first progress block proves FFmpeg is up and encoding.
        if (abortedAt === 0) {
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });

    const error: unknown = await run.catch((reason: unknown) => reason);
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(2500);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'JOB_ABORTED', retryable: true });
  }, 30_000);

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    // A stand-in that ignores SIGTERM, which FFmpeg itself never does reliably on demand.
    const stubborn = path.join(dir, 'stubborn-ffmpeg.sh');
    await writeFile(stubborn, "#!/bin/sh\ntrap '' TERM\nwhile :; do echo progress=continue; sleep 0.1; done\n");
    await chmod(stubborn, 0o755);
    const controller = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => controller.abort(), 200);
    await expect(
      runFfmpeg({ ffmpegPath: stubborn, args: [], durationSec: 1, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'JOB_ABORTED' });
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(4000);
  });

  it('does not start FFmpeg for a signal that is already aborted', async () => {
    const output = path.join(dir, 'never.mp4');
    await expect(
      runFfmpeg({ args: synthArgs(1, output), durationSec: 1, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'JOB_ABORTED' });
    await expect(stat(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects bad arguments with FFMPEG_FAILED, the reason in the message and the log attached', async () => {
    const error: unknown = await runFfmpeg({
      args: ['-hide_banner', '-f', 'lavfi', '-i', 'testsrc', '-t', '1', '-c:v', 'no_such_encoder', '-f', 'null', '-'],
      durationSec: 1,
    }).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(FfmpegFailure);
    const failure = error as FfmpegFailure;
    expect(failure).toBeInstanceOf(AppError);
    expect(failure.code).toBe('FFMPEG_FAILED');
    expect(failure.message).toMatch(/^ffmpeg exited with code \d+: .*no_such_encoder/);
    expect(failure.exitCode).not.toBe(0);
    expect(failure.log).toContain("Unknown encoder 'no_such_encoder'");
    // The log is for operators: it must not reach API clients through details.
    expect(failure.toBody().error).not.toHaveProperty('details');
  });

  it('rejects an unreadable input with FFMPEG_FAILED', async () => {
    const error: unknown = await runFfmpeg({
      args: ['-hide_banner', '-i', `file:${path.join(dir, 'missing.mp4')}`, '-f', 'null', '-'],
      durationSec: 1,
    }).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'FFMPEG_FAILED' });
    expect((error as Error).message).toMatch(/No such file or directory/);
  });

  it('bounds the log, keeping its head and tail', async () => {
    const result = await runFfmpeg({
      // prettier-ignore
      args: [
        '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=25', '-t', '2',
        '-vf', 'showinfo', '-f', 'null', '-',
      ],
      durationSec: 2,
      stderrLimitBytes: 4096,
    });
    expect(result.log).toMatch(/^ffmpeg version /);
    expect(result.log).toMatch(/\[\.\.\. \d+ bytes of log omitted \.\.\.\]/);
    expect(Buffer.byteLength(result.log)).toBeLessThan(4096 + 100);
  });

  it('runs in the given working directory', async () => {
    await runFfmpeg({
      args: ['-y', '-f', 'lavfi', '-i', 'testsrc=size=64x64', '-t', '0.2', '-f', 'mp4', 'relative.mp4'],
      durationSec: 0.2,
      cwd: dir,
    });
    expect((await stat(path.join(dir, 'relative.mp4'))).size).toBeGreaterThan(0);
  });

  it('kills FFmpeg and rejects with the callback’s error when onProgress throws', async () => {
    const bug = new Error('bug in the progress callback');
    await expect(
      runFfmpeg({
        args: synthArgs(30, path.join(dir, 'bug.mp4')),
        durationSec: 30,
        onProgress: () => {
          throw bug;
        },
      }),
    ).rejects.toBe(bug);
  });

  it('throws a plain Error, not an AppError, when the binary is missing', async () => {
    const error: unknown = await runFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg', args: [], durationSec: 0 }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AppError);
    expect((error as Error).message).toMatch(/\/nonexistent\/ffmpeg was not found/);
  });
});
