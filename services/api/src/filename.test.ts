import { AppError } from '@mediaflow/domain';
import { MAX_FILENAME_BYTES, sanitizeUploadFilename } from './filename';

describe('sanitizeUploadFilename', () => {
  it.each([
    ['an ordinary name', 'clip-01_final.mp4', 'clip-01_final.mp4'],
    ['Cyrillic', 'видео.mp4', 'видео.mp4'],
    ['Japanese, extension kept as typed', '日本語の動画.MOV', '日本語の動画.MOV'],
    ['accents and a space', 'vidéo été.mp4', 'vidéo_été.mp4'],
    ['Devanagari with its vowel signs (combining marks)', 'वीडियो.mp4', 'वीडियो.mp4'],
    ['Arabic digits and letters', 'فيديو ٢٠٢٤.mkv', 'فيديو_٢٠٢٤.mkv'],
    ['emoji and shell characters become one "_"', 'vidéo $(rm -rf) 🎬.mp4', 'vidéo_rm_-rf.mp4'],
    ['a path flattened into one segment', '../../etc/passwd', 'etc_passwd'],
    ['Windows separators', '..\\..\\win.ini', 'win.ini'],
    ['a bidi override cannot reverse the extension', 'clip\u202Egpj.exe', 'clip_gpj.exe'],
    ['control characters', 'a\u0000b\u001fc.mp4', 'a_b_c.mp4'],
    ['a leading dot (hidden file) and trailing separators', '.hidden_.mp4', 'hidden.mp4'],
    ['no extension', 'README', 'README'],
  ])('%s: %j → %j', (_label, raw, expected) => {
    expect(sanitizeUploadFilename(raw)).toBe(expected);
  });

  it('normalises to NFC, so a decomposed é is stored as one character', () => {
    const decomposed = 'vide\u0301o.mp4';
    expect(sanitizeUploadFilename(decomposed)).toBe('vid\u00e9o.mp4');
  });

  it.each([
    ['ASCII', 'a', 1],
    ['Cyrillic (2 bytes each)', 'в', 2],
    ['CJK (3 bytes each)', '動', 3],
  ])('bounds a long %s name in bytes and keeps the extension', (_label, character, bytesEach) => {
    const name = sanitizeUploadFilename(`${character.repeat(5000)}.mp4`);
    expect(name.endsWith('.mp4')).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(Buffer.byteLength(name)).toBeGreaterThan(MAX_FILENAME_BYTES - 4 - bytesEach);
    // Cut between characters: no replacement character from a split sequence.
    expect(name).not.toContain('\uFFFD');
  });

  it('never splits a letter from its combining mark when cutting', () => {
    const name = sanitizeUploadFilename(`${'e\u0301\u0323'.repeat(300)}.mp4`);
    expect(name.normalize('NFC')).toBe(name);
    expect(/^(?:\u1EB9\u0301)+\.mp4$/.test(name)).toBe(true);
  });

  it.each(['...', '💥', '💥.mp4', '.mp4', '_-_.mov', ' '])('refuses %j: nothing usable before the extension', (raw) => {
    expect(() => sanitizeUploadFilename(raw)).toThrow(AppError);
    try {
      sanitizeUploadFilename(raw);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_FILENAME', status: 400 });
      expect((error as Error).message).toMatch(/letter or digit \(of any script\)/);
    }
  });
});
