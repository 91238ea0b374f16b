import { planStoryboard, storyboardGeometry, storyboardVtt, vttTimestamp } from './storyboard';
import { planPoster, planThumbnails, posterWindow, stillSize } from './poster';
import type { MediaProbe } from '../probe-types';

/** The code of the error a call throws (AppError codes), undefined when it does not throw. */
function thrownCode(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

const video = { width: 1920, height: 1080 };
const probe: MediaProbe = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 95.5,
  sizeBytes: 1,
  streamCount: 2,
  video: { index: 0, codec: 'h264', ...video, fps: 25 },
  audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
};
const audioOnly: MediaProbe = { ...probe, video: undefined, streamCount: 1 };

/** Parses cues back: [start, end, x, y, w, h]. */
function cues(vtt: string): number[][] {
  const toSec = (t: string): number => {
    const [h, m, s] = t.split(':');
    return Number(h) * 3600 + Number(m) * 60 + Number(s);
  };
  const result: number[][] = [];
  const lines = vtt.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^(\S+) --> (\S+)$/.exec(lines[i]);
    if (!match) continue;
    const xywh = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[i + 1])!;
    result.push([toSec(match[1]), toSec(match[2]), ...xywh.slice(1).map(Number)]);
  }
  return result;
}

describe('storyboardGeometry', () => {
  it('chooses whole-second intervals giving at most 100 tiles', () => {
    expect(storyboardGeometry(95.5, video)).toMatchObject({ intervalSec: 1, tileCount: 96, columns: 10, rows: 10 });
    expect(storyboardGeometry(3600, video)).toMatchObject({ intervalSec: 36, tileCount: 100 });
    expect(storyboardGeometry(6, video)).toMatchObject({ intervalSec: 1, tileCount: 6, columns: 6, rows: 1 });
  });

  it('sizes tiles by the displayed shape, even', () => {
    expect(storyboardGeometry(10, video)).toMatchObject({
      tileWidth: 160,
      tileHeight: 90,
      spriteWidth: 1600,
      spriteHeight: 90,
    });
    expect(storyboardGeometry(10, { width: 1280, height: 720, rotation: 90 }, { tileWidth: 120 })).toMatchObject({
      tileWidth: 120,
      tileHeight: 214,
    });
  });

  it('honours an explicit interval but raises it past 400 tiles', () => {
    expect(storyboardGeometry(600, video, { intervalSec: 5 })).toMatchObject({
      intervalSec: 5,
      tileCount: 120,
      columns: 11,
      rows: 11,
    });
    expect(storyboardGeometry(7200, video, { intervalSec: 1 })).toMatchObject({
      intervalSec: 18,
      tileCount: 400,
      columns: 20,
      rows: 20,
    });
  });

  it('gives no tile to a trailing sliver past the last whole interval', () => {
    expect(storyboardGeometry(10.04, video).tileCount).toBe(10);
  });

  it('needs a duration', () => {
    expect(thrownCode(() => storyboardGeometry(0, video))).toBe('UNSUPPORTED_MEDIA');
  });
});

describe('storyboardVtt', () => {
  it('has one cue per tile, row by row, covering the whole duration without gaps', () => {
    const geometry = storyboardGeometry(95.5, video);
    const list = cues(storyboardVtt(geometry, 'sprite.jpg'));
    expect(list).toHaveLength(96);
    expect(list[0]).toEqual([0, 1, 0, 0, 160, 90]);
    expect(list[11]).toEqual([11, 12, 160, 90, 160, 90]);
    expect(list[95]).toEqual([95, 95.5, 800, 810, 160, 90]);
    for (let i = 1; i < list.length; i += 1) expect(list[i][0]).toBe(list[i - 1][1]);
    for (const [, , x, y, w, h] of list) {
      expect(x + w).toBeLessThanOrEqual(geometry.spriteWidth);
      expect(y + h).toBeLessThanOrEqual(geometry.spriteHeight);
    }
    expect(
      storyboardVtt(geometry, 'sprite.jpg').startsWith(
        'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nsprite.jpg#xywh=0,0,160,90\n',
      ),
    ).toBe(true);
  });

  it('formats long timestamps', () => {
    expect(vttTimestamp(3725.5)).toBe('01:02:05.500');
  });
});

