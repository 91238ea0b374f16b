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

  it.each([
    ['uploads/x/видео.mp4', 'видео_compress'],
    ['uploads/x/日本語の動画.MOV', '日本語の動画_compress'],
    ['uploads/x/vidéo_été.mp4', 'vidéo_été_compress'],
    ['uploads/x/वीडियो.mp4', 'वीडियो_compress'],
    // NFC: a decomposed é becomes the one character.
    ['uploads/x/vide\u0301o.mp4', 'vid\u00e9o_compress'],
    // Emoji, spaces and bidi controls are not letters: one "_" each run.
    ['uploads/x/🎬 clip\u202e.mp4', 'clip__compress'],
  ])('keeps the letters and digits of every script: %j → %j', (source, expected) => {
    expect(outputBaseName(source, 'compress')).toBe(expected);
  });

  it.each([
    ['ASCII', 'a', `${'a'.repeat(120)}_compress`],
    ['CJK, 3 bytes each', '動', `${'動'.repeat(40)}_compress`],
    ['Cyrillic, 2 bytes each', 'в', `${'в'.repeat(60)}_compress`],
  ])('bounds the stem in bytes (%s), so a long source name cannot make an overlong key', (_label, letter, expected) => {
    expect(outputBaseName(`${letter.repeat(300)}.mp4`, 'compress')).toBe(expected);
  });
});
