import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { FORMAT_WHITELIST } from '@mediaflow/media';
import type { MediaProbe, Transcript } from '@mediaflow/media';
import type {
  ExecutionPlan,
  FfmpegStep,
  MuxSubtitlesStep,
  PlanStep,
  RecogniseSpeechStep,
  WriteSubtitlesStep,
  WriteTextStep,
} from './execution-plan';
import type { PlanContext, RegisteredOperation } from './operation-definition';
import { OPERATIONS, findOperation } from './registry';
import type { OperationName } from './registry';

// Every operation through the registry, the way the worker reaches it: parse
// the stored fields, plan them against a probe, read the steps and manifest.

const WORK_DIR = '/work/job';
const context: PlanContext = {
  inputPath: '/work/job/-input.mov',
  workDir: WORK_DIR,
  sourceName: 'clip.mp4',
  defaults: { whisperModel: 'base' },
};

function probeOf(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 12.5,
    sizeBytes: 1000,
    streamCount: 2,
    video: { index: 0, codec: 'h264', width: 1920, height: 1080, fps: 25, pixFmt: 'yuv420p' },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    ...overrides,
  };
}

function videoOnly(): MediaProbe {
  const probe = probeOf({ streamCount: 1 });
  delete probe.audio;
  return probe;
}

function audioOnly(): MediaProbe {
  const probe = probeOf({ formatName: 'mp3', streamCount: 1 });
  delete probe.video;
  probe.audio = { index: 0, codec: 'mp3', channels: 2, sampleRate: 44100 };
  return probe;
}

function registered(name: string): RegisteredOperation {
  const operation = findOperation(name);
  if (!operation) throw new Error(`no operation "${name}" in the registry`);
  return operation;
}

/** Parses the fields as the API would store them, then plans them as the worker would. */
function planOf(
  input: { method_name: string } & Record<string, unknown>,
  probe = probeOf(),
  ctx = context,
): ExecutionPlan {
  const operation = registered(input.method_name);
  return operation.plan(operation.parse(input), probe, ctx);
}

/** The argv of a plan's only FFmpeg step (every single-output operation has exactly one). */
function argsOf(plan: ExecutionPlan): string[] {
  const [step, ...rest] = plan.steps;
  expect(rest).toEqual([]);
  expect(step?.kind).toBe('ffmpeg');
  return (step as FfmpegStep).args;
}

/** The value following a flag, e.g. valueOf(args, '-crf'). */
function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

