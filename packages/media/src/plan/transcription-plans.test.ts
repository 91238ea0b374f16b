import { AppError } from '@mediaflow/domain';
import { FORMAT_WHITELIST } from '../allow-lists';
import type { MediaProbe } from '../probe-types';
import { subtitleLanguageCode } from './subtitle-language';
import { planSubtitleMux } from './subtitle-mux';
import { planTranscriptionAudio } from './transcription-audio';

const io = { inputPath: '/work/in/-source.mov', outputPath: '/work/out/audio.wav' };
const muxIo = { inputPath: '/work/in/-source.mov', subtitlesPath: '/work/out/-x.srt', outputPath: '/work/out/out.mp4' };

function probeOf(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 30.5,
    sizeBytes: 1000,
    streamCount: 3,
    video: { index: 1, codec: 'h264', width: 1280, height: 720, fps: 25 },
    audio: { index: 2, codec: 'aac', channels: 2, sampleRate: 48000 },
    ...overrides,
  };
}

function without(probe: MediaProbe, kind: 'video' | 'audio'): MediaProbe {
  const copy = { ...probe };
  delete copy[kind];
  return copy;
}

function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, at) => (arg === flag ? [args[at + 1]] : []));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return undefined;
}

describe('planTranscriptionAudio', () => {
  it('decodes the first audio stream to 16 kHz mono 16-bit WAV, under the allow-lists', () => {
    const plan = planTranscriptionAudio(probeOf(), io);
    // prettier-ignore
    expect(plan.args).toEqual([
      '-hide_banner', '-y', '-nostdin',
      '-protocol_whitelist', 'file',
      '-format_whitelist', FORMAT_WHITELIST,
      '-i', 'file:/work/in/-source.mov',
      '-map', '0:2',
      '-vn', '-sn', '-dn',
      '-ac', '1',
      '-ar', '16000',
      '-c:a', 'pcm_s16le',
      '-map_metadata', '-1', '-threads', '0',
      '-f', 'wav', 'file:/work/out/audio.wav',
    ]);
    expect(plan).toMatchObject({
      outputExtension: 'wav',
      contentType: 'audio/wav',
      outputKind: 'audio',
      expectedDurationSec: 30.5,
      copiedStreams: [],
    });
  });

  it('works on audio-only inputs and refuses inputs without audio', () => {
    const audioOnly = without(probeOf({ formatName: 'wav' }), 'video');
    audioOnly.audio = { index: 0, codec: 'pcm_s16le', channels: 1, sampleRate: 22050 };
    expect(valueOf(planTranscriptionAudio(audioOnly, io).args, '-map')).toBe('0:0');
    expect(codeOf(() => planTranscriptionAudio(without(probeOf(), 'audio'), io))).toBe('NO_AUDIO_STREAM');
  });

  it('refuses relative paths', () => {
    expect(() => planTranscriptionAudio(probeOf(), { ...io, outputPath: 'audio.wav' })).toThrow(/absolute/);
  });
});

