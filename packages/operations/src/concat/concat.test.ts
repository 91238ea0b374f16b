import type { MediaProbe } from '@mediaflow/media';
import { AppError } from '@mediaflow/domain';
import { validateSubmission } from '../validation';
import { concat } from '.';

const BUCKETS = ['mediaflow-input'];

function probeOf(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'matroska,webm',
    durationSec: 10,
    sizeBytes: 1000,
    streamCount: 2,
    video: { index: 0, codec: 'vp8', width: 640, height: 360, fps: 25 },
    audio: { index: 1, codec: 'opus', channels: 1, sampleRate: 48_000 },
    ...overrides,
  };
}

function planFor(operation: unknown, inputs: { path: string; probe: MediaProbe }[]) {
  return concat.plan(concat.parse(operation), inputs[0].probe, {
    inputPath: inputs[0].path,
    inputs,
    workDir: '/work/out',
    sourceName: 'meeting.webm',
    defaults: { whisperModel: 'tiny' },
  });
}

function filterOf(args: readonly string[]): string {
  return args[args.indexOf('-filter_complex') + 1];
}

describe('concat planner', () => {
  const small = probeOf({
    durationSec: 5,
    video: { index: 1, codec: 'h264', width: 320, height: 240, fps: 30 },
    audio: { index: 0, codec: 'aac', channels: 2, sampleRate: 44_100 },
  });

  it('normalises every recording to the first one’s size, rate and sample rate, and joins them with the concat filter', () => {
    const plan = planFor({ method_name: 'concat' }, [
      { path: '/work/source-0000.webm', probe: probeOf() },
      { path: '/work/source-0001.mp4', probe: small },
    ]);
    const step = plan.steps[0];
    if (step.kind !== 'ffmpeg') throw new Error('expected one FFmpeg step');
    const graph = filterOf(step.args);
    expect(graph).toContain('[0:0]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360');
    expect(graph).toContain('[1:1]scale=640:360');
    expect(graph).toContain('fps=25');
    expect(graph).toContain('[1:0]aresample=48000:async=1,aformat=sample_fmts=fltp:channel_layouts=stereo[a1]');
    expect(graph).toMatch(/\[v0\]\[a0\]\[v1\]\[a1\]concat=n=2:v=1:a=1\[v\]\[a\]$/);
    // Each input is a local file behind the allow-lists; no concat demuxer or list file.
    expect(step.args.filter((arg) => arg === '-i')).toHaveLength(2);
    expect(step.args.filter((arg) => arg === '-format_whitelist')).toHaveLength(2);
    expect(step.args).toContain('file:/work/source-0001.mp4');
    expect(step.args.join(' ')).not.toMatch(/\bconcat\b.*-i|-f concat|ffconcat/);
    expect(step.args).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-c:a', 'aac', '-movflags', '+faststart']));
    expect(plan.expectedDurationSec).toBe(15);
    expect(plan.outputs).toEqual([
      expect.objectContaining({ path: 'meeting_concat.mp4', primary: true, contentType: 'video/mp4' }),
    ]);
    expect(plan.outputs[0].expect).toMatchObject({ streams: ['video', 'audio'], durationSec: 15 });
  });

  it('fills a recording without audio with silence for its length, and takes a stated target', () => {
    const silent = probeOf({ durationSec: 4 });
    delete silent.audio;
    const plan = planFor(
      { method_name: 'concat', output_format: 'webm', params: { width: 1280, height: 720, fps: 30 } },
      [
        { path: '/work/a.webm', probe: silent },
        { path: '/work/b.webm', probe: probeOf() },
      ],
    );
    const step = plan.steps[0];
    if (step.kind !== 'ffmpeg') throw new Error('expected one FFmpeg step');
    const graph = filterOf(step.args);
    expect(graph).toContain('anullsrc=r=48000:cl=stereo,atrim=duration=4');
    expect(graph).toContain('scale=1280:720');
    expect(graph).toContain('fps=30');
    expect(step.args).toEqual(expect.arrayContaining(['-c:v', 'libvpx-vp9', '-c:a', 'libopus']));
    expect(plan.outputs[0].path).toBe('meeting_concat.webm');
  });

  it('refuses sources none of which has video', () => {
    const audioOnly = probeOf();
    delete audioOnly.video;
    expect(() => planFor({ method_name: 'concat' }, [{ path: '/work/a.m4a', probe: audioOnly }])).toThrow(
      /concat needs a video stream/,
    );
  });

  it('wants both width and height or neither', () => {
    expect(concat.schema.safeParse({ method_name: 'concat', params: { width: 640 } }).success).toBe(false);
  });
});

describe('sources in a submission', () => {
  const uri = (n: number): string => `s3://mediaflow-input/uploads/chunk-${n}.webm`;

  it('takes several for concat, in order, and the first is the source', () => {
    const submission = validateSubmission({ method_name: 'concat', sources: [uri(0), uri(1), uri(2)] }, BUCKETS);
    expect(submission.source.key).toBe('uploads/chunk-0.webm');
    expect(submission.sources?.map((ref) => ref.key)).toEqual([
      'uploads/chunk-0.webm',
      'uploads/chunk-1.webm',
      'uploads/chunk-2.webm',
    ]);
  });

  function refusal(body: unknown, maxSources?: number): AppError {
    try {
      validateSubmission(body, BUCKETS, maxSources === undefined ? {} : { maxSources });
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('refuses several sources for an operation that takes one, naming it', () => {
    const error = refusal({ method_name: 'compress', sources: [uri(0), uri(1)] });
    expect(error.code).toBe('MULTIPLE_SOURCES_NOT_SUPPORTED');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^compress takes one source/);
    expect(validateSubmission({ method_name: 'compress', sources: [uri(0)] }, BUCKETS).source.key).toBe(
      'uploads/chunk-0.webm',
    );
  });

  it('wants exactly one of source and sources, and no more sources than allowed', () => {
    expect(refusal({ method_name: 'concat' }).code).toBe('VALIDATION_FAILED');
    expect(refusal({ method_name: 'concat', source: uri(0), sources: [uri(1)] }).message).toMatch(/not both/);
    expect(refusal({ method_name: 'concat', sources: [uri(0), uri(1), uri(2)] }, 2).message).toMatch(
      /sources has 3 entries; at most 2/,
    );
    expect(refusal({ method_name: 'concat', sources: [] }).code).toBe('VALIDATION_FAILED');
  });

  it('checks every entry like a source, naming the bad one', () => {
    const outside = refusal({ method_name: 'concat', sources: [uri(0), 's3://elsewhere/x.webm'] });
    expect(outside.code).toBe('INVALID_SOURCE');
    expect(outside.message).toMatch(/^sources\[1\] bucket "elsewhere"/);
    const local = refusal({ method_name: 'concat', sources: [uri(0), '/etc/passwd'] });
    expect(local.code).toBe('INVALID_SOURCE');
    expect(local.message).toMatch(/^sources\[1\]: source must be an s3/);
  });
});
