import { readFileSync } from 'node:fs';
import path from 'node:path';
import { etaSeconds, ProgressParser, toPercent } from './progress';
import type { ProgressSnapshot } from './progress';

// Captured from `ffmpeg -progress pipe:1 -nostats` encoding 4 s of 720p with libx264 medium.
const captured = readFileSync(path.join(__dirname, '__fixtures__', 'progress', 'libx264-720p-4s.txt'), 'utf8');

function parseInChunks(text: string, sizes: number[]): ProgressSnapshot[] {
  const parser = new ProgressParser();
  const snapshots: ProgressSnapshot[] = [];
  let at = 0;
  let turn = 0;
  while (at < text.length) {
    const size = sizes[turn++ % sizes.length];
    snapshots.push(...parser.push(text.slice(at, at + size)));
    at += size;
  }
  snapshots.push(...parser.flush());
  return snapshots;
}

describe('ProgressParser', () => {
  const expected: ProgressSnapshot[] = [
    { outTimeSec: 0, frame: 1, fps: 0, done: false },
    { outTimeSec: 0, frame: 32, fps: 0, done: false },
    { outTimeSec: 0, frame: 47, fps: 34.84, done: false },
    { outTimeSec: 0.256, speed: 0.136, frame: 56, fps: 29.85, done: false },
    { outTimeSec: 0.810667, speed: 0.34, frame: 70, fps: 29.35, done: false },
    { outTimeSec: 1.322667, speed: 0.457, frame: 83, fps: 28.71, done: false },
    { outTimeSec: 4.010667, speed: 1.01, frame: 100, fps: 25.29, done: true },
  ];

  it('parses a captured run in one chunk', () => {
    expect(parseInChunks(captured, [captured.length])).toEqual(expected);
  });

  it.each([[[1]], [[7]], [[3, 50, 2]], [[11, 1, 13]]])('gives the same result split into chunks of %j', (sizes) => {
    expect(parseInChunks(captured, sizes)).toEqual(expected);
  });

  it('waits for the end of a line before using it', () => {
    const parser = new ProgressParser();
    expect(parser.push('out_time_us=1500000\nspeed=2.5x\nprogress=cont')).toEqual([]);
    expect(parser.push('inue\n')).toEqual([{ outTimeSec: 1.5, speed: 2.5, done: false }]);
  });

  it('uses the last block without a trailing newline on flush', () => {
    const parser = new ProgressParser();
    expect(parser.push('out_time_us=2000000\nprogress=end')).toEqual([]);
    expect(parser.flush()).toEqual([{ outTimeSec: 2, done: true }]);
    expect(parser.flush()).toEqual([]);
  });

  it('reads out_time_ms as microseconds (FFmpeg names it wrong), then out_time', () => {
    const parser = new ProgressParser();
    expect(parser.push('out_time_ms=2500000\nprogress=continue\n')).toEqual([{ outTimeSec: 2.5, done: false }]);
    expect(parser.push('out_time=00:01:02.500000\nprogress=continue\n')).toEqual([{ outTimeSec: 62.5, done: false }]);
  });

  it('treats N/A and negative times as 0 and N/A speed as unknown', () => {
    const parser = new ProgressParser();
    const blocks =
      'frame=N/A\nfps=N/A\nout_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\nspeed=N/A\nprogress=continue\n' +
      'out_time_us=-23220\nout_time=-00:00:00.023220\nspeed=0x\nprogress=continue\n';
    expect(parser.push(blocks)).toEqual([
      { outTimeSec: 0, done: false },
      { outTimeSec: 0, done: false },
    ]);
  });

  it('handles CRLF line endings and ignores junk lines', () => {
    const parser = new ProgressParser();
    expect(parser.push('garbage\r\n=nokey\r\nout_time_us=1000000\r\nprogress=end\r\n')).toEqual([
      { outTimeSec: 1, done: true },
    ]);
  });

  it('starts each block afresh', () => {
    const parser = new ProgressParser();
    const [first, second] = parser.push('speed=2x\nout_time_us=1000000\nprogress=continue\nprogress=continue\n');
    expect(first).toEqual({ outTimeSec: 1, speed: 2, done: false });
    expect(second).toEqual({ outTimeSec: 0, done: false });
  });
});

describe('toPercent', () => {
  it('is the share of the duration, held below 100 until done', () => {
    expect(toPercent(0, 10)).toBe(0);
    expect(toPercent(2.5, 10)).toBe(25);
    expect(toPercent(10, 10)).toBe(99.9);
    expect(toPercent(10.04, 10)).toBe(99.9);
    expect(toPercent(3, 10, true)).toBe(100);
  });

  it('is 0 when the duration is unknown or the time is not yet known', () => {
    expect(toPercent(5, 0)).toBe(0);
    expect(toPercent(5, Number.NaN)).toBe(0);
    expect(toPercent(-1, 10)).toBe(0);
  });
});

describe('etaSeconds', () => {
  it('is the remaining media time divided by the speed', () => {
    expect(etaSeconds(4, 10, 2)).toBe(3);
    expect(etaSeconds(4, 10, 0.5)).toBe(12);
    expect(etaSeconds(12, 10, 1)).toBe(0);
  });

  it('is unknown without a speed or a duration', () => {
    expect(etaSeconds(4, 10, undefined)).toBeUndefined();
    expect(etaSeconds(4, 10, 0)).toBeUndefined();
    expect(etaSeconds(4, 0, 1)).toBeUndefined();
  });
});
