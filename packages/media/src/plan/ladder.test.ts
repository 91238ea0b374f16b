import { avc1Codec, h264Level, ladderFrameRate, planLadder, rungMaxrateKbps } from './ladder';

const sizes = (rungs: ReturnType<typeof planLadder>): string[] => rungs.map((r) => `${r.width}x${r.height}`);

describe('planLadder', () => {
  it.each([
    ['1080p', { width: 1920, height: 1080 }, ['1920x1080', '1280x720', '854x480', '640x360', '426x240']],
    ['720p drops the rungs above it', { width: 1280, height: 720 }, ['1280x720', '854x480', '640x360', '426x240']],
    ['540p joins as the top rung', { width: 960, height: 540 }, ['960x540', '854x480', '640x360', '426x240']],
    [
      '4K stops at the highest requested rung',
      { width: 3840, height: 2160 },
      ['1920x1080', '1280x720', '854x480', '640x360', '426x240'],
    ],
    ['a source below every rung gives one rung at its size', { width: 320, height: 180 }, ['320x180']],
    ['odd sizes round down to even, never up', { width: 321, height: 181 }, ['320x180']],
    [
      'portrait is laddered by its short side',
      { width: 1080, height: 1920 },
      ['1080x1920', '720x1280', '480x854', '360x640', '240x426'],
    ],
  ])('%s', (_name, video, expected) => {
    expect(sizes(planLadder({ ...video, fps: 30 }))).toEqual(expected);
  });

  it('honours a 90° display rotation (stored landscape, shown portrait)', () => {
    const rungs = planLadder({ width: 1280, height: 720, rotation: 90, fps: 30 });
    expect(sizes(rungs)).toEqual(['720x1280', '480x854', '360x640', '240x426']);
    expect(rungs.map((r) => r.shortSide)).toEqual([720, 480, 360, 240]);
  });

  it('honours a non-square sample aspect ratio (anamorphic DVD: 720x576 shown 16:9)', () => {
    // 720 × 64/45 = 1024 displayed width.
    expect(sizes(planLadder({ width: 720, height: 576, sampleAspectRatio: 64 / 45, fps: 25 }))).toEqual([
      '1024x576',
      '854x480',
      '640x360',
      '426x240',
    ]);
  });

  it('takes custom rungs in any order, deduplicated after rounding to even', () => {
    expect(sizes(planLadder({ width: 1920, height: 1080, fps: 30 }, [144, 720, 145]))).toEqual(['1280x720', '256x144']);
  });

  it('never gives a rung above the source, all even', () => {
    for (const [width, height] of [
      [1918, 1078],
      [1000, 563],
      [2560, 1080],
      [202, 360],
    ] as const) {
      for (const rung of planLadder({ width, height, fps: 24 })) {
        expect(rung.width).toBeLessThanOrEqual(width);
        expect(rung.height).toBeLessThanOrEqual(height);
        expect(rung.width % 2).toBe(0);
        expect(rung.height % 2).toBe(0);
      }
    }
  });

  it('fixes profile, level and the RFC 6381 codec string per rung', () => {
    const rungs = planLadder({ width: 1920, height: 1080, fps: 30 });
    expect(rungs.map((r) => [r.level, r.codec])).toEqual([
      ['4.0', 'avc1.640028'],
      ['3.1', 'avc1.64001f'],
      ['3.1', 'avc1.64001f'],
      ['3.0', 'avc1.64001e'],
      ['3.0', 'avc1.64001e'],
    ]);
    expect(rungs.every((r) => r.profile === 'high' && r.bufsizeKbps === 2 * r.maxrateKbps)).toBe(true);
  });

  it('1080p60 needs level 4.2 and more bits', () => {
    const [top] = planLadder({ width: 1920, height: 1080, fps: 60 });
    expect(top).toMatchObject({ level: '4.2', codec: 'avc1.64002a', frameRate: 60, maxrateKbps: 7500 });
  });
});

describe('ladder helpers', () => {
  it('scales the bitrate for frame rates above 30 only', () => {
    expect(rungMaxrateKbps(720, 24)).toBe(2800);
    expect(rungMaxrateKbps(720, 30)).toBe(2800);
    expect(rungMaxrateKbps(720, 60)).toBe(4200);
    expect(rungMaxrateKbps(540, 30)).toBe(1750);
  });

  it('divides fast rates down to 60 or below and forces a rate when unknown', () => {
    expect(ladderFrameRate(24000 / 1001)).toEqual({ rate: 24000 / 1001, forced: false });
    expect(ladderFrameRate(120)).toEqual({ rate: 60, forced: true });
    expect(ladderFrameRate(100)).toEqual({ rate: 50, forced: true });
    expect(ladderFrameRate(undefined)).toEqual({ rate: 30, forced: true });
  });

  it('formats avc1 strings and picks the lowest fitting level', () => {
    expect(avc1Codec(0x64, 31)).toBe('avc1.64001f');
    expect(h264Level({ width: 3840, height: 2160 }, 30, 16000, 32000).level).toBe('5.1');
    expect(h264Level({ width: 256, height: 144 }, 30, 250, 500).level).toBe('3.0');
  });
});
