import { BoundedLog } from './bounded-log';
import { lastMeaningfulLines } from './ffmpeg-failure';

describe('BoundedLog', () => {
  it('keeps everything under the limit', () => {
    const log = new BoundedLog(100);
    log.append(Buffer.from('hello '));
    log.append(Buffer.from('world'));
    expect(log.toString()).toBe('hello world');
    expect(log.tailText()).toBe('hello world');
  });

  it('keeps the head and the tail and says how much it dropped', () => {
    const log = new BoundedLog(10);
    for (const chunk of ['abc', 'defg', 'hijkl', 'mnopqr', 'stu']) log.append(Buffer.from(chunk));
    // 21 bytes in, 5 head + 5 tail kept.
    expect(log.toString()).toBe('abcde\n[... 11 bytes of log omitted ...]\nqrstu');
    expect(log.tailText()).toBe('qrstu');
  });

  it('handles one chunk larger than the whole limit', () => {
    const log = new BoundedLog(4);
    log.append(Buffer.from('0123456789'));
    expect(log.toString()).toBe('01\n[... 6 bytes of log omitted ...]\n89');
  });
});

describe('lastMeaningfulLines', () => {
  it('takes the last non-empty lines and strips pointer addresses', () => {
    const log = [
      'Input #0, lavfi, from testsrc:',
      '[libx264 @ 0x55d5c0a3e2c0] width not divisible by 2 (321x241)',
      'Error initializing output stream 0:0 -- Error while opening encoder',
      '',
      'Conversion failed!',
      '',
    ].join('\n');
    expect(lastMeaningfulLines(log)).toEqual([
      '[libx264] width not divisible by 2 (321x241)',
      'Error initializing output stream 0:0 -- Error while opening encoder',
      'Conversion failed!',
    ]);
  });
});
