import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALLOWED_AUDIO_CODECS,
  ALLOWED_CONTAINERS,
  ALLOWED_SUBTITLE_CODECS,
  ALLOWED_VIDEO_CODECS,
  FORMAT_WHITELIST,
} from './allow-lists';
import { FORMATS_DOC_BEGIN, FORMATS_DOC_END, supportedFormatsMarkdown } from './formats-doc';
import { copyableCodecs } from './plan/container-codecs';

// One truth about formats: the allow-lists (what a probe accepts), the copy
// table (what convert_format copies) and the README must say the same thing.

const README = path.join(__dirname, '..', '..', '..', 'README.md');

function documentedBlock(): string {
  const text = readFileSync(README, 'utf8');
  const begin = text.indexOf(FORMATS_DOC_BEGIN);
  const end = text.indexOf(FORMATS_DOC_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${FORMATS_DOC_BEGIN} … ${FORMATS_DOC_END} block`);
  return text.slice(begin, end + FORMATS_DOC_END.length);
}

describe('supported formats', () => {
  it("the README's list is the one the allow-lists and the copy table generate", () => {
    // On failure, paste the received block into README.md between the markers.
    expect(documentedBlock()).toBe(supportedFormatsMarkdown());
  });

  it('the documented lists name exactly the allowed containers and codecs', () => {
    const block = documentedBlock();
    const line = (label: string): string[] => {
      const found = block.split('\n').find((text) => text.startsWith(`- **${label}**`)) ?? '';
      // The names are the first backticked word of each list item ("`mov` (MP4, …)").
      return [...found.matchAll(/`([a-z0-9_]+)`/g)].map((match) => match[1] ?? '');
    };
    expect(line('Containers')).toEqual([...ALLOWED_CONTAINERS]);
    expect(line('Video codecs')).toEqual([...ALLOWED_VIDEO_CODECS]);
    expect(line('Audio codecs')).toEqual([...ALLOWED_AUDIO_CODECS]);
    expect(line('Subtitle codecs').filter((name) => name !== 'convert_format')).toEqual([...ALLOWED_SUBTITLE_CODECS]);
  });

  it.each(['video', 'audio'] as const)('every %s codec the copy table copies is an accepted input', (kind) => {
    const allowed = kind === 'video' ? ALLOWED_VIDEO_CODECS : ALLOWED_AUDIO_CODECS;
    expect(copyableCodecs(kind).filter((codec) => !allowed.includes(codec))).toEqual([]);
  });

  it('accepts DTS, TrueHD, FFV1 and animated GIF, common real-world inputs FFmpeg decodes', () => {
    expect(ALLOWED_AUDIO_CODECS).toEqual(expect.arrayContaining(['dts', 'truehd']));
    expect(ALLOWED_VIDEO_CODECS).toEqual(expect.arrayContaining(['ffv1', 'gif']));
    expect(ALLOWED_CONTAINERS).toContain('gif');
  });

  it('never admits a demuxer that opens other files by name', () => {
    const names = FORMAT_WHITELIST.split(',');
    for (const refused of [
      'hls',
      'applehttp',
      'dash',
      'concat',
      'ffconcat',
      'image2',
      'image2pipe',
      'gif_pipe',
      'avi',
      'sdp',
      'rtsp',
      'subfile',
      'lavfi',
    ]) {
      expect(names).not.toContain(refused);
    }
  });
});
