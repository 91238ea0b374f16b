import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeMedia, runFfmpeg } from '@mediaflow/media';
import { makeTestClip } from '../../../../test/support/media-clips';
import type { FfmpegStep, WriteTextStep } from '../execution-plan';
import { storyboard } from './index';

const run = promisify(execFile);

describe('storyboard (real ffmpeg)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-storyboard-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the sprite has the size the VTT cues address', async () => {
    const input = await makeTestClip(dir, 'clip.mp4', { width: 320, height: 240, seconds: 7 });
    const workDir = path.join(dir, 'work');
    const plan = storyboard.plan(
      storyboard.parse({ method_name: 'storyboard', params: { interval_seconds: 2, tile_width: 80 } }),
      await probeMedia(input),
      { inputPath: input, workDir, sourceName: 'clip.mp4', defaults: { whisperModel: 'base' } },
    );
    const step = plan.steps[0] as FfmpegStep;
    for (const created of step.createDirs ?? []) await mkdir(path.join(workDir, created), { recursive: true });
    await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec, cwd: workDir });
    const vtt = (plan.steps[1] as WriteTextStep).content;
    const tiles = [...vtt.matchAll(/#xywh=(\d+),(\d+),(\d+),(\d+)/g)].map((m) => m.slice(1).map(Number));
    // 7 s every 2 s: 4 tiles of 80x60 in one row.
    expect(tiles).toEqual([
      [0, 0, 80, 60],
      [80, 0, 80, 60],
      [160, 0, 80, 60],
      [240, 0, 80, 60],
    ]);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'csv=p=0',
      path.join(workDir, 'storyboard/sprite.jpg'),
    ]);
    expect(stdout.trim()).toBe('mjpeg,320,60');
  }, 60_000);
});
