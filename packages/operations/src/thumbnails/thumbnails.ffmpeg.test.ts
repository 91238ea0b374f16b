import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeMedia, runFfmpeg } from '@mediaflow/media';
import { makeTestClip } from '../../../../test/support/media-clips';
import type { FfmpegStep } from '../execution-plan';
import { thumbnails } from './index';

const run = promisify(execFile);

describe('thumbnails (real ffmpeg)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-thumbs-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes exactly `count` images at the capped width, in display orientation', async () => {
    const input = await makeTestClip(dir, 'clip.mp4', { width: 320, height: 180, seconds: 6, rotation: 90 });
    const workDir = path.join(dir, 'work');
    const plan = thumbnails.plan(
      thumbnails.parse({ method_name: 'thumbnails', params: { count: 4, width: 64 } }),
      await probeMedia(input),
      { inputPath: input, workDir, sourceName: 'clip.mp4', defaults: { whisperModel: 'base' } },
    );
    const step = plan.steps[0] as FfmpegStep;
    for (const created of step.createDirs ?? []) await mkdir(path.join(workDir, created), { recursive: true });
    await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec, cwd: workDir });
    expect((await readdir(path.join(workDir, 'thumbnails'))).sort()).toEqual(
      plan.outputs.map((o) => path.basename(o.path)),
    );
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'csv=p=0',
      path.join(workDir, plan.outputs[0].path),
    ]);
    expect(stdout.trim()).toBe('mjpeg,64,114');
  }, 60_000);
});
