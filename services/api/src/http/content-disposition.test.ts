import { asciiFileName, contentDisposition, encodeExtValue } from './content-disposition';

/** What a client that implements RFC 6266 / 8187 reads from the header. */
function decodeFilenameStar(header: string): string | undefined {
  const match = /filename\*=UTF-8''([^;\s]+)/.exec(header);
  return match ? decodeURIComponent(match[1]) : undefined;
}

describe('contentDisposition', () => {
  it.each([
    ['clip_compress.mp4', 'clip_compress.mp4'],
    ['видео_compress.mp4', 'compress.mp4'],
    ['日本語の動画_compress.mp4', 'compress.mp4'],
    ['vidéo_été_resize.webm', 'video_ete_resize.webm'],
    ['動画.mp4', 'download.mp4'],
    ["it's (1)*.mp4", 'it_s_1.mp4'],
  ])('%j: filename* round-trips, filename="%s" is plain ASCII', (name, ascii) => {
    const header = contentDisposition(name);
    expect(header.startsWith(`attachment; filename="${ascii}"; filename*=UTF-8''`)).toBe(true);
    expect(decodeFilenameStar(header)).toBe(name);
    // Only token characters and pct-encoded bytes: safe in any HTTP header.
    expect(header).toMatch(/^[\x21-\x7e ]+$/);
  });

  it('encodes the characters encodeURIComponent leaves but RFC 8187 does not allow', () => {
    expect(encodeExtValue("a'b(c)d*e!f~g")).toBe('a%27b%28c%29d%2Ae!f~g');
  });

  it('normalises a decomposed name to NFC before encoding', () => {
    expect(contentDisposition('vide\u0301o.mp4')).toContain("filename*=UTF-8''vid%C3%A9o.mp4");
  });

  it('keeps only safe ASCII in the fallback, whatever the name holds', () => {
    expect(asciiFileName('a"b\\c;d\r\ne.mp4')).toBe('a_b_c_d_e.mp4');
    expect(asciiFileName('')).toBe('download');
  });
});