function valuesOf(args: string[], flag: string): (string | undefined)[] {
  return args.flatMap((arg, at) => (arg === flag ? [args[at + 1]] : []));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function stepOf<Kind extends PlanStep['kind']>(
  plan: ExecutionPlan,
  id: string,
  kind: Kind,
): Extract<PlanStep, { kind: Kind }> {
  const step = plan.steps.find((candidate) => candidate.id === id);
  expect(step?.kind).toBe(kind);
  return step as Extract<PlanStep, { kind: Kind }>;
}

/**
 * One valid request per registered operation. Keyed by OperationName so a
 * newly registered operation fails to compile here until it has one, and so
 * falls under the registry-wide rules below.
 */
const SAMPLE_INPUTS: Record<OperationName, Record<string, unknown>> = {
  compress: {},
  extract_audio: { output_format: 'm4a' },
  resize: { params: { width: 640 } },
  convert_format: { output_format: 'webm' },
  grayscale: { output_format: 'mkv' },
  transcribe: {},
  adaptive_stream: { params: { renditions: [480, 240], segment_seconds: 2 } },
  thumbnails: { params: { count: 3 } },
  storyboard: {},
  probe: {},
  concat: { params: { width: 640, height: 360 } },
};

/**
 * [description, probe, which operations must plan it]. A source with both a
 * video and an audio stream must be planned by every operation; an unknown
 * duration by every operation that does not lay frames out on the timeline
 * (a storyboard or evenly spaced thumbnails need it, and refuse with
 * UNSUPPORTED_MEDIA; the worker measures a missing duration before planning).
 */
const NEEDS_DURATION: readonly OperationName[] = ['storyboard', 'thumbnails'];
const PROBES: [string, () => MediaProbe, (name: OperationName) => boolean][] = [
  ['video with audio', () => probeOf(), () => true],
  ['video without audio', videoOnly, () => false],
  ['audio only', audioOnly, () => false],
  ['unknown duration', () => probeOf({ durationSec: 0 }), (name) => !NEEDS_DURATION.includes(name)],
];

/** Relative to the work directory and staying inside it: the object store folder mirrors it. */
function expectRelativeInside(relative: string): void {
  expect(relative).not.toBe('');
  expect(relative.startsWith('/')).toBe(false);
  expect(relative.split('/')).not.toContain('..');
  expect(path.posix.normalize(relative)).toBe(relative);
}

/** The relative file paths a non-FFmpeg step reads or writes. */
function stepPaths(step: PlanStep): string[] {
  switch (step.kind) {
    case 'ffmpeg':
      return step.createDirs ?? [];
    case 'recognise_speech':
      return [step.audioPath, step.transcriptPath];
    case 'write_subtitles':
      return [step.transcriptPath, step.srtPath, step.vttPath, step.jsonPath];
    case 'mux_subtitles':
      return [step.transcriptPath, step.subtitlesPath, step.outputPath];
    case 'write_text':
      return [step.path];
    case 'finalise_hls':
      return [step.dir];
  }
}

describe('every registered operation', () => {
  it('has a sample request here', () => {
    expect(Object.keys(SAMPLE_INPUTS).sort()).toEqual(OPERATIONS.map((operation) => operation.name).sort());
  });

  // Each operation × each kind of source it can take: a source it cannot take
  // must fail with a media code, not a plan that breaks in the runner.
  const cases = OPERATIONS.flatMap((operation) =>
    PROBES.map(([probeName, probe, mustPlan]) => [operation.name, probeName, probe, mustPlan(operation.name)] as const),
  );

  it.each(cases)('%s on %s: a well-formed plan, or a media error', (name, _probeName, probe, mustPlan) => {
    let plan: ExecutionPlan;
    try {
      plan = planOf({ method_name: name, ...SAMPLE_INPUTS[name] }, probe());
    } catch (error) {
      if (mustPlan) throw error;
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toMatch(/^(NO_(VIDEO|AUDIO)_STREAM|UNSUPPORTED_MEDIA)$/);
      return;
    }

    // Exactly one primary: it is what GET /download serves.
    expect(plan.outputs.filter((output) => output.primary === true)).toHaveLength(1);
    expect(plan.steps.length).toBeGreaterThan(0);
    for (const step of plan.steps) expect(step.weight).toBeGreaterThan(0);
    const ids = plan.steps.map((step) => step.id);
    expect(new Set(ids).size).toBe(ids.length);

    for (const output of plan.outputs) expectRelativeInside(output.path);
    const outputPaths = plan.outputs.map((output) => output.path);
    expect(new Set(outputPaths).size).toBe(outputPaths.length);
    for (const step of plan.steps) for (const relative of stepPaths(step)) expectRelativeInside(relative);

    // FFmpeg names files by absolute path, and only ever inside the work directory.
    for (const step of plan.steps) {
      if (step.kind !== 'ffmpeg') continue;
      const files = step.args.filter((arg) => arg.startsWith('file:')).map((arg) => arg.slice('file:'.length));
      for (const file of files) expect(path.relative(WORK_DIR, file).startsWith('..')).toBe(false);
    }
    expect(plan.expectedDurationSec).toBe(probe().durationSec);
  });

  it.each(OPERATIONS.map((operation) => [operation.name]))('%s refuses fields its schema does not allow', (name) => {
    expect(() => registered(name).parse({ method_name: name, ...SAMPLE_INPUTS[name], surprise: 1 })).toThrow();
    expect(() =>
      registered(name).plan({ method_name: name, output_format: 'nope', params: {} }, probeOf(), context),
    ).toThrow();
  });
});

describe('single-output operations: shared rules', () => {
  const plans = (['compress', 'extract_audio', 'resize', 'convert_format', 'grayscale'] as const).map((name) => ({
    name,
    plan: planOf({ method_name: name, ...SAMPLE_INPUTS[name] }),
  }));

  it.each(plans.map(({ name, plan }) => [name, plan]))(
    '%s: safe input, explicit maps, output last behind file:',
    (_name, plan) => {
      const args = argsOf(plan);
      expect(args.slice(0, 3)).toEqual(['-hide_banner', '-y', '-nostdin']);
      // The whitelist is an input option: it must come before -i.
      expect(args.indexOf('-protocol_whitelist')).toBeLessThan(args.indexOf('-i'));
      expect(valueOf(args, '-protocol_whitelist')).toBe('file');
      expect(args.indexOf('-format_whitelist')).toBeLessThan(args.indexOf('-i'));
      expect(valueOf(args, '-format_whitelist')).toBe(FORMAT_WHITELIST);
      expect(valueOf(args, '-format_whitelist')).not.toMatch(/hls|concat|image2|avi/);
      expect(valueOf(args, '-i')).toBe('file:/work/job/-input.mov');
      expect(valuesOf(args, '-map').length).toBeGreaterThan(0);
      expect(valueOf(args, '-threads')).toBe('0');
      expect(valueOf(args, '-map_metadata')).toBe('-1');
      expect(args.at(-3)).toBe('-f');
      // FFmpeg writes exactly the file the manifest publishes.
      expect(args.at(-1)).toBe(`file:${path.join(WORK_DIR, plan.outputs[0]?.path ?? '')}`);
      // No bare path anywhere: every path travels behind file:.
      expect(args.filter((arg) => arg.startsWith('/'))).toEqual([]);
    },
  );

  it.each(plans.map(({ name, plan }) => [name, plan]))('%s: one encode step, one primary output', (name, plan) => {
    expect(plan.steps.map((step) => [step.id, step.kind])).toEqual([['encode', 'ffmpeg']]);
    expect(plan.outputs).toHaveLength(1);
    expect(plan.outputs[0]).toMatchObject({ primary: true });
    expect(plan.outputs[0]?.path).toMatch(new RegExp(`^clip_${name}\\.[a-z0-9]+$`));
    // The default log name: ffmpeg.log.
    expect(plan.logName).toBeUndefined();
  });

  it('refuses relative paths, which FFmpeg could read as options or protocols', () => {
    expect(() => planOf({ method_name: 'compress' }, probeOf(), { ...context, inputPath: '-i.mp4' })).toThrow(
      /absolute/,
    );
    expect(() => planOf({ method_name: 'compress' }, probeOf(), { ...context, workDir: 'out' })).toThrow(/absolute/);
  });

  it('reports the expected duration for progress', () => {
    for (const { plan } of plans) {
      expect(plan.expectedDurationSec).toBe(12.5);
      expect((plan.steps[0] as FfmpegStep).expectedDurationSec).toBe(12.5);
    }
  });

  it('names the output after the source, safely', () => {
    const plan = planOf({ method_name: 'compress' }, probeOf(), { ...context, sourceName: '-holiday 2024.MOV' });
    expect(plan.outputs[0]?.path).toBe('holiday_2024_compress.mp4');
    expect(argsOf(plan).at(-1)).toBe('file:/work/job/holiday_2024_compress.mp4');
  });
});

describe('compress', () => {
  it('encodes H.264 at the requested CRF and preset with AAC 128k into a faststart MP4', () => {
    const plan = planOf({ method_name: 'compress', params: { crf: 30, preset: 'slow' } });
    const args = argsOf(plan);
    expect(valuesOf(args, '-map')).toEqual(['0:0', '0:1']);
    expect(valueOf(args, '-c:v')).toBe('libx264');
    expect(valueOf(args, '-preset')).toBe('slow');
    expect(valueOf(args, '-crf')).toBe('30');
    expect(valueOf(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueOf(args, '-c:a')).toBe('aac');
    expect(valueOf(args, '-b:a')).toBe('128k');
    expect(valueOf(args, '-movflags')).toBe('+faststart');
    expect(valueOf(args, '-f')).toBe('mp4');
    expect(args).not.toContain('-vf');
    expect(plan.outputs).toEqual([
      {
        kind: 'video',
        path: 'clip_compress.mp4',
        contentType: 'video/mp4',
        primary: true,
        // Probed before the job completes (see verify-outputs.ts).
        expect: { streams: ['video', 'audio'], durationSec: 12.5, toleranceSec: 1.0625 },
      },
    ]);
  });

  it('uses the defaults crf 28 / veryfast', () => {
    const args = argsOf(planOf({ method_name: 'compress' }));
    expect(valueOf(args, '-crf')).toBe('28');
    expect(valueOf(args, '-preset')).toBe('veryfast');
  });

  it('drops audio with -an when there is none', () => {
    const args = argsOf(planOf({ method_name: 'compress' }, videoOnly()));
    expect(valuesOf(args, '-map')).toEqual(['0:0']);
    expect(args).toContain('-an');
    expect(args).not.toContain('-c:a');
  });

  it('maps the real video stream, not the first stream, when streams are reordered', () => {
    const probe = probeOf({
      video: { index: 2, codec: 'h264', width: 640, height: 360 },
      audio: { index: 0, codec: 'aac', channels: 2, sampleRate: 48000 },
    });
    expect(valuesOf(argsOf(planOf({ method_name: 'compress' }, probe)), '-map')).toEqual(['0:2', '0:0']);
  });

  it('trims odd sizes to even ones for 4:2:0', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 321, height: 241 } });
    expect(valueOf(argsOf(planOf({ method_name: 'compress' }, probe)), '-vf')).toBe(
      'scale=trunc(iw/2)*2:trunc(ih/2)*2',
    );
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOf({ method_name: 'compress' }, audioOnly()))).toMatchObject({ code: 'NO_VIDEO_STREAM' });
  });
});

