import { loadConfig } from '@mediaflow/domain';
import { DEFAULT_MEDIA_LIMITS } from './limits';
import {
  FFMPEG_NICENESS,
  ffmpegProcessLimits,
  mediaLimitsFromConfig,
  PROBE_CPU_SECONDS,
  probeProcessLimits,
  scaledCpuSeconds,
} from './limits-config';

describe('limits from configuration', () => {
  const defaults = loadConfig({});

  it('defaults to 4 h, 8192x4320, 16 streams, 4 GiB and a scaled CPU budget', () => {
    expect(defaults).toMatchObject({
      MAX_MEDIA_DURATION_SECONDS: 14_400,
      MAX_VIDEO_PIXELS: 35_389_440,
      MAX_STREAMS: 16,
      FFMPEG_MEMORY_LIMIT_MB: 4096,
      FFMPEG_CPU_TIME_LIMIT_SECONDS: 0,
    });
    expect(mediaLimitsFromConfig(defaults)).toEqual(DEFAULT_MEDIA_LIMITS);
  });

  it('reads the environment', () => {
    const config = loadConfig({
      MAX_MEDIA_DURATION_SECONDS: '600',
      MAX_VIDEO_PIXELS: '2073600',
      MAX_STREAMS: '4',
      FFMPEG_MEMORY_LIMIT_MB: '1024',
      FFMPEG_CPU_TIME_LIMIT_SECONDS: '900',
    });
    expect(mediaLimitsFromConfig(config)).toMatchObject({
      maxDurationSec: 600,
      maxVideoPixels: 2_073_600,
      maxStreams: 4,
    });
    expect(ffmpegProcessLimits(config, { durationSec: 7200 })).toEqual({
      memoryMb: 1024,
      cpuSeconds: 900,
      niceness: FFMPEG_NICENESS,
    });
    expect(probeProcessLimits(config)).toEqual({
      memoryMb: 1024,
      cpuSeconds: PROBE_CPU_SECONDS,
      niceness: FFMPEG_NICENESS,
    });
  });

  it('refuses a memory limit too small for FFmpeg to start', () => {
    expect(() => loadConfig({ FFMPEG_MEMORY_LIMIT_MB: '64' })).toThrow(/FFMPEG_MEMORY_LIMIT_MB/);
    expect(() => loadConfig({ MAX_STREAMS: '0' })).toThrow(/MAX_STREAMS/);
  });

  it('scales the CPU budget with the duration, picture size and frame rate, with a floor', () => {
    const hd = { index: 0, codec: 'h264', width: 1920, height: 1080, fps: 30 };
    expect(scaledCpuSeconds({ durationSec: 3, video: hd })).toBe(300);
    expect(scaledCpuSeconds({ durationSec: 600, video: hd })).toBe(18_000);
    expect(scaledCpuSeconds({ durationSec: 600, video: { ...hd, width: 320, height: 240, fps: 25 } })).toBe(18_000);
    expect(scaledCpuSeconds({ durationSec: 600, video: { ...hd, width: 3840, height: 2160 } })).toBe(72_000);
    expect(scaledCpuSeconds({ durationSec: 600, video: { ...hd, fps: 60 } })).toBe(36_000);
    expect(scaledCpuSeconds({ durationSec: 600 })).toBe(18_000);
    // Unknown duration: counted as an hour.
    expect(scaledCpuSeconds({ durationSec: 0, video: hd })).toBe(108_000);
    expect(ffmpegProcessLimits(defaults, { durationSec: 600, video: hd }).cpuSeconds).toBe(18_000);
  });
});
