import { displaySize, fitWithin, targetDimensions, toEven } from './dimensions';

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

  it('only width: height follows the aspect ratio', () => {
    expect(targetDimensions(hd, { width: 640 })).toEqual({ width: 640, height: 360 });
    expect(targetDimensions(hd, { width: 641 })).toEqual({ width: 640, height: 360 });
    expect(targetDimensions({ width: 321, height: 241 }, { width: 100 })).toEqual({ width: 100, height: 76 });
  });

  it('only height: width follows the aspect ratio', () => {
    expect(targetDimensions(hd, { height: 480 })).toEqual({ width: 854, height: 480 });
    expect(targetDimensions(hd, { height: 17 })).toEqual({ width: 28, height: 16 });
  });

  it('both: fits inside the box without stretching', () => {
    expect(targetDimensions(hd, { width: 640, height: 640 })).toEqual({ width: 640, height: 360 });
    expect(targetDimensions(hd, { width: 2000, height: 200 })).toEqual({ width: 356, height: 200 });
    expect(targetDimensions({ width: 1080, height: 1920 }, { width: 640, height: 640 })).toEqual({
      width: 360,
      height: 640,
    });
  });

  it('neither: fits inside 1280x720', () => {
    expect(targetDimensions(hd, {})).toEqual({ width: 1280, height: 720 });
    expect(targetDimensions({ width: 720, height: 1280 }, {})).toEqual({ width: 406, height: 720 });
  });

  it('a tiny side never rounds to 0', () => {
    expect(targetDimensions({ width: 7680, height: 16 }, { width: 16 })).toEqual({ width: 16, height: 2 });
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
