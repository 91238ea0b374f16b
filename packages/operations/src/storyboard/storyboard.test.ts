import type { MediaProbe } from '@mediaflow/media';
import type { FfmpegStep, WriteTextStep } from '../execution-plan';
import { storyboard } from './index';

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
  durationSec: 125,
  sizeBytes: 1,
  streamCount: 1,
  video: { index: 0, codec: 'h264', width: 1280, height: 720, fps: 30 },
};
const context = { inputPath: '/w/in.mp4', workDir: '/w', sourceName: 'a.mp4', defaults: { whisperModel: 'base' } };

describe('storyboard', () => {
  it('defaults: automatic interval, 160 px tiles, jpg', () => {
    expect(storyboard.parse({ method_name: 'storyboard' })).toEqual({
      method_name: 'storyboard',
      output_format: 'jpg',
      params: { tile_width: 160 },
    });
  });

  it.each([[{ interval_seconds: 0 }], [{ interval_seconds: 61 }], [{ tile_width: 79 }], [{ tile_width: 321 }]])(
    'rejects %j',
    (params) => {
      expect(() => storyboard.parse({ method_name: 'storyboard', params })).toThrow();
    },
  );

  it('sprite step then the VTT, the VTT primary', () => {
    const plan = storyboard.plan(
      storyboard.parse({ method_name: 'storyboard', params: { interval_seconds: 5, tile_width: 120 } }),
      probe,
      context,
    );
    expect(plan.steps.map((s) => s.kind)).toEqual(['ffmpeg', 'write_text']);
    expect((plan.steps[0] as FfmpegStep).args.at(-1)).toBe('file:/w/storyboard/sprite.jpg');
    const vtt = plan.steps[1] as WriteTextStep;
    expect(vtt.path).toBe('storyboard/storyboard.vtt');
    // 125 s every 5 s: 25 tiles of 120x68 in 10 columns.
    expect(vtt.content.match(/-->/g)).toHaveLength(25);
    expect(vtt.content).toContain('00:02:00.000 --> 00:02:05.000\nsprite.jpg#xywh=480,136,120,68');
    expect(plan.outputs).toEqual([
      { kind: 'storyboard', path: 'storyboard/storyboard.vtt', contentType: 'text/vtt', primary: true },
      { kind: 'storyboard_image', path: 'storyboard/sprite.jpg', contentType: 'image/jpeg' },
    ]);
  });

  it('refuses audio-only sources and unknown durations', () => {
    const operation = storyboard.parse({ method_name: 'storyboard' });
    expect(thrownCode(() => storyboard.plan(operation, { ...probe, video: undefined }, context))).toBe(
      'NO_VIDEO_STREAM',
    );
    expect(thrownCode(() => storyboard.plan(operation, { ...probe, durationSec: 0 }, context))).toBe(
      'UNSUPPORTED_MEDIA',
    );
  });
});
