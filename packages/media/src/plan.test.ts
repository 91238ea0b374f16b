import { AppError, operationSchema } from '@mediaflow/domain';
import type { Operation } from '@mediaflow/domain';
import { FORMAT_WHITELIST } from './allow-lists';
import { planOperation } from './plan';
import { outputExtensionFor } from './plan/formats';
import type { MediaProbe } from './probe-types';

const io = { inputPath: '/work/in/-input.mov', outputPath: '/work/out/result.out' };

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

function op(input: Record<string, unknown>): Operation {
  return operationSchema.parse(input);
}

/** The value following a flag, e.g. valueOf(args, '-crf'). */
function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

function valuesOf(args: string[], flag: string): string[] {
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

describe('planOperation: shared rules', () => {
  const plans = [
    op({ method_name: 'compress' }),
    op({ method_name: 'extract_audio', output_format: 'm4a' }),
    op({ method_name: 'resize', params: { width: 640 } }),
    op({ method_name: 'convert_format', output_format: 'webm' }),
    op({ method_name: 'grayscale', output_format: 'mkv' }),
  ].map((operation) => ({ operation, plan: planOperation(operation, probeOf(), io) }));

  it.each(plans.map(({ operation, plan }) => [operation.method_name, plan.args]))(
    '%s: safe input, explicit maps, output last behind file:',
    (_name, args) => {
      expect(args.slice(0, 3)).toEqual(['-hide_banner', '-y', '-nostdin']);
      // The whitelist is an input option: it must come before -i.
      expect(args.indexOf('-protocol_whitelist')).toBeLessThan(args.indexOf('-i'));
      expect(valueOf(args, '-protocol_whitelist')).toBe('file');
      expect(args.indexOf('-format_whitelist')).toBeLessThan(args.indexOf('-i'));
      expect(valueOf(args, '-format_whitelist')).toBe(FORMAT_WHITELIST);
      expect(valueOf(args, '-format_whitelist')).not.toMatch(/hls|concat|image2|avi/);
      expect(valueOf(args, '-i')).toBe('file:/work/in/-input.mov');
      expect(valuesOf(args, '-map').length).toBeGreaterThan(0);
      expect(valueOf(args, '-threads')).toBe('0');
      expect(valueOf(args, '-map_metadata')).toBe('-1');
      expect(args.at(-1)).toBe('file:/work/out/result.out');
      expect(args.at(-3)).toBe('-f');
      // No bare path anywhere: every path travels behind file:.
      expect(args.filter((arg) => arg.startsWith('/'))).toEqual([]);
    },
  );

  it('refuses relative paths, which FFmpeg could read as options or protocols', () => {
    expect(() => planOperation(op({ method_name: 'compress' }), probeOf(), { ...io, inputPath: '-i.mp4' })).toThrow(
      /absolute/,
    );
    expect(() => planOperation(op({ method_name: 'compress' }), probeOf(), { ...io, outputPath: 'out.mp4' })).toThrow(
      /absolute/,
    );
  });

  it('reports the expected duration for progress', () => {
    for (const { plan } of plans) expect(plan.expectedDurationSec).toBe(12.5);
  });

  it('transcribe is not available in this package', () => {
    const error = thrown(() => planOperation(op({ method_name: 'transcribe' }), probeOf(), io));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'OPERATION_NOT_AVAILABLE', message: 'transcribe is not available yet' });
  });
});