describe('planStoryboard', () => {
  it('selects a frame per interval, tiles it and writes one JPEG', () => {
    const plan = planStoryboard(
      probe,
      { inputPath: '/w/in.mp4', spritePath: '/w/storyboard/sprite.jpg' },
      { tileWidth: 160 },
    );
    const graph = plan.args[plan.args.indexOf('-filter_complex') + 1];
    expect(graph).toBe(
      '[0:0]select=gte(t\\,selected_n*1),scale=w=160:h=90,setsar=1,tile=layout=10x10:nb_frames=96,format=yuvj420p[sprite]',
    );
    // prettier-ignore
    expect(plan.args.slice(-15)).toEqual([
      '-map', '[sprite]', '-frames:v', '1', '-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', '3', '-update', '1',
      '-f', 'image2', 'file:/w/storyboard/sprite.jpg',
    ]);
    expect(plan.args).toContain('-protocol_whitelist');
    expect(plan.vtt).toContain('sprite.jpg#xywh=');
  });

  it('refuses audio-only sources', () => {
    expect(thrownCode(() => planStoryboard(audioOnly, { inputPath: '/w/in', spritePath: '/w/s.jpg' }))).toBe(
      'NO_VIDEO_STREAM',
    );
  });
});

describe('poster and thumbnails', () => {
  it('skips the first 10 % (at most 60 s) and chooses within 4 s', () => {
    expect(posterWindow(30)).toEqual({ startSec: 3, windowSec: 4 });
    expect(posterWindow(3600)).toEqual({ startSec: 60, windowSec: 4 });
    expect(posterWindow(2)).toEqual({ startSec: 0.2, windowSec: 1.8 });
    expect(posterWindow(0)).toEqual({ startSec: 0, windowSec: 4 });
  });

  it('caps the still width and keeps the displayed shape', () => {
    expect(stillSize({ width: 1920, height: 1080 }, 1280)).toEqual({ width: 1280, height: 720 });
    expect(stillSize({ width: 640, height: 360, rotation: 270 }, 1280)).toEqual({ width: 360, height: 640 });
    expect(stillSize({ width: 720, height: 576, sampleAspectRatio: 64 / 45 }, 1280)).toEqual({
      width: 1024,
      height: 576,
    });
  });

  it('poster: trim window, thumbnail filter, one JPEG', () => {
    const { args } = planPoster(probe, { inputPath: '/w/in.mp4', outputPath: '/w/poster.jpg' });
    expect(args[args.indexOf('-filter_complex') + 1]).toBe(
      '[0:0]trim=start=9.55:duration=4,fps=5,scale=w=1280:h=720,setsar=1,format=yuvj420p,thumbnail=n=22[poster]',
    );
  });

  it('thumbnails: 8 candidates per stretch, numbered files, capped count', () => {
    const { args } = planThumbnails(
      probe,
      { inputPath: '/w/in.mp4', outputPattern: '/w/thumbnails/thumb-%02d.jpg' },
      { count: 5, maxWidth: 320 },
    );
    expect(args[args.indexOf('-filter_complex') + 1]).toBe(
      '[0:0]fps=0.418848,scale=w=320:h=180,setsar=1,format=yuvj420p,thumbnail=n=8[thumbs]',
    );
    expect(args.slice(args.indexOf('-frames:v'), args.indexOf('-frames:v') + 2)).toEqual(['-frames:v', '5']);
    expect(args).toContain('-start_number');
    expect(args.at(-1)).toBe('file:/w/thumbnails/thumb-%02d.jpg');
    expect(
      thrownCode(() =>
        planThumbnails(
          { ...probe, durationSec: 0 },
          { inputPath: '/w/i', outputPattern: '/w/t%02d.jpg' },
          { count: 1, maxWidth: 64 },
        ),
      ),
    ).toBe('UNSUPPORTED_MEDIA');
    expect(
      thrownCode(() =>
        planThumbnails(audioOnly, { inputPath: '/w/i', outputPattern: '/w/t%02d.jpg' }, { count: 1, maxWidth: 64 }),
      ),
    ).toBe('NO_VIDEO_STREAM');
  });
});