describe('extract_audio', () => {
  const cases: [string, Record<string, string | undefined>, string, string][] = [
    ['mp3', { '-c:a': 'libmp3lame', '-q:a': '2', '-f': 'mp3' }, 'mp3', 'audio/mpeg'],
    ['m4a', { '-c:a': 'aac', '-b:a': '192k', '-movflags': '+faststart', '-f': 'ipod' }, 'm4a', 'audio/mp4'],
    ['wav', { '-c:a': 'pcm_s16le', '-f': 'wav' }, 'wav', 'audio/wav'],
    ['opus', { '-c:a': 'libopus', '-b:a': '128k', '-f': 'opus' }, 'opus', 'audio/ogg'],
  ];

  it.each(cases)('%s', (format, flags, extension, contentType) => {
    const plan = planOf({ method_name: 'extract_audio', output_format: format });
    const args = argsOf(plan);
    expect(args).toContain('-vn');
    expect(valuesOf(args, '-map')).toEqual(['0:1']);
    for (const [flag, value] of Object.entries(flags)) expect(valueOf(args, flag)).toBe(value);
    if (format !== 'm4a') expect(args).not.toContain('-movflags');
    expect(plan.outputs).toEqual([
      {
        kind: 'audio',
        path: `clip_extract_audio.${extension}`,
        contentType,
        primary: true,
        expect: { streams: ['audio'], durationSec: 12.5, toleranceSec: 1.0625 },
      },
    ]);
  });

  it('defaults to mp3', () => {
    expect(planOf({ method_name: 'extract_audio' }).outputs[0]?.path).toBe('clip_extract_audio.mp3');
  });

  it('needs an audio stream', () => {
    expect(thrown(() => planOf({ method_name: 'extract_audio' }, videoOnly()))).toMatchObject({
      code: 'NO_AUDIO_STREAM',
    });
  });
});

