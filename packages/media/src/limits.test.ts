import { AppError } from '@mediaflow/domain';
import { ALLOWED_CONTAINERS, FORMAT_WHITELIST, isAllowedContainer } from './allow-lists';
import { assertMediaWithinLimits, DEFAULT_MEDIA_LIMITS } from './limits';
import type { MediaLimits } from './limits';
import type { MediaProbe } from './probe-types';

function probeOf(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 60,
    sizeBytes: 1_000_000,
    streamCount: 2,
    video: { index: 0, codec: 'h264', width: 1920, height: 1080 },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    ...overrides,
  };
}

function refusal(probe: MediaProbe, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): AppError {
  try {
    assertMediaWithinLimits(probe, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the probe to be refused');
}

describe('assertMediaWithinLimits', () => {
  it('accepts ordinary uploads from phones, browsers and cameras', () => {
    const accepted: Partial<MediaProbe>[] = [
      {},
      { formatName: 'matroska,webm', durationSec: 0, video: { index: 0, codec: 'vp9', width: 1280, height: 720 } },
      { formatName: 'mpegts', video: { index: 0, codec: 'hevc', width: 3840, height: 2160 } },
      {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        video: undefined,
        audio: { index: 0, codec: 'alac', channels: 2, sampleRate: 44100 },
      },
      { formatName: 'mp3', video: undefined, audio: { index: 0, codec: 'mp3', channels: 2, sampleRate: 44100 } },
      { formatName: 'wav', video: undefined, audio: { index: 0, codec: 'pcm_s24le', channels: 2, sampleRate: 96000 } },
      { formatName: 'ogg', video: undefined, audio: { index: 0, codec: 'opus', channels: 1, sampleRate: 48000 } },
      // Exactly at every limit.
      {
        durationSec: 4 * 3600,
        streamCount: 16,
        video: { index: 0, codec: 'av1', width: 8192, height: 4320 },
      },
      { video: { index: 0, codec: 'h264', width: 16384, height: 2000 } },
    ];
    for (const overrides of accepted) {
      expect(() => assertMediaWithinLimits(probeOf(overrides))).not.toThrow();
    }
  });

  it.each([
    ['hls', 'hls'],
    ['applehttp', 'applehttp'],
    ['concat', 'concat'],
    ['image2', 'image2'],
    ['yuv4mpegpipe', 'yuv4mpegpipe'],
    ['avi', 'avi'],
    ['flv', 'flv'],
    ['tty', 'tty'],
    ['unknown', 'unknown'],
  ])('refuses the %s container as UNSUPPORTED_MEDIA', (formatName, named) => {
    const error = refusal(probeOf({ formatName }));
    expect(error.code).toBe('UNSUPPORTED_MEDIA');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`"${named}"`);
  });

  it('refuses video and audio codecs outside the allow-lists', () => {
    const video = refusal(probeOf({ video: { index: 0, codec: 'xbin', width: 640, height: 480 } }));
    expect(video.code).toBe('UNSUPPORTED_MEDIA');
    expect(video.message).toMatch(/^The video codec "xbin" is not supported; supported: h264, /);

    const audio = refusal(probeOf({ audio: { index: 1, codec: 'unknown', channels: 2, sampleRate: 48000 } }));
    expect(audio.code).toBe('UNSUPPORTED_MEDIA');
    expect(audio.message).toMatch(/^The audio codec "unknown" is not supported/);
  });

  it('refuses too many streams', () => {
    const error = refusal(probeOf({ streamCount: 17 }));
    expect(error).toMatchObject({ code: 'MEDIA_LIMIT_EXCEEDED', status: 422, retryable: false });
    expect(error.message).toBe('The file has 17 streams; at most 16 are allowed');
  });

  it('refuses media longer than the limit, saying by how much', () => {
    const error = refusal(probeOf({ durationSec: 4 * 3600 + 0.5 }));
    expect(error.code).toBe('MEDIA_LIMIT_EXCEEDED');
    expect(error.message).toBe('The media lasts 4:00:00 (14400.5 s); at most 4:00:00 (14400 s) is allowed');
    expect(refusal(probeOf({ durationSec: 10 * 86_400 })).message).toMatch(/^The media lasts 240:00:00 /);
  });

  it('lets an unknown duration (0) through: the CPU-time limit bounds it', () => {
    expect(() => assertMediaWithinLimits(probeOf({ durationSec: 0 }))).not.toThrow();
  });

  it('refuses pictures over the pixel budget or over the side limit', () => {
    const pixels = refusal(probeOf({ video: { index: 0, codec: 'h264', width: 8192, height: 4321 } }));
    expect(pixels.code).toBe('MEDIA_LIMIT_EXCEEDED');
    expect(pixels.message).toBe(
      'The video is 8192x4321 (35397632 pixels); at most 35389440 pixels per frame are allowed',
    );

    const strip = refusal(probeOf({ video: { index: 0, codec: 'h264', width: 16385, height: 16 } }));
    expect(strip.code).toBe('MEDIA_LIMIT_EXCEEDED');
    expect(strip.message).toBe('The video is 16385x16; neither side may exceed 16384 pixels');

    const tall = refusal(probeOf({ video: { index: 0, codec: 'h264', width: 16, height: 100_000 } }));
    expect(tall.message).toMatch(/neither side/);
  });

  it('applies the limits it is given', () => {
    const limits: MediaLimits = {
      ...DEFAULT_MEDIA_LIMITS,
      maxDurationSec: 30,
      maxVideoPixels: 640 * 480,
      maxStreams: 1,
    };
    expect(refusal(probeOf({ durationSec: 31, streamCount: 1 }), limits).message).toMatch(/lasts/);
    expect(refusal(probeOf({ streamCount: 2 }), limits).message).toMatch(/2 streams/);
    expect(
      refusal(
        probeOf({ durationSec: 10, streamCount: 1, video: { index: 0, codec: 'h264', width: 641, height: 480 } }),
        limits,
      ).message,
    ).toMatch(/641x480/);
  });

  it('checks the allow-lists before the sizes, so an unsupported file is named as such', () => {
    const error = refusal(probeOf({ formatName: 'hls', durationSec: 1e9, streamCount: 500 }));
    expect(error.code).toBe('UNSUPPORTED_MEDIA');
  });
});

describe('container allow-list', () => {
  it('matches any of a demuxer’s names, as FFmpeg’s format_whitelist does', () => {
    expect(isAllowedContainer('mov,mp4,m4a,3gp,3g2,mj2')).toBe(true);
    expect(isAllowedContainer('matroska,webm')).toBe(true);
    expect(isAllowedContainer('mpegts')).toBe(true);
    expect(isAllowedContainer('mpegtsraw')).toBe(false);
    expect(isAllowedContainer('mp3')).toBe(true);
    expect(isAllowedContainer('mp3x')).toBe(false);
    expect(isAllowedContainer('')).toBe(false);
  });

  it('excludes every demuxer that opens other files or URLs by name', () => {
    const referencing = [
      'hls',
      'applehttp',
      'concat',
      'ffconcat',
      'dash',
      'image2',
      'image2pipe',
      'sdp',
      'rtsp',
      'rtp',
    ];
    const alsoExcluded = ['lavfi', 'subfile', 'data', 'tty', 'bin', 'xbin', 'avi', 'yuv4mpegpipe', 'rawvideo'];
    for (const name of [...referencing, ...alsoExcluded]) {
      expect(isAllowedContainer(name)).toBe(false);
      expect(FORMAT_WHITELIST.split(',')).not.toContain(name);
    }
  });

  it('is what -format_whitelist is given', () => {
    expect(FORMAT_WHITELIST).toBe(ALLOWED_CONTAINERS.join(','));
    expect(FORMAT_WHITELIST).toMatch(/^[a-z0-9_]+(,[a-z0-9_]+)*$/);
  });
});
