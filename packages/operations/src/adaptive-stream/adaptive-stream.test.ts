import type { MediaProbe } from '@mediaflow/media';
import type { FfmpegStep, FinaliseHlsStep, WriteTextStep } from '../execution-plan';
import type { PlanContext } from '../operation-definition';
import { adaptiveStream } from './index';

/** The code of the error a call throws (AppError codes), undefined when it does not throw. */
function thrownCode(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

const probe: MediaProbe = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 30,
  sizeBytes: 1,
  streamCount: 2,
  video: { index: 0, codec: 'h264', width: 960, height: 540, fps: 25 },
  audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
};
const context: PlanContext = {
  inputPath: '/work/job/input.mp4',
  workDir: '/work/job',
  sourceName: 'holiday.mp4',
  defaults: { whisperModel: 'base' },
};
const plan = (
  params: Record<string, unknown> = {},
  source: MediaProbe = probe,
): ReturnType<typeof adaptiveStream.plan> =>
  adaptiveStream.plan(adaptiveStream.parse({ method_name: 'adaptive_stream', params }), source, context);

describe('adaptive_stream schema', () => {
  it('fills every default', () => {
    expect(adaptiveStream.parse({ method_name: 'adaptive_stream' })).toEqual({
      method_name: 'adaptive_stream',
      output_format: 'cmaf',
      params: {
        formats: ['hls', 'dash'],
        renditions: [1080, 720, 480, 360, 240],
        segment_seconds: 4,
        poster: true,
        storyboard: true,
        audio_bitrate_kbps: 128,
      },
    });
    expect(adaptiveStream.parse({ method_name: 'adaptive_stream', params: { poster: false } }).params).toMatchObject({
      poster: false,
      segment_seconds: 4,
    });
  });

  it.each([
    [{ formats: [] }],
    [{ formats: ['hls', 'hls'] }],
    [{ formats: ['smooth'] }],
    [{ renditions: [720, 720] }],
    [{ renditions: [100] }],
    [{ renditions: [4320] }],
    [{ renditions: [] }],
    [{ segment_seconds: 1 }],
    [{ segment_seconds: 4.5 }],
    [{ segment_seconds: 11 }],
    [{ audio_bitrate_kbps: 16 }],
    [{ audio_bitrate_kbps: 512 }],
    [{ unknown: true }],
  ])('rejects %j', (params) => {
    expect(() => adaptiveStream.parse({ method_name: 'adaptive_stream', params })).toThrow();
  });

  it('accepts only cmaf as output_format', () => {
    expect(() => adaptiveStream.parse({ method_name: 'adaptive_stream', output_format: 'mp4' })).toThrow();
  });
});

