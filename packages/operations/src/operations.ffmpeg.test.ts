import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeMedia, runFfmpeg } from '@mediaflow/media';
import type { FfmpegProgress, MediaProbe } from '@mediaflow/media';
import { measureChroma } from '../../../test/support/media-assertions';
import { makeTestClip } from '../../../test/support/media-clips';
import type { ExecutionPlan, FfmpegStep } from './execution-plan';
import { findOperation } from './registry';

/**
 * The streams an argv passes through untouched. The plan no longer carries
 * the builder's copiedStreams (that is tested on the builders in
 * @mediaflow/media), so this reads what FFmpeg is actually told.
 */
function copiedStreams(args: string[]): string[] {
  const codec = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at < 0 ? undefined : args[at + 1];
  };
  return [...(codec('-c:v') === 'copy' ? ['video'] : []), ...(codec('-c:a') === 'copy' ? ['audio'] : [])];
}

// Every single-output operation end to end on the real FFmpeg, reached the
// way the worker reaches it: parse through the registry, plan from a real
// probe into a fresh work directory, run the plan's FFmpeg step, then probe
// the primary output. Inputs are 3 s synthetic 320x240 clips.
describe('operations (real ffmpeg)', () => {
  let dir: string;
  let clip: string;
  let silentClip: string;
  let portraitClip: string;
  let dashClip: string;
  let jobs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-ops-'));
    [clip, silentClip, portraitClip, dashClip] = await Promise.all([
      makeTestClip(dir, 'clip.mp4'),
      makeTestClip(dir, 'silent.mp4', { audio: false }),
      // A phone-style portrait video: landscape pixels plus a 90° display rotation.
      makeTestClip(dir, 'portrait.mp4', { rotation: 90 }),
      makeTestClip(dir, '-dash name.mp4', { seconds: 2 }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface Ran {
    plan: ExecutionPlan;
    /** The argv of the plan's FFmpeg step, to see which streams were copied. */
    args: string[];
    output: MediaProbe;
    outputPath: string;
  }

  async function runOperation(
    input: string,
    operationInput: { method_name: string } & Record<string, unknown>,
    onProgress?: (progress: FfmpegProgress) => void,
  ): Promise<Ran> {
    const operation = findOperation(operationInput.method_name);
    if (!operation) throw new Error(`no operation "${operationInput.method_name}"`);
    // A work directory per job, as the worker has: outputs are named after the source, so two runs would collide.
    jobs += 1;
    const workDir = path.join(dir, `job-${jobs}`);
    await mkdir(workDir);
    const plan = operation.plan(operation.parse(operationInput), await probeMedia(input), {
      inputPath: input,
      workDir,
      sourceName: path.basename(input),
      defaults: { whisperModel: 'base' },
    });
    expect(plan.steps).toHaveLength(1);
    const step = plan.steps[0] as FfmpegStep;
    expect(step.kind).toBe('ffmpeg');
    await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec, ...(onProgress ? { onProgress } : {}) });
    const primary = plan.outputs.find((output) => output.primary === true);
    if (!primary) throw new Error('the plan has no primary output');
    const outputPath = path.join(workDir, primary.path);
    return { plan, args: step.args, output: await probeMedia(outputPath), outputPath };
  }

  function expectDuration(probe: MediaProbe, seconds = 3): void {
    expect(Math.abs(probe.durationSec - seconds)).toBeLessThanOrEqual(0.3);
  }

  describe('compress', () => {
    it('produces H.264/AAC MP4 at the same size and duration, reporting progress', async () => {
      const reports: FfmpegProgress[] = [];
      const { plan, output } = await runOperation(clip, { method_name: 'compress', params: { crf: 35 } }, (p) =>
        reports.push(p),
      );
      expect(plan.outputs[0]).toMatchObject({ kind: 'video', path: 'clip_compress.mp4', contentType: 'video/mp4' });
      expect(output.formatName).toContain('mp4');
      expect(output.video).toMatchObject({ codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p' });
      expect(output.audio).toMatchObject({ codec: 'aac' });
      expectDuration(output);
      expect(reports.at(-1)).toMatchObject({ percent: 100, done: true });
    });

    it('keeps a silent input silent', async () => {
      const { output } = await runOperation(silentClip, { method_name: 'compress' });
      expect(output.video?.codec).toBe('h264');
      expect(output.audio).toBeUndefined();
    });
  });

  describe('extract_audio', () => {
    it.each([
      ['mp3', 'mp3', 'mp3'],
      ['m4a', 'aac', 'mp4'],
      ['wav', 'pcm_s16le', 'wav'],
      ['opus', 'opus', 'ogg'],
    ])('%s: audio only, %s', async (format, codec, container) => {
      const { output } = await runOperation(clip, { method_name: 'extract_audio', output_format: format });
      expect(output.video).toBeUndefined();
      expect(output.audio?.codec).toBe(codec);
      expect(output.formatName).toContain(container);
      expect(output.streamCount).toBe(1);
      expectDuration(output);
    });

    it('rejects a silent input before FFmpeg runs', async () => {
      await expect(runOperation(silentClip, { method_name: 'extract_audio' })).rejects.toMatchObject({
        code: 'NO_AUDIO_STREAM',
      });
    });
  });

  describe('resize', () => {
    it('to a width, keeping the shape', async () => {
      const { output } = await runOperation(clip, { method_name: 'resize', params: { width: 160 } });
      expect(output.video).toMatchObject({ codec: 'h264', width: 160, height: 120 });
      expect(output.audio?.codec).toBe('aac');
      expectDuration(output);
    });

    it('into a box, as VP9/Opus WebM', async () => {
      const { output } = await runOperation(clip, {
        method_name: 'resize',
        output_format: 'webm',
        params: { width: 200, height: 200 },
      });
      expect(output.formatName).toContain('webm');
      expect(output.video).toMatchObject({ codec: 'vp9', width: 200, height: 150 });
      expect(output.audio?.codec).toBe('opus');
      expectDuration(output);
    });

    it('keeps a rotated portrait video upright and portrait', async () => {
      const { output } = await runOperation(portraitClip, { method_name: 'resize', params: { height: 480 } });
      // 320x240 shown rotated is 240x320; at 480 high that is 360x480, with the rotation baked in.
      expect(output.video).toMatchObject({ width: 360, height: 480 });
      expect(output.video?.rotation).toBeUndefined();
    });
  });

  describe('convert_format', () => {
    it('MP4 → MKV is a stream copy', async () => {
      const { args, output } = await runOperation(clip, { method_name: 'convert_format', output_format: 'mkv' });
      expect(copiedStreams(args)).toEqual(['video', 'audio']);
      expect(output.formatName).toContain('matroska');
      expect(output.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(output.audio?.codec).toBe('aac');
      expectDuration(output);
    });

    it('MP4 → WebM re-encodes to VP9/Opus', async () => {
      const { args, output } = await runOperation(clip, { method_name: 'convert_format', output_format: 'webm' });
      expect(copiedStreams(args)).toEqual([]);
      expect(output.formatName).toContain('webm');
      expect(output.video).toMatchObject({ codec: 'vp9', width: 320, height: 240 });
      expect(output.audio?.codec).toBe('opus');
      expectDuration(output);
    });

    it('MP4 → MOV copies and keeps the rotation', async () => {
      const { args, output } = await runOperation(portraitClip, {
        method_name: 'convert_format',
        output_format: 'mov',
      });
      expect(copiedStreams(args)).toEqual(['video', 'audio']);
      expect(output.formatName).toContain('mov');
      expect(output.video).toMatchObject({ codec: 'h264', width: 320, height: 240, rotation: 90 });
    });

    it('rotated MP4 → MKV re-encodes so the picture stays upright', async () => {
      const { args, output } = await runOperation(portraitClip, {
        method_name: 'convert_format',
        output_format: 'mkv',
      });
      expect(copiedStreams(args)).toEqual(['audio']);
      expect(output.video).toMatchObject({ codec: 'h264', width: 240, height: 320 });
    });
  });

  describe('grayscale', () => {
    it('removes the colour and keeps the size, duration and audio', async () => {
      const before = await measureChroma(clip);
      const { args, outputPath, output } = await runOperation(clip, { method_name: 'grayscale' });
      const after = await measureChroma(outputPath);

      expect(before.satAvg).toBeGreaterThan(50);
      expect(after.satAvg).toBeLessThan(1);
      expect(Math.abs(after.u - 128)).toBeLessThan(1);
      expect(Math.abs(after.v - 128)).toBeLessThan(1);
      expect(after.uMax - after.uMin).toBeLessThanOrEqual(4);
      expect(after.vMax - after.vMin).toBeLessThanOrEqual(4);
      expect(copiedStreams(args)).toEqual(['audio']);
      expect(output.video).toMatchObject({ codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p' });
      expect(output.audio?.codec).toBe('aac');
      expectDuration(output);
    });

    it('as WebM', async () => {
      const { outputPath, output } = await runOperation(clip, { method_name: 'grayscale', output_format: 'webm' });
      expect(output.video?.codec).toBe('vp9');
      expect((await measureChroma(outputPath)).satAvg).toBeLessThan(1);
    });
  });

  it('handles an input whose name starts with "-"', async () => {
    const { plan, output } = await runOperation(dashClip, { method_name: 'compress' });
    // The download name drops the leading "-" and the space.
    expect(plan.outputs[0]?.path).toBe('dash_name_compress.mp4');
    expect(output.video?.codec).toBe('h264');
    expectDuration(output, 2);
  });
});