describe('resize', () => {
  it('scales to the computed even size and squares the pixels', () => {
    const args = argsOf(planOf({ method_name: 'resize', params: { width: 641 } }));
    expect(valueOf(args, '-vf')).toBe('scale=640:360,setsar=1');
    expect(valueOf(args, '-c:v')).toBe('libx264');
    expect(valueOf(args, '-preset')).toBe('veryfast');
    expect(valueOf(args, '-crf')).toBe('23');
  });

  it('fits into 1280x720 by default', () => {
    expect(valueOf(argsOf(planOf({ method_name: 'resize' })), '-vf')).toBe('scale=1280:720,setsar=1');
  });

  it('uses the displayed (rotated) shape: a portrait phone video stays portrait', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 1920, height: 1080, rotation: 90 } });
    expect(valueOf(argsOf(planOf({ method_name: 'resize' }, probe)), '-vf')).toBe('scale=406:720,setsar=1');
  });

  it('copies AAC into MP4 and re-encodes it to Opus for WebM', () => {
    const mp4 = argsOf(planOf({ method_name: 'resize', params: { height: 360 } }));
    expect(valueOf(mp4, '-c:a')).toBe('copy');
    expect(valueOf(mp4, '-movflags')).toBe('+faststart');

    const webmPlan = planOf({ method_name: 'resize', output_format: 'webm', params: { height: 360 } });
    const webm = argsOf(webmPlan);
    expect(valueOf(webm, '-c:v')).toBe('libvpx-vp9');
    expect(valueOf(webm, '-deadline')).toBe('realtime');
    expect(valueOf(webm, '-cpu-used')).toBe('8');
    expect(valueOf(webm, '-row-mt')).toBe('1');
    expect(valueOf(webm, '-b:v')).toBe('0');
    expect(valueOf(webm, '-crf')).toBe('33');
    expect(valueOf(webm, '-c:a')).toBe('libopus');
    expect(valueOf(webm, '-f')).toBe('webm');
    expect(webm).not.toContain('-movflags');
    expect(webmPlan.outputs).toEqual([
      {
        kind: 'video',
        path: 'clip_resize.webm',
        contentType: 'video/webm',
        primary: true,
        expect: { streams: ['video', 'audio'], durationSec: 12.5, toleranceSec: 1.0625 },
      },
    ]);
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOf({ method_name: 'resize' }, audioOnly()))).toMatchObject({ code: 'NO_VIDEO_STREAM' });
  });
});

