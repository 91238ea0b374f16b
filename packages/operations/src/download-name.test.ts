import { outputBaseName } from './download-name';

// The name clients download an output under, and the output's key in the
// job's folder: it has to be safe in a Content-Disposition header and a path.
describe('outputBaseName', () => {
  it('keeps a plain stem and appends the method', () => {
    expect(outputBaseName('uploads/abc/holiday.mov', 'compress')).toBe('holiday_compress');
    expect(outputBaseName('holiday.mov', 'compress')).toBe('holiday_compress');
  });

  it('replaces characters that are unsafe in headers and paths', () => {
    expect(outputBaseName('uploads/x/my "clip"; rm -rf.mp4', 'resize')).toBe('my_clip_rm_-rf_resize');
  });

  it('never starts with a dot or dash, and falls back when nothing is left', () => {
    expect(outputBaseName('uploads/x/-.mp4', 'grayscale')).toBe('media_grayscale');
    expect(outputBaseName('uploads/x/..hidden.mp4', 'grayscale')).toBe('hidden_grayscale');
  });

  it('drops only the last extension, and keeps a stem without one', () => {
    expect(outputBaseName('clip.final.mp4', 'subtitled')).toBe('clip.final_subtitled');
    expect(outputBaseName('clip', 'compress')).toBe('clip_compress');
  });

  it('bounds the stem, so a long source name cannot make an overlong key', () => {
    expect(outputBaseName(`${'a'.repeat(300)}.mp4`, 'compress')).toBe(`${'a'.repeat(80)}_compress`);
  });
});
