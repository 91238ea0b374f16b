import type { MediaProbe } from '@mediaflow/media';
import type { FfmpegStep } from '../execution-plan';
import { thumbnails } from './index';

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
  durationSec: 60,
  sizeBytes: 1,
  streamCount: 1,
  video: { index: 0, codec: 'h264', width: 1920, height: 1080, fps: 30 },
};
const context = { inputPath: '/w/in.mp4', workDir: '/w', sourceName: 'a.mp4', defaults: { whisperModel: 'base' } };

describe('thumbnails', () => {
  it('defaults to 5 images at most 320 wide, as jpg', () => {
    expect(thumbnails.parse({ method_name: 'thumbnails' })).toEqual({
      method_name: 'thumbnails',
      output_format: 'jpg',
      params: { count: 5, width: 320 },
    });
  });

  it.each([[{ count: 0 }], [{ count: 51 }], [{ width: 63 }], [{ width: 1921 }], [{ count: 2.5 }]])(
    'rejects %j',
    (params) => {
      expect(() => thumbnails.parse({ method_name: 'thumbnails', params })).toThrow();
    },
  );

  it('one FFmpeg pass; every file an output, the first primary', () => {
    const plan = thumbnails.plan(thumbnails.parse({ method_name: 'thumbnails', params: { count: 3 } }), probe, context);
    const step = plan.steps[0] as FfmpegStep;
    expect(step.createDirs).toEqual(['thumbnails']);
    expect(step.args.at(-1)).toBe('file:/w/thumbnails/thumb-%02d.jpg');
    expect(plan.outputs).toEqual([
      { kind: 'thumbnail', path: 'thumbnails/thumb-01.jpg', contentType: 'image/jpeg', primary: true },
      { kind: 'thumbnail', path: 'thumbnails/thumb-02.jpg', contentType: 'image/jpeg' },
      { kind: 'thumbnail', path: 'thumbnails/thumb-03.jpg', contentType: 'image/jpeg' },
    ]);
  });

  it('refuses audio-only sources and unknown durations', () => {
    const operation = thumbnails.parse({ method_name: 'thumbnails' });
    expect(thrownCode(() => thumbnails.plan(operation, { ...probe, video: undefined }, context))).toBe(
      'NO_VIDEO_STREAM',
    );
    expect(thrownCode(() => thumbnails.plan(operation, { ...probe, durationSec: 0 }, context))).toBe(
      'UNSUPPORTED_MEDIA',
    );
  });
});