describe('planOperation: compress', () => {
  it('encodes H.264 at the requested CRF and preset with AAC 128k into a faststart MP4', () => {
    const plan = planOperation(op({ method_name: 'compress', params: { crf: 30, preset: 'slow' } }), probeOf(), io);
    const { args } = plan;
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
    expect(plan).toMatchObject({
      outputExtension: 'mp4',
      contentType: 'video/mp4',
      outputKind: 'video',
      copiedStreams: [],
    });
  });

  it('uses the defaults crf 28 / veryfast', () => {
    const { args } = planOperation(op({ method_name: 'compress' }), probeOf(), io);
    expect(valueOf(args, '-crf')).toBe('28');
    expect(valueOf(args, '-preset')).toBe('veryfast');
  });

  it('drops audio with -an when there is none', () => {
    const { args } = planOperation(op({ method_name: 'compress' }), videoOnly(), io);
    expect(valuesOf(args, '-map')).toEqual(['0:0']);
    expect(args).toContain('-an');
    expect(args).not.toContain('-c:a');
  });

  it('maps the real video stream, not the first stream, when streams are reordered', () => {
    const probe = probeOf({
      video: { index: 2, codec: 'h264', width: 640, height: 360 },
      audio: { index: 0, codec: 'aac', channels: 2, sampleRate: 48000 },
    });
    const { args } = planOperation(op({ method_name: 'compress' }), probe, io);
    expect(valuesOf(args, '-map')).toEqual(['0:2', '0:0']);
  });

  it('trims odd sizes to even ones for 4:2:0', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 321, height: 241 } });
    const { args } = planOperation(op({ method_name: 'compress' }), probe, io);
    expect(valueOf(args, '-vf')).toBe('scale=trunc(iw/2)*2:trunc(ih/2)*2');
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOperation(op({ method_name: 'compress' }), audioOnly(), io))).toMatchObject({
      code: 'NO_VIDEO_STREAM',
    });
  });
});

describe('planOperation: extract_audio', () => {
  const cases: [string, Record<string, string | undefined>, string, string][] = [
    ['mp3', { '-c:a': 'libmp3lame', '-q:a': '2', '-f': 'mp3' }, 'mp3', 'audio/mpeg'],
    ['m4a', { '-c:a': 'aac', '-b:a': '192k', '-movflags': '+faststart', '-f': 'ipod' }, 'm4a', 'audio/mp4'],
    ['wav', { '-c:a': 'pcm_s16le', '-f': 'wav' }, 'wav', 'audio/wav'],
    ['opus', { '-c:a': 'libopus', '-b:a': '128k', '-f': 'opus' }, 'opus', 'audio/ogg'],
  ];

  it.each(cases)('%s', (format, flags, extension, contentType) => {
    const plan = planOperation(op({ method_name: 'extract_audio', output_format: format }), probeOf(), io);
    expect(plan.args).toContain('-vn');
    expect(valuesOf(plan.args, '-map')).toEqual(['0:1']);
    for (const [flag, value] of Object.entries(flags)) expect(valueOf(plan.args, flag)).toBe(value);
    if (format !== 'm4a') expect(plan.args).not.toContain('-movflags');
    expect(plan).toMatchObject({ outputExtension: extension, contentType, outputKind: 'audio', copiedStreams: [] });
  });

  it('defaults to mp3', () => {
    expect(planOperation(op({ method_name: 'extract_audio' }), probeOf(), io).outputExtension).toBe('mp3');
  });

  it('needs an audio stream', () => {
    expect(thrown(() => planOperation(op({ method_name: 'extract_audio' }), videoOnly(), io))).toMatchObject({
      code: 'NO_AUDIO_STREAM',
    });
  });
});

describe('planOperation: resize', () => {
  it('scales to the computed even size and squares the pixels', () => {
    const { args } = planOperation(op({ method_name: 'resize', params: { width: 641 } }), probeOf(), io);
    expect(valueOf(args, '-vf')).toBe('scale=640:360,setsar=1');
    expect(valueOf(args, '-c:v')).toBe('libx264');
    expect(valueOf(args, '-preset')).toBe('veryfast');
    expect(valueOf(args, '-crf')).toBe('23');
  });

  it('fits into 1280x720 by default', () => {
    const { args } = planOperation(op({ method_name: 'resize' }), probeOf(), io);
    expect(valueOf(args, '-vf')).toBe('scale=1280:720,setsar=1');
  });

  it('uses the displayed (rotated) shape: a portrait phone video stays portrait', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 1920, height: 1080, rotation: 90 } });
    const { args } = planOperation(op({ method_name: 'resize' }), probe, io);
    expect(valueOf(args, '-vf')).toBe('scale=406:720,setsar=1');
  });

  it('copies AAC into MP4 and re-encodes it to Opus for WebM', () => {
    const mp4 = planOperation(op({ method_name: 'resize', params: { height: 360 } }), probeOf(), io);
    expect(valueOf(mp4.args, '-c:a')).toBe('copy');
    expect(mp4.copiedStreams).toEqual(['audio']);
    expect(valueOf(mp4.args, '-movflags')).toBe('+faststart');

    const webm = planOperation(
      op({ method_name: 'resize', output_format: 'webm', params: { height: 360 } }),
      probeOf(),
      io,
    );
    expect(valueOf(webm.args, '-c:v')).toBe('libvpx-vp9');
    expect(valueOf(webm.args, '-deadline')).toBe('realtime');
    expect(valueOf(webm.args, '-cpu-used')).toBe('8');
    expect(valueOf(webm.args, '-row-mt')).toBe('1');
    expect(valueOf(webm.args, '-b:v')).toBe('0');
    expect(valueOf(webm.args, '-crf')).toBe('33');
    expect(valueOf(webm.args, '-c:a')).toBe('libopus');
    expect(valueOf(webm.args, '-f')).toBe('webm');
    expect(webm.args).not.toContain('-movflags');
    expect(webm).toMatchObject({ outputExtension: 'webm', contentType: 'video/webm', copiedStreams: [] });
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOperation(op({ method_name: 'resize' }), audioOnly(), io))).toMatchObject({
      code: 'NO_VIDEO_STREAM',
    });
  });
});

