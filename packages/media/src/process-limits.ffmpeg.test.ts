import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { makeTestClip } from '../../../test/support/media-clips';
import { FfmpegFailure } from './ffmpeg-failure';
import { runFfmpeg } from './ffmpeg-runner';
import { planCompress } from './plan';
import { probeMedia } from './probe';
import { CPU_GRACE_SECONDS, findExecutable } from './process-limits';

// The kernel limits for real: prlimit and nice from util-linux/coreutils,
// FFmpeg and ffprobe pushed over them.
const hasPrlimit = findExecutable('prlimit') !== undefined;
const describeWithPrlimit = hasPrlimit ? describe : describe.skip;

// The compress operation's defaults (crf 28, veryfast): the encode a default job runs.
const COMPRESS_DEFAULTS = { params: { crf: 28, preset: 'veryfast' } };

describeWithPrlimit('process limits (real ffmpeg, prlimit)', () => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-limits-'));
    clip = await makeTestClip(dir, 'clip.mp4', { seconds: 2 });
  }, 30_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands FFmpeg the limits and the lower priority, in its own process', async () => {
    // A stand-in that reports what it was started with.
    const report = path.join(dir, 'limits.txt');
    const stub = path.join(dir, 'report-ffmpeg.sh');
    await writeFile(
      stub,
      `#!/bin/sh\n{ echo "pid=$$"; cut -d' ' -f19 /proc/self/stat; cat /proc/self/limits; } > '${report}'\n`,
    );
    await chmod(stub, 0o755);
    await runFfmpeg({
      ffmpegPath: stub,
      args: [],
      durationSec: 0,
      limits: { memoryMb: 300, cpuSeconds: 7, niceness: 10 },
    });

    const seen = await readFile(report, 'utf8');
    const lines = seen.split('\n');
    // /proc/self/stat belongs to `cut`, a child of the stub: it inherits the niceness.
    expect(lines[1]).toBe('10');
    expect(seen).toMatch(new RegExp(`Max cpu time\\s+7\\s+${7 + CPU_GRACE_SECONDS}\\s+seconds`));
    expect(seen).toMatch(new RegExp(`Max data size\\s+${300 * 1024 * 1024}\\s+${300 * 1024 * 1024}\\s+bytes`));
    expect(seen).toMatch(/Max core file size\s+0\s+0\s+bytes/);
  });

  it('stops a long encode at its CPU-time limit with RESOURCE_LIMIT_EXCEEDED', async () => {
    const startedAt = Date.now();
    const error: unknown = await runFfmpeg({
      // prettier-ignore
      args: [
        '-hide_banner', '-y', '-nostdin',
        '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '600',
        '-c:v', 'libx264', '-preset', 'medium', '-f', 'mp4', `file:${path.join(dir, 'long.mp4')}`,
      ],
      durationSec: 600,
      cwd: dir,
      limits: { cpuSeconds: 1 },
    }).catch((reason: unknown) => reason);

    // 1 s of CPU, however long a loaded machine takes to hand it out; the encode itself would take minutes.
    expect(Date.now() - startedAt).toBeLessThan(90_000);
    expect(error).toBeInstanceOf(FfmpegFailure);
    const failure = error as FfmpegFailure;
    expect(failure).toMatchObject({ code: 'RESOURCE_LIMIT_EXCEEDED', status: 422, retryable: false });
    expect(failure.message).toBe('ffmpeg used up its CPU-time limit of 1 s and was stopped');
    // The log still goes to the job's owner.
    expect(failure.log).toMatch(/received signal 24/);
  }, 120_000);

  it('fails an encode that needs more memory than allowed with RESOURCE_LIMIT_EXCEEDED', async () => {
    // prettier-ignore
    const args = [
      '-hide_banner', '-y', '-nostdin',
      '-i', `file:${clip}`, '-vf', 'scale=3840:2160',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mp4', `file:${path.join(dir, 'big.mp4')}`,
    ];
    const error: unknown = await runFfmpeg({ args, durationSec: 2, cwd: dir, limits: { memoryMb: 96 } }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(FfmpegFailure);
    expect(error).toMatchObject({
      code: 'RESOURCE_LIMIT_EXCEEDED',
      message: 'ffmpeg ran out of memory under its limit of 96 MiB',
    });
    expect((error as FfmpegFailure).log).toMatch(/Cannot allocate memory|malloc of size \d+ failed/);

    // The same encode passes under the default 4 GiB.
    await expect(runFfmpeg({ args, durationSec: 2, cwd: dir, limits: { memoryMb: 4096 } })).resolves.toBeDefined();
  }, 180_000);

  it('fails ffprobe that cannot start within its memory limit with RESOURCE_LIMIT_EXCEEDED', async () => {
    await expect(probeMedia(clip, { limits: { memoryMb: 8 } })).rejects.toMatchObject({
      code: 'RESOURCE_LIMIT_EXCEEDED',
      message: 'ffprobe ran out of memory under its limit of 8 MiB',
    });
    await expect(probeMedia(clip, { limits: { memoryMb: 256, cpuSeconds: 60, niceness: 10 } })).resolves.toMatchObject({
      video: { codec: 'h264' },
    });
  });

  it('still reports a missing binary as a deployment error, not a job failure', async () => {
    const attempts = [
      async () =>
        runFfmpeg({
          ffmpegPath: '/nonexistent/ffmpeg',
          args: [],
          durationSec: 0,
          limits: { memoryMb: 512, niceness: 10 },
        }),
      async () => probeMedia(clip, { ffprobePath: '/nonexistent/ffprobe', limits: { cpuSeconds: 10 } }),
    ];
    for (const attempt of attempts) {
      const error: unknown = await attempt().catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(AppError);
      expect((error as Error).message).toMatch(/\/nonexistent\/ff(mpeg|probe) was not found/);
    }
  });

  it('keeps the job directory out of failure messages but in the log', async () => {
    const jobDir = await mkdtemp(path.join(dir, 'mediaflow-job-'));
    const inputPath = path.join(jobDir, 'source.mp4');
    await writeFile(inputPath, randomBytes(32 * 1024));
    const plan = planCompress(
      COMPRESS_DEFAULTS,
      {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        durationSec: 1,
        sizeBytes: 1,
        streamCount: 1,
        video: { index: 0, codec: 'h264', width: 64, height: 64 },
      },
      { inputPath, outputPath: path.join(jobDir, 'output.mp4') },
    );
    const error: unknown = await runFfmpeg({
      args: plan.args,
      durationSec: 1,
      cwd: jobDir,
      limits: { niceness: 10 },
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(FfmpegFailure);
    const failure = error as FfmpegFailure;
    expect(failure.code).toBe('FFMPEG_FAILED');
    expect(failure.message).toMatch(
      /^ffmpeg exited with code \d+: .*<input>: Invalid data found when processing input/,
    );
    expect(failure.message).not.toContain(jobDir);
    expect(failure.message).not.toContain(tmpdir());
    expect(failure.log).toContain(`file:${inputPath}`);
  });
});