// Which streams are copied (FfmpegPlan.copiedStreams) is the builder's
// business and is tested on planConvertFormat in @mediaflow/media; here, the
// argv the registered operation hands the runner.
describe('convert_format copy decisions', () => {
  type Case = [container: string, videoCodec: string, audioCodec: string, cv: string, ca: string];
  const cases: Case[] = [
    ['mp4', 'h264', 'aac', 'copy', 'copy'],
    ['mp4', 'hevc', 'mp3', 'copy', 'copy'],
    ['mp4', 'vp9', 'opus', 'libx264', 'aac'],
    ['mp4', 'prores', 'pcm_s16le', 'libx264', 'aac'],
    ['mov', 'prores', 'pcm_s16le', 'copy', 'copy'],
    ['mov', 'mjpeg', 'alac', 'copy', 'copy'],
    ['mov', 'vp8', 'vorbis', 'libx264', 'aac'],
    ['webm', 'vp9', 'opus', 'copy', 'copy'],
    ['webm', 'av1', 'vorbis', 'copy', 'copy'],
    ['webm', 'h264', 'aac', 'libvpx-vp9', 'libopus'],
    ['webm', 'vp8', 'aac', 'copy', 'libopus'],
    ['mkv', 'h264', 'aac', 'copy', 'copy'],
    ['mkv', 'vp9', 'flac', 'copy', 'copy'],
    ['mkv', 'mpeg2video', 'pcm_s16le', 'copy', 'copy'],
    ['mkv', 'wmv3', 'wmav2', 'libx264', 'aac'],
  ];

  it.each(cases)('%s from %s/%s: -c:v %s, -c:a %s', (container, videoCodec, audioCodec, cv, ca) => {
    const probe = probeOf({
      video: { index: 0, codec: videoCodec, width: 640, height: 360 },
      audio: { index: 1, codec: audioCodec, channels: 2, sampleRate: 48000 },
    });
    const args = argsOf(planOf({ method_name: 'convert_format', output_format: container }, probe));
    expect(valueOf(args, '-c:v')).toBe(cv);
    expect(valueOf(args, '-c:a')).toBe(ca);
    if (cv === 'copy') {
      expect(args).not.toContain('-vf');
      expect(args).not.toContain('-crf');
    }
    const faststart = container === 'mp4' || container === 'mov';
    expect(valueOf(args, '-movflags')).toBe(faststart ? '+faststart' : undefined);
  });

  it('tags copied HEVC as hvc1 for Apple players in MP4/MOV, not in MKV', () => {
    const probe = probeOf({ video: { index: 0, codec: 'hevc', width: 640, height: 360 } });
    const mp4 = argsOf(planOf({ method_name: 'convert_format', output_format: 'mp4' }, probe));
    const mkv = argsOf(planOf({ method_name: 'convert_format', output_format: 'mkv' }, probe));
    expect(valueOf(mp4, '-tag:v')).toBe('hvc1');
    expect(mkv).not.toContain('-tag:v');
  });

  it('re-encodes rotated video for MKV/WebM, whose muxer drops the rotation; copies it for MP4/MOV', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 1920, height: 1080, rotation: 90 } });
    const mkv = argsOf(planOf({ method_name: 'convert_format', output_format: 'mkv' }, probe));
    const mov = argsOf(planOf({ method_name: 'convert_format', output_format: 'mov' }, probe));
    expect(valueOf(mkv, '-c:v')).toBe('libx264');
    expect(valueOf(mkv, '-c:a')).toBe('copy');
    expect(valueOf(mov, '-c:v')).toBe('copy');
    expect(valueOf(mov, '-c:a')).toBe('copy');
  });

  it('re-encoding an odd-sized stream trims it to even; copying leaves it alone', () => {
    const probe = probeOf({ video: { index: 0, codec: 'vp9', width: 321, height: 241 } });
    const mp4 = argsOf(planOf({ method_name: 'convert_format', output_format: 'mp4' }, probe));
    const webm = argsOf(planOf({ method_name: 'convert_format', output_format: 'webm' }, probe));
    expect(valueOf(mp4, '-vf')).toBe('scale=trunc(iw/2)*2:trunc(ih/2)*2');
    expect(webm).not.toContain('-vf');
  });

  it('content types, extensions and muxers follow the container', () => {
    const expectations = { mp4: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska', webm: 'video/webm' };
    const muxers = { mp4: 'mp4', mov: 'mov', mkv: 'matroska', webm: 'webm' };
    for (const [container, contentType] of Object.entries(expectations)) {
      const plan = planOf({ method_name: 'convert_format', output_format: container });
      expect(plan.outputs).toEqual([
        {
          kind: 'video',
          path: `clip_convert_format.${container}`,
          contentType,
          primary: true,
          expect: { streams: ['video', 'audio'], durationSec: 12.5, toleranceSec: 1.0625 },
        },
      ]);
      expect(valueOf(argsOf(plan), '-f')).toBe(muxers[container as keyof typeof muxers]);
    }
  });

  it('has no default container', () => {
    expect(() => registered('convert_format').parse({ method_name: 'convert_format' })).toThrow();
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOf({ method_name: 'convert_format', output_format: 'mkv' }, audioOnly()))).toMatchObject({
      code: 'NO_VIDEO_STREAM',
    });
  });
});

