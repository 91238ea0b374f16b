import { checkFfmpeg, parseEncoders, parseVersion } from './ffmpeg-capabilities';

const ENCODERS_OUTPUT = `Encoders:
 V..... = Video
 A..... = Audio
 S..... = Subtitle
 .F.... = Frame-level multithreading
 ..S... = Slice-level multithreading
 ...X.. = Codec is experimental
 ....B. = Supports draw_horiz_band
 .....D = Supports direct rendering method 1
 ------
 V....D a64multi             Multicolor charset for Commodore 64 (codec a64_multi)
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D libvpx-vp9           libvpx VP9 (codec vp9)
 VFS... ffv1                 FFmpeg video codec #1
 A....D libmp3lame           libmp3lame MP3 (MPEG audio layer 3) (codec mp3)
 A..... aac                  AAC (Advanced Audio Coding)
 A..X.. opus                 Opus
 S..... srt                  SubRip subtitle
`;

describe('parseEncoders', () => {
  it('reads the encoder names after the legend, not the legend itself', () => {
    expect([...parseEncoders(ENCODERS_OUTPUT)].sort()).toEqual(
      ['a64multi', 'aac', 'ffv1', 'libmp3lame', 'libvpx-vp9', 'libx264', 'opus', 'srt'].sort(),
    );
  });

  it('is empty for unrelated output', () => {
    expect(parseEncoders('command not found').size).toBe(0);
  });
});

describe('parseVersion', () => {
  it('reads the version of ffmpeg and ffprobe banners', () => {
    expect(parseVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026')).toBe('5.1.9-0+deb12u1');
    expect(parseVersion('ffprobe version n7.1 Copyright')).toBe('n7.1');
    expect(parseVersion('nonsense')).toBeUndefined();
  });
});

describe('checkFfmpeg (real binaries)', () => {
  it('finds the installed FFmpeg with every encoder the operations use', async () => {
    const capabilities = await checkFfmpeg();
    expect(capabilities.version).toMatch(/^\S+$/);
    expect(capabilities.ffprobeVersion).toMatch(/^\S+$/);
    expect(capabilities.encoders.has('libx264')).toBe(true);
    expect(capabilities.encoders.size).toBeGreaterThan(50);
  });

  it('names the missing encoders', async () => {
    await expect(checkFfmpeg({}, ['libx264', 'no_such_encoder', 'nor_this'])).rejects.toThrow(
      /lacks required encoder\(s\): no_such_encoder, nor_this/,
    );
  });

  it('fails clearly when a binary is missing', async () => {
    await expect(checkFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toThrow(
      /\/nonexistent\/ffmpeg was not found/,
    );
    await expect(checkFfmpeg({ ffprobePath: '/nonexistent/ffprobe' })).rejects.toThrow(
      /\/nonexistent\/ffprobe was not found/,
    );
  });
});