describe('planSubtitleMux', () => {
  it('remuxes H.264 + AAC with the SRT as a language-tagged default mov_text track', () => {
    const plan = planSubtitleMux(probeOf(), muxIo, { language: 'en' });
    // prettier-ignore
    expect(plan.args).toEqual([
      '-hide_banner', '-y', '-nostdin',
      '-protocol_whitelist', 'file',
      '-format_whitelist', FORMAT_WHITELIST,
      '-i', 'file:/work/in/-source.mov',
      '-protocol_whitelist', 'file',
      '-format_whitelist', 'srt',
      '-f', 'srt',
      '-i', 'file:/work/out/-x.srt',
      '-map', '0:1',
      '-map', '0:2',
      '-map', '1:0',
      '-c:v', 'copy',
      '-c:a', 'copy',
      '-c:s', 'mov_text',
      '-metadata:s:s:0', 'language=eng',
      '-disposition:s:0', 'default',
      '-movflags', '+faststart',
      '-map_metadata', '-1', '-threads', '0',
      '-f', 'mp4', 'file:/work/out/out.mp4',
    ]);
    expect(plan).toMatchObject({
      outputExtension: 'mp4',
      contentType: 'video/mp4',
      outputKind: 'video',
      expectedDurationSec: 30.5,
      copiedStreams: ['video', 'audio'],
    });
  });

  it('binds each input to its own allow-lists: the SRT input may only be read as SRT', () => {
    const { args } = planSubtitleMux(probeOf(), muxIo);
    const inputs = args.flatMap((arg, at) => (arg === '-i' ? [at] : []));
    expect(inputs).toHaveLength(2);
    const second = args.slice(inputs[0] + 2, inputs[1]);
    expect(valueOf(second, '-protocol_whitelist')).toBe('file');
    expect(valueOf(second, '-format_whitelist')).toBe('srt');
    expect(valueOf(second, '-f')).toBe('srt');
    expect(args.filter((arg) => arg.startsWith('/'))).toEqual([]);
    expect(() => planSubtitleMux(probeOf(), { ...muxIo, subtitlesPath: 'x.srt' })).toThrow(/absolute/);
  });

  it('re-encodes audio MP4 cannot hold to AAC, and video it cannot hold to H.264 with even sides', () => {
    const pcm = planSubtitleMux(
      probeOf({ audio: { index: 2, codec: 'pcm_s16le', channels: 1, sampleRate: 16000 } }),
      muxIo,
    );
    expect(valuesOf(pcm.args, '-c:a')).toEqual(['aac']);
    expect(valueOf(pcm.args, '-c:v')).toBe('copy');
    expect(pcm.copiedStreams).toEqual(['video']);

    const vp9 = planSubtitleMux(
      probeOf({
        formatName: 'matroska,webm',
        video: { index: 0, codec: 'vp9', width: 641, height: 360 },
        audio: { index: 1, codec: 'opus', channels: 2, sampleRate: 48000 },
      }),
      muxIo,
    );
    expect(valueOf(vp9.args, '-c:v')).toBe('libx264');
    expect(valueOf(vp9.args, '-vf')).toBe('scale=trunc(iw/2)*2:trunc(ih/2)*2');
    expect(valueOf(vp9.args, '-c:a')).toBe('aac');
    expect(vp9.copiedStreams).toEqual([]);
  });

  it('tags copied HEVC as hvc1, maps no audio when there is none, and needs a video stream', () => {
    const hevc = planSubtitleMux(probeOf({ video: { index: 0, codec: 'hevc', width: 1920, height: 1080 } }), muxIo);
    expect(valueOf(hevc.args, '-tag:v')).toBe('hvc1');

    const silent = planSubtitleMux(without(probeOf(), 'audio'), muxIo);
    expect(valuesOf(silent.args, '-map')).toEqual(['0:1', '1:0']);
    expect(silent.args).not.toContain('-c:a');

    expect(codeOf(() => planSubtitleMux(without(probeOf(), 'video'), muxIo))).toBe('NO_VIDEO_STREAM');
  });

  it('tags an unknown language as undetermined', () => {
    expect(valueOf(planSubtitleMux(probeOf(), muxIo).args, '-metadata:s:s:0')).toBe('language=und');
    expect(valueOf(planSubtitleMux(probeOf(), muxIo, { language: 'de' }).args, '-metadata:s:s:0')).toBe('language=deu');
  });
});

describe('subtitleLanguageCode', () => {
  it.each([
    ['en', 'eng'],
    ['EN', 'eng'],
    ['de', 'deu'],
    ['zh', 'zho'],
    ['jw', 'jav'],
    ['haw', 'haw'],
    ['yue', 'yue'],
    ['eng', 'eng'],
    ['', 'und'],
    [undefined, 'und'],
    ['xx', 'und'],
    ['english', 'und'],
    ['e1g', 'und'],
  ])('%p → %p', (language, code) => {
    expect(subtitleLanguageCode(language)).toBe(code);
  });
});
