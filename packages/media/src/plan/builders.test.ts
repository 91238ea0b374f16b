import type { MediaProbe } from '../probe-types';
import { planCompress } from './compress';
import { planConvertFormat } from './convert-format';
import { planExtractAudio } from './extract-audio';
import { planGrayscale } from './grayscale';
import { planResize } from './resize';
import { formatFacts } from './formats';
import type { FfmpegPlan } from './plan-types';

// What the single-output builders report besides their argv: which streams
// they pass through untouched (copiedStreams) and the output's extension,
// content type and kind. The execution plan does not carry these, so they are
// pinned here on the builders; the argv itself is tested through the
// registered operations in @mediaflow/operations.

const io = { inputPath: '/work/job/-input.mov', outputPath: '/work/job/out.bin' };

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

function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** copiedStreams must say exactly what the argv does, or it is not worth reporting. */
function expectCopiedMatchesArgs(plan: FfmpegPlan): void {
  expect(plan.copiedStreams.includes('video')).toBe(valueOf(plan.args, '-c:v') === 'copy');
  expect(plan.copiedStreams.includes('audio')).toBe(valueOf(plan.args, '-c:a') === 'copy');
}

describe('planConvertFormat: copiedStreams', () => {
  type Case = [container: 'mp4' | 'mov' | 'mkv' | 'webm', videoCodec: string, audioCodec: string, copied: string[]];
  const cases: Case[] = [
    ['mp4', 'h264', 'aac', ['video', 'audio']],
    ['mp4', 'hevc', 'mp3', ['video', 'audio']],
    ['mp4', 'vp9', 'opus', []],
    ['mp4', 'prores', 'pcm_s16le', []],
    ['mov', 'prores', 'pcm_s16le', ['video', 'audio']],
    ['mov', 'mjpeg', 'alac', ['video', 'audio']],
    ['mov', 'vp8', 'vorbis', []],
    ['webm', 'vp9', 'opus', ['video', 'audio']],
    ['webm', 'av1', 'vorbis', ['video', 'audio']],
    ['webm', 'h264', 'aac', []],
    ['webm', 'vp8', 'aac', ['video']],
    ['mkv', 'h264', 'aac', ['video', 'audio']],
    ['mkv', 'vp9', 'flac', ['video', 'audio']],
    ['mkv', 'mpeg2video', 'pcm_s16le', ['video', 'audio']],
    ['mkv', 'wmv3', 'wmav2', []],
  ];

  it.each(cases)('%s from %s/%s copies %j', (container, videoCodec, audioCodec, copied) => {
    const probe = probeOf({
      video: { index: 0, codec: videoCodec, width: 640, height: 360 },
      audio: { index: 1, codec: audioCodec, channels: 2, sampleRate: 48000 },
    });
    const plan = planConvertFormat({ output_format: container }, probe, io);
    expect(plan.copiedStreams).toEqual(copied);
    expectCopiedMatchesArgs(plan);
  });

  it('copies a rotated video into MP4/MOV, but only its audio into MKV/WebM (their muxer drops the rotation)', () => {
    const probe = probeOf({ video: { index: 0, codec: 'h264', width: 1920, height: 1080, rotation: 90 } });
    expect(planConvertFormat({ output_format: 'mov' }, probe, io).copiedStreams).toEqual(['video', 'audio']);
    expect(planConvertFormat({ output_format: 'mp4' }, probe, io).copiedStreams).toEqual(['video', 'audio']);
    expect(planConvertFormat({ output_format: 'mkv' }, probe, io).copiedStreams).toEqual(['audio']);
    expect(planConvertFormat({ output_format: 'webm' }, probe, io).copiedStreams).toEqual([]);
  });

  it('copies the video of a source without audio, and reports no audio copied', () => {
    const probe = probeOf({ streamCount: 1 });
    delete probe.audio;
    const plan = planConvertFormat({ output_format: 'mkv' }, probe, io);
    expect(plan.copiedStreams).toEqual(['video']);
    expect(plan.args).toContain('-an');
  });

  it.each([
    ['mp4', 'video/mp4'],
    ['mov', 'video/quicktime'],
    ['mkv', 'video/x-matroska'],
    ['webm', 'video/webm'],
  ] as const)('%s: extension, content type and kind', (container, contentType) => {
    expect(planConvertFormat({ output_format: container }, probeOf(), io)).toMatchObject({
      outputExtension: container,
      contentType,
      outputKind: 'video',
      expectedDurationSec: 12.5,
    });
  });
});

describe('the other builders: copiedStreams', () => {
  it('compress never copies: the point is a smaller file', () => {
    const plan = planCompress({ params: { crf: 28, preset: 'veryfast' } }, probeOf(), io);
    expect(plan).toMatchObject({
      outputExtension: 'mp4',
      contentType: 'video/mp4',
      outputKind: 'video',
      copiedStreams: [],
    });
    expectCopiedMatchesArgs(plan);
  });

  it.each(['mp3', 'm4a', 'wav', 'opus'] as const)('extract_audio to %s always re-encodes', (format) => {
    const plan = planExtractAudio({ output_format: format }, probeOf(), io);
    expect(plan).toMatchObject({
      outputExtension: formatFacts(format).extension,
      contentType: formatFacts(format).contentType,
      outputKind: 'audio',
      copiedStreams: [],
    });
    expectCopiedMatchesArgs(plan);
  });

  it('resize copies AAC into MP4, and re-encodes it to Opus for WebM', () => {
    const mp4 = planResize({ output_format: 'mp4', params: { height: 360 } }, probeOf(), io);
    expect(mp4.copiedStreams).toEqual(['audio']);
    expectCopiedMatchesArgs(mp4);

    const webm = planResize({ output_format: 'webm', params: { height: 360 } }, probeOf(), io);
    expect(webm).toMatchObject({ outputExtension: 'webm', contentType: 'video/webm', copiedStreams: [] });
    expectCopiedMatchesArgs(webm);
  });

  it('grayscale re-encodes the video and copies audio that fits', () => {
    const mp4 = planGrayscale({ output_format: 'mp4' }, probeOf(), io);
    expect(mp4.copiedStreams).toEqual(['audio']);
    expectCopiedMatchesArgs(mp4);
    expect(planGrayscale({ output_format: 'webm' }, probeOf(), io).copiedStreams).toEqual([]);
  });
});
