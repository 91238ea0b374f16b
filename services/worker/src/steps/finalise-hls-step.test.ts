import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FinaliseHlsStep } from '@mediaflow/operations';
import { runFinaliseHlsStep } from './finalise-hls-step';

const playlist = (representation: number, durations: number[], targetDuration: number): string =>
  [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:1',
    `#EXT-X-MAP:URI="init-${representation}.m4s"`,
    ...durations.flatMap((d, i) => [
      `#EXTINF:${d.toFixed(6)},`,
      '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000+0000',
      `seg-${representation}-${String(i + 1).padStart(5, '0')}.m4s`,
    ]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');

describe('runFinaliseHlsStep', () => {
  let workDir: string;
  const step: FinaliseHlsStep = {
    id: 'finalise-hls',
    kind: 'finalise_hls',
    weight: 1,
    dir: 'stream',
    masterName: 'master.m3u8',
    variants: [{ playlist: 'media_0.m3u8', width: 640, height: 360, frameRate: 25, videoCodec: 'avc1.64001e' }],
    audio: { playlist: 'media_1.m3u8', codec: 'mp4a.40.2', language: 'und', channels: 2 },
  };

  beforeEach(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'mediaflow-finalise-'));
    const stream = path.join(workDir, 'stream');
    await mkdir(stream);
    await writeFile(path.join(stream, 'media_0.m3u8'), playlist(0, [4, 4, 2], 4));
    await writeFile(path.join(stream, 'media_1.m3u8'), playlist(1, [3.99, 4.01, 2], 4));
    const sizes: Record<string, number> = {
      'seg-0-00001.m4s': 400_000,
      'seg-0-00002.m4s': 200_000,
      'seg-0-00003.m4s': 100_000,
      'seg-1-00001.m4s': 64_000,
      'seg-1-00002.m4s': 64_000,
      'seg-1-00003.m4s': 32_000,
    };
    for (const [name, bytes] of Object.entries(sizes)) await writeFile(path.join(stream, name), Buffer.alloc(bytes));
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('gives every playlist one target duration and writes a measured master', async () => {
    const log = await runFinaliseHlsStep(step, workDir);
    expect(log).toContain('target duration 5 s');
    const read = async (name: string): Promise<string> => readFile(path.join(workDir, 'stream', name), 'utf8');
    for (const name of ['media_0.m3u8', 'media_1.m3u8']) {
      const text = await read(name);
      expect(text).toContain('#EXT-X-TARGETDURATION:5\n#EXT-X-PLAYLIST-TYPE:VOD\n');
      expect(text).not.toContain('PROGRAM-DATE-TIME');
    }
    // Video: peak 800 000 (first segment), average 560 000. Audio: peak 128 321 (64 kB in 3.99 s), average 128 000.
    expect(await read('master.m3u8')).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=928321,AVERAGE-BANDWIDTH=688000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"\nmedia_0.m3u8\n',
    );
  });

  it('fails with EMPTY_OUTPUT when a listed segment is missing', async () => {
    await rm(path.join(workDir, 'stream', 'seg-0-00002.m4s'));
    await expect(runFinaliseHlsStep(step, workDir)).rejects.toMatchObject({ code: 'EMPTY_OUTPUT' });
  });

  it('fails with EMPTY_OUTPUT when a playlist is missing', async () => {
    await rm(path.join(workDir, 'stream', 'media_1.m3u8'));
    await expect(runFinaliseHlsStep(step, workDir)).rejects.toMatchObject({ code: 'EMPTY_OUTPUT' });
  });

  it('refuses playlist names that leave the package directory', async () => {
    await expect(runFinaliseHlsStep({ ...step, masterName: '../master.m3u8' }, workDir)).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});
