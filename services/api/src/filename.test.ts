import { AppError } from '@mediaflow/domain';
import { sanitizeUploadFilename } from './filename';

describe('sanitizeUploadFilename', () => {
  it('keeps ordinary names', () => {
    expect(sanitizeUploadFilename('clip-01_final.mp4')).toBe('clip-01_final.mp4');
  });

  it('flattens path tricks into a single segment', () => {
    expect(sanitizeUploadFilename('../../etc/passwd')).toBe('etc_passwd');
    expect(sanitizeUploadFilename('..\\..\\win.ini')).toBe('win.ini');
  });

  it('replaces unicode and shell characters', () => {
    expect(sanitizeUploadFilename('vidéo $(rm -rf).mp4')).toBe('vid_o_rm_-rf_.mp4');
  });

  it('bounds very long names and keeps the extension', () => {
    const name = sanitizeUploadFilename(`${'a'.repeat(5000)}.mp4`);
    expect(name).toHaveLength(200);
    expect(name.endsWith('.mp4')).toBe(true);
  });

  it('refuses names with nothing usable', () => {
    expect(() => sanitizeUploadFilename('...')).toThrow(AppError);
    expect(() => sanitizeUploadFilename('💥')).toThrow(AppError);
  });
});