describe('grayscale', () => {
  it('desaturates with hue=s=0 and re-encodes H.264 veryfast/23, copying fitting audio', () => {
    const args = argsOf(planOf({ method_name: 'grayscale' }));
    expect(valueOf(args, '-vf')).toBe('hue=s=0');
    expect(valueOf(args, '-c:v')).toBe('libx264');
    expect(valueOf(args, '-preset')).toBe('veryfast');
    expect(valueOf(args, '-crf')).toBe('23');
    expect(valueOf(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueOf(args, '-c:a')).toBe('copy');
  });

  it('uses VP9 and Opus for WebM', () => {
    const args = argsOf(planOf({ method_name: 'grayscale', output_format: 'webm' }));
    expect(valueOf(args, '-c:v')).toBe('libvpx-vp9');
    expect(valueOf(args, '-c:a')).toBe('libopus');
  });

  it('is also reached by its alias, and plans under its canonical name', () => {
    const operation = registered('black_and_white');
    expect(operation.name).toBe('grayscale');
    expect(operation.plan(operation.parse({ method_name: 'grayscale' }), probeOf(), context).outputs[0]?.path).toBe(
      'clip_grayscale.mp4',
    );
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOf({ method_name: 'grayscale' }, audioOnly()))).toMatchObject({ code: 'NO_VIDEO_STREAM' });
  });
});