describe('planOperation: convert_format copy decisions', () => {
  type Case = [container: string, videoCodec: string, audioCodec: string, copied: string[], cv: string, ca: string];
  const cases: Case[] = [
    ['mp4', 'h264', 'aac', ['video', 'audio'], 'copy', 'copy'],
    ['mp4', 'hevc', 'mp3', ['video', 'audio'], 'copy', 'copy'],
    ['mp4', 'vp9', 'opus', [], 'libx264', 'aac'],
    ['mp4', 'prores', 'pcm_s16le', [], 'libx264', 'aac'],
    ['mov', 'prores', 'pcm_s16le', ['video', 'audio'], 'copy', 'copy'],
    ['mov', 'mjpeg', 'alac', ['video', 'audio'], 'copy', 'copy'],
    ['mov', 'vp8', 'vorbis', [], 'libx264', 'aac'],
    ['webm', 'vp9', 'opus', ['video', 'audio'], 'copy', 'copy'],
    ['webm', 'av1', 'vorbis', ['video', 'audio'], 'copy', 'copy'],
    ['webm', 'h264', 'aac', [], 'libvpx-vp9', 'libopus'],
    ['webm', 'vp8', 'aac', ['video'], 'copy', 'libopus'],
    ['mkv', 'h264', 'aac', ['video', 'audio'], 'copy', 'copy'],
    ['mkv', 'vp9', 'flac', ['video', 'audio'], 'copy', 'copy'],
    ['mkv', 'mpeg2video', 'pcm_s16le', ['video', 'audio'], 'copy', 'copy'],
    ['mkv', 'wmv3', 'wmav2', [], 'libx264', 'aac'],
  ];

  it.each(cases)('%s from %s/%s copies %j', (container, videoCodec, audioCodec, copied, cv, ca) => {
    const probe = probeOf({
      video: { index: 0, codec: videoCodec, width: 640, height: 360 },
      audio: { index: 1, codec: audioCodec, channels: 2, sampleRate: 48000 },
    });
    const plan = planOperation(op({ method_name: 'convert_format', output_format: container }), probe, io);
    expect(plan.copiedStreams).toEqual(copied);
    expect(valueOf(plan.args, '-c:v')).toBe(cv);
    expect(valueOf(plan.args, '-c:a')).toBe(ca);
    if (cv === 'copy') {
      expect(plan.args).not.toContain('-vf');
      expect(plan.args).not.toContain('-crf');
    }
    const faststart = container === 'mp4' || container === 'mov';
    expect(valueOf(plan.args, '-movflags')).toBe(faststart ? '+faststart' : undefined);
  });

  it('tags copied HEVC as hvc1 for Apple players in MP4/MOV, not in MKV', () => {
    const probe = probeOf({ video: { index: 0, codec: 'hevc', width: 640, height: 360 } });
    const mp4 = planOperation(op({ method_name: 'convert_format', output_format: 'mp4' }), probe, io);
    const mkv = planOperation(op({ method_name: 'convert_format', output_format: 'mkv' }), probe, io);
    expect(valueOf(mp4.args, '-tag:v')).toBe('hvc1');
    expect(mkv.args).not.toContain('-tag:v');
  });

  it('re-encodes rotated video for MKV/WebM, whose muxer drops the rotation; copies it for MP4/MOV', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 1920, height: 1080, rotation: 90 } });
    const mkv = planOperation(op({ method_name: 'convert_format', output_format: 'mkv' }), probe, io);
    const mov = planOperation(op({ method_name: 'convert_format', output_format: 'mov' }), probe, io);
    expect(valueOf(mkv.args, '-c:v')).toBe('libx264');
    expect(mkv.copiedStreams).toEqual(['audio']);
    expect(valueOf(mov.args, '-c:v')).toBe('copy');
    expect(mov.copiedStreams).toEqual(['video', 'audio']);
  });

  it('re-encoding an odd-sized stream trims it to even; copying leaves it alone', () => {
    const probe = probeOf({ video: { index: 0, codec: 'vp9', width: 321, height: 241 } });
    const mp4 = planOperation(op({ method_name: 'convert_format', output_format: 'mp4' }), probe, io);
    const webm = planOperation(op({ method_name: 'convert_format', output_format: 'webm' }), probe, io);
    expect(valueOf(mp4.args, '-vf')).toBe('scale=trunc(iw/2)*2:trunc(ih/2)*2');
    expect(webm.args).not.toContain('-vf');
  });

  it('content types and muxers follow the container', () => {
    const expectations = { mp4: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska', webm: 'video/webm' };
    const muxers = { mp4: 'mp4', mov: 'mov', mkv: 'matroska', webm: 'webm' };
    for (const [container, contentType] of Object.entries(expectations)) {
      const plan = planOperation(op({ method_name: 'convert_format', output_format: container }), probeOf(), io);
      expect(plan.contentType).toBe(contentType);
      expect(plan.outputExtension).toBe(container);
      expect(valueOf(plan.args, '-f')).toBe(muxers[container as keyof typeof muxers]);
    }
  });

  it('needs a video stream', () => {
    const operation = op({ method_name: 'convert_format', output_format: 'mkv' });
    expect(thrown(() => planOperation(operation, audioOnly(), io))).toMatchObject({ code: 'NO_VIDEO_STREAM' });
  });
});