describe('adaptive_stream plan', () => {
  it('encodes once, finalises HLS, writes the storyboard index; encode dominates the weights', () => {
    const { steps, expectedDurationSec } = plan();
    expect(steps.map((s) => `${s.id}:${s.kind}`)).toEqual([
      'encode:ffmpeg',
      'finalise-hls:finalise_hls',
      'storyboard-vtt:write_text',
    ]);
    expect(steps[0].weight).toBeGreaterThan(10 * (steps[1].weight + steps[2].weight));
    const encode = steps[0] as FfmpegStep;
    expect(encode.createDirs).toEqual(['stream', 'storyboard']);
    expect(encode.expectedDurationSec).toBe(30);
    expect(expectedDurationSec).toBe(30);
    expect(encode.args.at(-1)).toBe('file:/work/job/storyboard/sprite.jpg');
    expect(encode.args).toContain('file:/work/job/stream/manifest.mpd');
    expect(encode.args).toContain('file:/work/job/poster.jpg');
    expect(encode.args.join(' ')).not.toContain('holiday');
  });

  it('ladders a 540p source as 540/480/360/240 and tells the finalise step what each playlist holds', () => {
    const finalise = plan().steps[1] as FinaliseHlsStep;
    expect(finalise).toMatchObject({ dir: 'stream', masterName: 'master.m3u8' });
    expect(finalise.variants.map((v) => [v.playlist, v.width, v.height, v.frameRate, v.videoCodec])).toEqual([
      ['media_0.m3u8', 960, 540, 25, 'avc1.64001f'],
      ['media_1.m3u8', 854, 480, 25, 'avc1.64001e'],
      ['media_2.m3u8', 640, 360, 25, 'avc1.64001e'],
      ['media_3.m3u8', 426, 240, 25, 'avc1.64001e'],
    ]);
    expect(finalise.audio).toEqual({ playlist: 'media_4.m3u8', codec: 'mp4a.40.2', language: 'und', channels: 2 });
  });

  it('writes a VTT whose cues cover the duration', () => {
    const vtt = plan().steps[2] as WriteTextStep;
    expect(vtt.path).toBe('storyboard/storyboard.vtt');
    expect(vtt.content.startsWith('WEBVTT\n')).toBe(true);
    expect(vtt.content).toContain('00:00:29.000 --> 00:00:30.000\nsprite.jpg#xywh=');
  });

  it('lists the outputs, HLS primary', () => {
    expect(plan().outputs).toEqual([
      { kind: 'hls', path: 'stream/master.m3u8', contentType: 'application/vnd.apple.mpegurl', primary: true },
      { kind: 'dash', path: 'stream/manifest.mpd', contentType: 'application/dash+xml' },
      { kind: 'package', path: 'stream/', contentType: 'inode/directory' },
      { kind: 'poster', path: 'poster.jpg', contentType: 'image/jpeg' },
      { kind: 'storyboard', path: 'storyboard/storyboard.vtt', contentType: 'text/vtt' },
      { kind: 'storyboard_image', path: 'storyboard/sprite.jpg', contentType: 'image/jpeg' },
    ]);
  });

  it('DASH only: no HLS playlists, no finalise step, the MPD primary', () => {
    const result = plan({ formats: ['dash'], poster: false, storyboard: false });
    expect(result.steps.map((s) => s.kind)).toEqual(['ffmpeg']);
    expect((result.steps[0] as FfmpegStep).args).not.toContain('-hls_playlist');
    expect(result.outputs).toEqual([
      { kind: 'dash', path: 'stream/manifest.mpd', contentType: 'application/dash+xml', primary: true },
      { kind: 'package', path: 'stream/', contentType: 'inode/directory' },
    ]);
  });

  it('HLS only: the MPD is not listed', () => {
    const kinds = plan({ formats: ['hls'] }).outputs.map((o) => o.kind);
    expect(kinds).not.toContain('dash');
    expect(kinds[0]).toBe('hls');
  });

  it('audio-only: an audio package without poster or storyboard', () => {
    const result = plan({}, { ...probe, video: undefined, streamCount: 1 });
    expect(result.steps.map((s) => s.kind)).toEqual(['ffmpeg', 'finalise_hls']);
    expect((result.steps[1] as FinaliseHlsStep).variants).toEqual([]);
    expect((result.steps[1] as FinaliseHlsStep).audio?.playlist).toBe('media_0.m3u8');
    expect(result.outputs.map((o) => o.kind)).toEqual(['hls', 'dash', 'package']);
  });

  it('video without audio: no audio rendition', () => {
    const finalise = plan({}, { ...probe, audio: undefined }).steps[1] as FinaliseHlsStep;
    expect(finalise.audio).toBeUndefined();
  });

  it('unknown duration: poster from the start, no storyboard', () => {
    const result = plan({}, { ...probe, durationSec: 0 });
    expect(result.outputs.map((o) => o.kind)).toEqual(['hls', 'dash', 'package', 'poster']);
    expect(result.steps.map((s) => s.kind)).toEqual(['ffmpeg', 'finalise_hls']);
    expect((result.steps[0] as FfmpegStep).args.join(' ')).toContain('trim=start=0:duration=4');
  });

  it('refuses a source with neither video nor audio', () => {
    expect(thrownCode(() => plan({}, { ...probe, video: undefined, audio: undefined, streamCount: 0 }))).toBe(
      'NO_VIDEO_STREAM',
    );
  });
});