describe('transcribe', () => {
  const transcribe = (params: Record<string, unknown> = {}, probe = probeOf()): ExecutionPlan =>
    planOf({ method_name: 'transcribe', params }, probe);

  it('for a video with audio: extract the audio, recognise, write subtitles, mux them into a copy', () => {
    const plan = transcribe();
    expect(plan.steps.map((step) => [step.id, step.kind])).toEqual([
      ['extract-audio', 'ffmpeg'],
      ['recognise', 'recognise_speech'],
      ['write-subtitles', 'write_subtitles'],
      ['mux-subtitles', 'mux_subtitles'],
    ]);
    expect(plan.logName).toBe('transcription.log');
    expect(plan.expectedDurationSec).toBe(12.5);
    expect(plan.outputs).toEqual([
      { kind: 'srt', path: 'transcript.srt', contentType: 'application/x-subrip; charset=utf-8', primary: true },
      { kind: 'vtt', path: 'transcript.vtt', contentType: 'text/vtt; charset=utf-8' },
      { kind: 'json', path: 'transcript.json', contentType: 'application/json; charset=utf-8' },
      {
        kind: 'video',
        path: 'clip_subtitled.mp4',
        contentType: 'video/mp4',
        expect: { streams: ['video', 'audio', 'subtitle'], durationSec: 12.5, toleranceSec: 1.0625 },
      },
    ]);
  });

  it('chains its steps through the files each one writes', () => {
    const plan = transcribe();
    const extract: FfmpegStep = stepOf(plan, 'extract-audio', 'ffmpeg');
    const recognise: RecogniseSpeechStep = stepOf(plan, 'recognise', 'recognise_speech');
    const write: WriteSubtitlesStep = stepOf(plan, 'write-subtitles', 'write_subtitles');
    const mux: MuxSubtitlesStep = stepOf(plan, 'mux-subtitles', 'mux_subtitles');

    // 16 kHz mono PCM of the first audio stream, under the same input allow-lists as every operation.
    expect(valueOf(extract.args, '-i')).toBe('file:/work/job/-input.mov');
    expect(valueOf(extract.args, '-protocol_whitelist')).toBe('file');
    expect(valuesOf(extract.args, '-map')).toEqual(['0:1']);
    expect(valueOf(extract.args, '-ar')).toBe('16000');
    expect(valueOf(extract.args, '-ac')).toBe('1');
    expect(valueOf(extract.args, '-c:a')).toBe('pcm_s16le');
    expect(extract.args.at(-1)).toBe(`file:${path.join(WORK_DIR, recognise.audioPath)}`);
    expect(extract.expectedDurationSec).toBe(12.5);

    expect(write.transcriptPath).toBe(recognise.transcriptPath);
    expect([write.srtPath, write.vttPath, write.jsonPath]).toEqual([
      'transcript.srt',
      'transcript.vtt',
      'transcript.json',
    ]);
    expect(mux.transcriptPath).toBe(recognise.transcriptPath);
    expect(mux.subtitlesPath).toBe(write.srtPath);
    expect(mux.outputPath).toBe('clip_subtitled.mp4');
    // Intermediate files are not published.
    const published = plan.outputs.map((output) => output.path);
    expect(published).not.toContain(recognise.audioPath);
    expect(published).not.toContain(recognise.transcriptPath);
  });

  it('uses the worker default model unless the job names one, and passes the language through', () => {
    const byDefault: RecogniseSpeechStep = stepOf(transcribe(), 'recognise', 'recognise_speech');
    expect(byDefault.model).toBe('base');
    expect(byDefault).not.toHaveProperty('language');

    const chosen: RecogniseSpeechStep = stepOf(
      transcribe({ model: 'small', language: 'de' }),
      'recognise',
      'recognise_speech',
    );
    expect(chosen).toMatchObject({ model: 'small', language: 'de' });
  });

  it('for a video without audio: an empty transcript written directly, no recognition, still muxed', () => {
    const plan = transcribe({}, videoOnly());
    expect(plan.steps.map((step) => step.kind)).toEqual(['write_text', 'write_subtitles', 'mux_subtitles']);
    expect(plan.steps.some((step) => step.kind === 'recognise_speech' || step.kind === 'ffmpeg')).toBe(false);

    const empty = plan.steps[0] as WriteTextStep;
    const write: WriteSubtitlesStep = stepOf(plan, 'write-subtitles', 'write_subtitles');
    expect(empty.path).toBe(write.transcriptPath);
    const transcript = JSON.parse(empty.content) as Transcript;
    expect(transcript).toEqual({ language: 'und', durationSec: 12.5, model: 'base', segments: [] });
    expect(plan.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'video']);
    expect(plan.logName).toBe('transcription.log');
  });

  it('an empty transcript keeps the requested language', () => {
    const empty = transcribe({ language: 'fr' }, videoOnly()).steps[0] as WriteTextStep;
    expect(JSON.parse(empty.content)).toMatchObject({ language: 'fr', segments: [] });
  });

  it('for audio only: no mux and no video output', () => {
    const plan = transcribe({}, audioOnly());
    expect(plan.steps.map((step) => step.id)).toEqual(['extract-audio', 'recognise', 'write-subtitles']);
    expect(valuesOf((plan.steps[0] as FfmpegStep).args, '-map')).toEqual(['0:0']);
    expect(plan.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json']);
    expect(plan.logName).toBe('transcription.log');
  });

  it('with embed_subtitles: false, no mux and no video output', () => {
    const plan = transcribe({ embed_subtitles: false });
    expect(plan.steps.map((step) => step.id)).toEqual(['extract-audio', 'recognise', 'write-subtitles']);
    expect(plan.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json']);
    expect(plan.logName).toBe('transcription.log');
  });

  it('with output_format mp4, hands back the subtitled video as the primary output', () => {
    const plan = planOf({ method_name: 'transcribe', output_format: 'mp4' }, probeOf());
    expect(plan.steps.at(-1)?.kind).toBe('mux_subtitles');
    expect(plan.outputs.filter((output) => output.primary).map((output) => [output.kind, output.path])).toEqual([
      ['video', 'clip_subtitled.mp4'],
    ]);
    expect(plan.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'video']);
  });

  it('with output_format mp4, refuses a source without video and embed_subtitles: false', () => {
    expect(thrown(() => planOf({ method_name: 'transcribe', output_format: 'mp4' }, audioOnly()))).toMatchObject({
      code: 'NO_VIDEO_STREAM',
    });
    expect(
      thrown(() =>
        planOf({ method_name: 'transcribe', output_format: 'mp4', params: { embed_subtitles: false } }, probeOf()),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('primary output name per operation', () => {
  it.each([
    [{ method_name: 'compress' }, 'clip_compress.mp4'],
    [{ method_name: 'extract_audio', output_format: 'opus' }, 'clip_extract_audio.opus'],
    [{ method_name: 'extract_audio', output_format: 'm4a' }, 'clip_extract_audio.m4a'],
    [{ method_name: 'resize', output_format: 'mov' }, 'clip_resize.mov'],
    [{ method_name: 'convert_format', output_format: 'mkv' }, 'clip_convert_format.mkv'],
    [{ method_name: 'grayscale', output_format: 'webm' }, 'clip_grayscale.webm'],
    [{ method_name: 'transcribe' }, 'transcript.srt'],
  ])('%j → %s', (input, name) => {
    const primary = planOf(input).outputs.filter((output) => output.primary === true);
    expect(primary.map((output) => output.path)).toEqual([name]);
  });
});
