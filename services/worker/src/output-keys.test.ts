import { jobOutputKeys, outputBaseName } from './output-keys';

describe('outputBaseName', () => {
  it('keeps a plain stem and appends the method', () => {
    expect(outputBaseName('uploads/abc/holiday.mov', 'compress')).toBe('holiday_compress');
  });

  it('replaces characters that are unsafe in headers and paths', () => {
    expect(outputBaseName('uploads/x/my "clip"; rm -rf.mp4', 'resize')).toBe('my_clip_rm_-rf_resize');
  });

  it('never starts with a dot or dash, and falls back when nothing is left', () => {
    expect(outputBaseName('uploads/x/-.mp4', 'grayscale')).toBe('media_grayscale');
    expect(outputBaseName('uploads/x/..hidden.mp4', 'grayscale')).toBe('hidden_grayscale');
  });
});

describe('jobOutputKeys', () => {
  it('puts the output and the log in one folder per job', () => {
    const keys = jobOutputKeys({
      bucket: 'out',
      prefix: 'outputs/',
      jobId: 'j1',
      sourceKey: 'uploads/u/clip.mp4',
      methodName: 'extract_audio',
      extension: 'mp3',
    });
    expect(keys.output).toEqual({ bucket: 'out', key: 'outputs/j1/clip_extract_audio.mp3' });
    expect(keys.log).toEqual({ bucket: 'out', key: 'outputs/j1/ffmpeg.log' });
  });
});
