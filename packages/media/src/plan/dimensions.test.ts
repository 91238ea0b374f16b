import { AppError } from '@mediaflow/domain';
import { displaySize, fitWithin, MAX_ASPECT_ERROR, targetDimensions, toEven } from './dimensions';

describe('toEven', () => {
  it.each([
    [0, 2],
    [1, 2],
    [2.9, 2],
    [3, 4],
    [359.5, 360],
    [361, 362],
  ])('%d → %d', (input, expected) => expect(toEven(input)).toBe(expected));
});

describe('fitWithin', () => {
  it('fills the width of a wider box', () => {
    expect(fitWithin({ width: 1920, height: 1080 }, { width: 1280, height: 720 })).toEqual({
      width: 1280,
      height: 720,
    });
    expect(fitWithin({ width: 1920, height: 800 }, { width: 1280, height: 720 })).toEqual({ width: 1280, height: 534 });
  });

  it('fills the height for portrait sources', () => {
    expect(fitWithin({ width: 1080, height: 1920 }, { width: 1280, height: 720 })).toEqual({ width: 406, height: 720 });
  });

  it('scales up small sources to the box', () => {
    expect(fitWithin({ width: 320, height: 240 }, { width: 1280, height: 720 })).toEqual({ width: 960, height: 720 });
  });

  it('never exceeds an odd box after rounding to even', () => {
    expect(fitWithin({ width: 1000, height: 1000 }, { width: 301, height: 999 })).toEqual({ width: 300, height: 300 });
    expect(fitWithin({ width: 100, height: 50 }, { width: 1001, height: 1001 })).toEqual({ width: 1000, height: 500 });
  });
});

describe('targetDimensions', () => {
  const hd = { width: 1920, height: 1080 };

  it.each([
    ['only width: height follows', hd, { width: 640 }, { width: 640, height: 360 }],
    ['only width, odd: made even, never larger', hd, { width: 641 }, { width: 640, height: 360 }],
    [
      'only width, odd source: the even neighbour that keeps the shape best',
      { width: 321, height: 241 },
      { width: 98 },
      { width: 98, height: 74 },
    ],
    ['only height: width follows', hd, { height: 480 }, { width: 854, height: 480 }],
    ['only height, the minimum side', hd, { height: 18 }, { width: 32, height: 18 }],
    ['box: fits inside without stretching', hd, { width: 640, height: 640 }, { width: 640, height: 360 }],
    ['box limited by height', hd, { width: 2000, height: 200 }, { width: 356, height: 200 }],
    ['box, portrait', { width: 1080, height: 1920 }, { width: 640, height: 640 }, { width: 360, height: 640 }],
    [
      'box: a smaller size with a truer shape rather than a stretched one',
      { width: 321, height: 241 },
      { width: 100, height: 100 },
      { width: 98, height: 74 },
    ],
    ['neither: fits inside 1280x720', hd, {}, { width: 1280, height: 720 }],
    ['neither, portrait', { width: 720, height: 1280 }, {}, { width: 406, height: 720 }],
    ['anamorphic PAL (display 1024x576)', { width: 1024, height: 576 }, { width: 512 }, { width: 512, height: 288 }],
    ['very wide, still possible', { width: 2000, height: 16 }, { width: 2000 }, { width: 2000, height: 16 }],
  ])('%s', (_label, source, request, expected) => {
    const size = targetDimensions(source, request);
    expect(size).toEqual(expected);
    expect(Math.abs(size.width / size.height / (source.width / source.height) - 1)).toBeLessThanOrEqual(
      MAX_ASPECT_ERROR,
    );
  });

  it.each([
    [
      'a side under 16 px: 2000x16 at width 16 (the 16x2 of the issue)',
      { width: 2000, height: 16 },
      { width: 16 },
      /2000x16 picture to width 16 .*16x0\.128 px \(16x2 in even pixels\).*under the 16 px minimum/,
      { rounded: { width: 16, height: 2 }, computed: { width: 16, height: 0.128 } },
    ],
    [
      'a tiny side never rounds to 0 and is refused',
      { width: 7680, height: 16 },
      { width: 16 },
      /under the 16 px minimum/,
      { rounded: { width: 16, height: 2 } },
    ],
    [
      'even rounding would stretch by more than 1 %',
      { width: 321, height: 241 },
      { width: 100 },
      /100x75\.078 px \(100x76 in even pixels\).*by 1\.2 %.*nearest width that works is 98/,
      { aspect_error_percent: 1.2, nearest: { width: 98 } },
    ],
    [
      'only height, rounding 28.44 wide to 28 stretches by 1.6 %',
      hd,
      { height: 16 },
      /to height 16 .*nearest height that works is 18/,
      { rounded: { width: 28, height: 16 }, nearest: { height: 18 } },
    ],
    [
      'the default box for a strip',
      { width: 2000, height: 16 },
      {},
      /into 1280x720 .*1280x10\.24 px/,
      { minimum_side: 16 },
    ],
  ])('refuses %s: RESIZE_IMPOSSIBLE naming the computed size', (_label, source, request, message, details) => {
    let thrown: unknown;
    try {
      targetDimensions(source, request);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'RESIZE_IMPOSSIBLE', status: 422, retryable: false, details });
    expect((thrown as AppError).message).toMatch(message);
  });
});

describe('displaySize', () => {
  it('swaps sides for quarter turns only', () => {
    expect(displaySize({ width: 1920, height: 1080, rotation: 90 })).toEqual({ width: 1080, height: 1920 });
    expect(displaySize({ width: 1920, height: 1080, rotation: 270 })).toEqual({ width: 1080, height: 1920 });
    expect(displaySize({ width: 1920, height: 1080, rotation: 180 })).toEqual({ width: 1920, height: 1080 });
    expect(displaySize({ width: 1920, height: 1080 })).toEqual({ width: 1920, height: 1080 });
  });

  it('widens anamorphic pixels', () => {
    expect(displaySize({ width: 720, height: 576, sampleAspectRatio: 64 / 45 })).toEqual({
      width: 1024,
      height: 576,
    });
  });
});
