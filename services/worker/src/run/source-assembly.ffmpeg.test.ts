import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cutIntoChunks, recordWebmToPipe } from '../../../../test/support/webm-recording';
import { assembleSources } from './source-assembly';

describe('assembleSources (real WebM from FFmpeg)', () => {
  let dir: string;
  let recording: Buffer;
  let chunks: Buffer[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'source-assembly-'));
    recording = await recordWebmToPipe({ seconds: 4 });
    chunks = await cutIntoChunks(recording, 6);
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeAll(name: string, pieces: readonly Buffer[]): Promise<string[]> {
    const work = await mkdtemp(path.join(dir, `${name}-`));
    return Promise.all(
      pieces.map(async (piece, index) => {
        const file = path.join(work, `source-${index}.webm`);
        await writeFile(file, piece);
        return file;
      }),
    );
  }

  it('joins chunks byte for byte into one WebM and frees the pieces', async () => {
    const files = await writeAll('chunks', chunks);
    const workDir = path.dirname(files[0]);
    const assembled = await assembleSources(files, workDir);
    expect(assembled).toEqual({ layout: 'chunks', paths: [path.join(workDir, 'joined.webm')] });
    expect((await readFile(assembled.paths[0])).equals(recording)).toBe(true);
    await expect(access(files[1])).rejects.toThrow();
  });

  it('leaves complete recordings as separate inputs', async () => {
    const files = await writeAll('recordings', [recording, recording]);
    await expect(assembleSources(files, path.dirname(files[0]))).resolves.toEqual({
      layout: 'recordings',
      paths: files,
    });
  });

  it('fails a job whose chunks are out of order, naming the index', async () => {
    const files = await writeAll('swapped', [chunks[0], chunks[2], chunks[1], ...chunks.slice(3)]);
    await expect(assembleSources(files, path.dirname(files[0]))).rejects.toMatchObject({
      code: 'CHUNK_SEQUENCE_BROKEN',
      details: { index: 1 },
    });
  });
});
