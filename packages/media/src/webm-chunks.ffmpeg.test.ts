import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { cutIntoChunks, recordWebmToPipe, withUnknownSizeClusters } from '../../../test/support/webm-recording';
import {
  bufferSource,
  checkChunkSequence,
  checkJoinedChunks,
  chunkGapToleranceMs,
  detectSourceLayout,
  scanWebm,
  webmStartOf,
  withFileSource,
} from './webm-chunks';

const MAX_GAP_MS = 500;

/** The chunks joined, and where each starts in the joined bytes. */
function join(chunks: readonly Buffer[]): { bytes: Buffer; starts: number[] } {
  const starts: number[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    starts.push(offset);
    offset += chunk.length;
  }
  return { bytes: Buffer.concat(chunks), starts };
}

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('WebM chunks (MediaRecorder timeslice) against FFmpeg-made streams', () => {
  let recording: Buffer;
  let chunks: Buffer[];

  beforeAll(async () => {
    recording = await recordWebmToPipe({ seconds: 6, flashAt: 3 });
    chunks = await cutIntoChunks(recording, 8);
  }, 60_000);

  it('reads a piped WebM: unknown-sized Segment, every block timestamped, no break', async () => {
    const times: number[] = [];
    const clusters: number[] = [];
    const scan = await scanWebm(bufferSource(recording), {
      block: (block) => times.push(block.timeMs),
      cluster: (offset) => clusters.push(offset),
    });
    expect(scan.broken).toBeUndefined();
    expect(scan.timecodeScaleNs).toBe(1_000_000);
    expect(scan.clusters).toBe(clusters.length);
    expect(scan.clusters).toBeGreaterThanOrEqual(8);
    expect(Math.max(...times)).toBeGreaterThan(5800);
    expect(Math.max(...times)).toBeLessThan(6050);
  });

  it('tells a first chunk (EBML header) from continuation chunks (bare Clusters) by their bytes', () => {
    expect(webmStartOf(chunks[0])).toBe('ebml-header');
    for (const chunk of chunks.slice(1)) expect(webmStartOf(chunk)).toBe('cluster');
    expect(webmStartOf(Buffer.from('ftypisom'))).toBe('other');
    expect(detectSourceLayout(chunks)).toBe('chunks');
    expect(detectSourceLayout([recording, recording])).toBe('recordings');
    expect(detectSourceLayout([recording, Buffer.from('....ftypisom')])).toBe('recordings');
  });

  it('refuses chunks without their first, and whole recordings among chunks, naming the index', () => {
    const refusal = (heads: Buffer[]): unknown => {
      try {
        detectSourceLayout(heads);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(refusal(chunks.slice(1))).toMatchObject({ code: 'CHUNK_HEADER_MISSING', details: { index: 0 } });
    expect(refusal([Buffer.from('....ftypisom'), ...chunks.slice(1)])).toMatchObject({
      code: 'CHUNK_HEADER_MISSING',
    });
    expect(refusal([chunks[0], chunks[1], recording, chunks[2]])).toMatchObject({
      code: 'SOURCES_MIXED',
      details: { index: 2 },
    });
  });

  it('accepts the chunks in order, from a file, and measures the span', async () => {
    const { bytes, starts } = join(chunks);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'webm-chunks-'));
    try {
      const file = path.join(dir, 'joined.webm');
      await writeFile(file, bytes);
      const joined = await withFileSource(file, async (source) => checkJoinedChunks(source, starts, MAX_GAP_MS));
      expect(joined.spanMs).toBeGreaterThan(5800);
      expect(joined.chunks.every((chunk) => chunk.firstMs !== undefined)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a missing chunk and a chunk out of order by its index', async () => {
    const missing = [...chunks.slice(0, 3), ...chunks.slice(4)];
    const gap = join(missing);
    const missingError = await errorOf(checkJoinedChunks(bufferSource(gap.bytes), gap.starts, MAX_GAP_MS));
    expect(missingError.code).toBe('CHUNK_SEQUENCE_BROKEN');
    expect(missingError.message).toMatch(/^chunk 3 missing or out of order/);

    const swapped = [chunks[0], chunks[1], chunks[4], chunks[3], chunks[2], ...chunks.slice(5)];
    const order = join(swapped);
    const orderError = await errorOf(checkJoinedChunks(bufferSource(order.bytes), order.starts, MAX_GAP_MS));
    expect(orderError.code).toBe('CHUNK_SEQUENCE_BROKEN');
    expect(orderError.details).toMatchObject({ index: 2 });
  });

  it('follows unknown-sized Clusters (as Chrome writes them) and still names a missing chunk', async () => {
    const chromeStyle = await withUnknownSizeClusters(recording);
    const pieces = await cutIntoChunks(chromeStyle, 8);
    expect(pieces.slice(1).every((piece) => webmStartOf(piece) === 'cluster')).toBe(true);
    const whole = join(pieces);
    const joined = await checkJoinedChunks(bufferSource(whole.bytes), whole.starts, MAX_GAP_MS);
    expect(joined.spanMs).toBeGreaterThan(5800);
    const gap = join([...pieces.slice(0, 5), ...pieces.slice(6)]);
    const error = await errorOf(checkJoinedChunks(bufferSource(gap.bytes), gap.starts, MAX_GAP_MS));
    expect(error.message).toMatch(/^chunk 5 missing or out of order/);
  });

  it('names a chunk whose bytes do not continue the stream (cut inside an element)', async () => {
    const garbage = Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05]);
    const broken = join([chunks[0], chunks[1], garbage, ...chunks.slice(2)]);
    const error = await errorOf(checkJoinedChunks(bufferSource(broken.bytes), broken.starts, MAX_GAP_MS));
    expect(error.code).toBe('CHUNK_SEQUENCE_BROKEN');
    expect(error.message).toMatch(/^chunk 2 missing or out of order: the WebM stream breaks at byte 0/);
  });
});

describe('checkChunkSequence', () => {
  it('allows small steps either way and skips chunks without a block start', () => {
    expect(() =>
      checkChunkSequence(
        [{ firstMs: 0, lastMs: 980 }, {}, { firstMs: 990, lastMs: 2000 }, { firstMs: 1995, lastMs: 3000 }],
        500,
      ),
    ).not.toThrow();
  });

  it('takes its tolerance from the steps between blocks inside the chunks', () => {
    const chunks = [
      { firstMs: 0, lastMs: 1000, maxStepMs: 20 },
      { firstMs: 1100, lastMs: 2000, maxStepMs: 20 },
    ];
    expect(chunkGapToleranceMs(chunks, 2000)).toBe(60);
    expect(() => checkChunkSequence(chunks, 2000)).toThrow(/chunk 1 missing or out of order.*at most 0\.060 s/);
    expect(chunkGapToleranceMs([{ maxStepMs: 800 }], 1000)).toBe(1000);
  });

  it('refuses a jump forward or back beyond the tolerance', () => {
    expect(() =>
      checkChunkSequence(
        [
          { firstMs: 0, lastMs: 1000 },
          { firstMs: 2100, lastMs: 3000 },
        ],
        500,
      ),
    ).toThrow(/chunk 1 missing or out of order: sources\[1\] starts at 2\.100 s, 1\.100 s after/);
    expect(() =>
      checkChunkSequence(
        [
          { firstMs: 0, lastMs: 3000 },
          { firstMs: 1000, lastMs: 2000 },
        ],
        500,
      ),
    ).toThrow(/2\.000 s before/);
  });
});