describe('planOperation: grayscale', () => {
  it('desaturates with hue=s=0 and re-encodes H.264 veryfast/23, copying fitting audio', () => {
    const plan = planOperation(op({ method_name: 'grayscale' }), probeOf(), io);
    expect(valueOf(plan.args, '-vf')).toBe('hue=s=0');
    expect(valueOf(plan.args, '-c:v')).toBe('libx264');
    expect(valueOf(plan.args, '-preset')).toBe('veryfast');
    expect(valueOf(plan.args, '-crf')).toBe('23');
    expect(valueOf(plan.args, '-pix_fmt')).toBe('yuv420p');
    expect(valueOf(plan.args, '-c:a')).toBe('copy');
    expect(plan.copiedStreams).toEqual(['audio']);
  });

  it('uses VP9 and Opus for WebM', () => {
    const plan = planOperation(op({ method_name: 'grayscale', output_format: 'webm' }), probeOf(), io);
    expect(valueOf(plan.args, '-c:v')).toBe('libvpx-vp9');
    expect(valueOf(plan.args, '-c:a')).toBe('libopus');
  });

  it('needs a video stream', () => {
    expect(thrown(() => planOperation(op({ method_name: 'grayscale' }), audioOnly(), io))).toMatchObject({
      code: 'NO_VIDEO_STREAM',
    });
  });
});

describe('outputExtensionFor', () => {
  it.each([
    [{ method_name: 'compress' }, 'mp4'],
    [{ method_name: 'extract_audio', output_format: 'opus' }, 'opus'],
    [{ method_name: 'extract_audio', output_format: 'm4a' }, 'm4a'],
    [{ method_name: 'resize', output_format: 'mov' }, 'mov'],
    [{ method_name: 'convert_format', output_format: 'mkv' }, 'mkv'],
    [{ method_name: 'grayscale', output_format: 'webm' }, 'webm'],
    [{ method_name: 'transcribe' }, 'srt'],
  ])('%j → %s', (input, extension) => {
    expect(outputExtensionFor(op(input))).toBe(extension);
  });
});
