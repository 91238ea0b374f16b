import { contentTypeForExtension, DEFAULT_CONTENT_TYPE } from './content-type';

describe('contentTypeForExtension', () => {
  it.each([
    ['mp4', 'video/mp4'],
    ['webm', 'video/webm'],
    ['mkv', 'video/x-matroska'],
    ['mov', 'video/quicktime'],
    ['mp3', 'audio/mpeg'],
    ['m4a', 'audio/mp4'],
    ['wav', 'audio/wav'],
    ['opus', 'audio/ogg'],
    ['srt', 'application/x-subrip'],
    ['vtt', 'text/vtt'],
    ['m3u8', 'application/vnd.apple.mpegurl'],
    ['mpd', 'application/dash+xml'],
    ['m4s', 'video/iso.segment'],
    ['jpg', 'image/jpeg'],
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['json', 'application/json'],
    ['log', 'text/plain; charset=utf-8'],
    ['txt', 'text/plain; charset=utf-8'],
  ])('maps %s to %s', (extension, contentType) => {
    expect(contentTypeForExtension(extension)).toBe(contentType);
  });

  it('accepts a leading dot and any case', () => {
    expect(contentTypeForExtension('.MP4')).toBe('video/mp4');
    expect(contentTypeForExtension('Srt')).toBe('application/x-subrip');
    expect(contentTypeForExtension('.M3U8')).toBe('application/vnd.apple.mpegurl');
    expect(contentTypeForExtension('JPG')).toBe('image/jpeg');
  });

  it.each(['', 'exe', 'mp4.exe', 'toString', '__proto__', 'constructor'])(
    'falls back to octet-stream for %p',
    (extension) => {
      expect(contentTypeForExtension(extension)).toBe(DEFAULT_CONTENT_TYPE);
    },
  );
});
