import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkJoinedChunks, detectSourceLayout, withFileSource } from '@mediaflow/media';
import type { SourceLayout } from '@mediaflow/media';

/**
 * The most the tolerance for a jump in block timestamps where one
 * MediaRecorder chunk meets the next may grow to (ms). The tolerance itself
 * follows the recording (twice the largest step between its blocks, see
 * chunkGapToleranceMs): tens of milliseconds with audio, more for a video-only
 * recording of a still screen, whose frames may be seconds apart.
 */
export const CHUNK_GAP_TOLERANCE_MS = 2000;

/** The job's inputs once its several downloaded sources are assembled. */
export interface AssembledSources {
  layout: SourceLayout;
  /** Absolute paths, in order: one joined file for chunks, the downloads themselves for recordings. */
  paths: string[];
}

/**
 * Turns several downloaded sources into the inputs a planner sees. Whether
 * they are MediaRecorder chunks of one recording or complete recordings is
 * read from their first bytes (see detectSourceLayout). Chunks are joined
 * byte for byte, in order, into one local WebM (`joined.webm` in `workDir`),
 * checked to continue each other, and their pieces deleted; recordings are
 * returned as they are, to be normalised and joined by the plan.
 *
 * @throws AppError CHUNK_HEADER_MISSING, SOURCES_MIXED or CHUNK_SEQUENCE_BROKEN, each naming the source's index.
 */
export async function assembleSources(paths: readonly string[], workDir: string): Promise<AssembledSources> {
  const heads = await Promise.all(paths.map(async (file) => firstBytes(file, 4)));
  const layout = detectSourceLayout(heads);
  if (layout === 'recordings') return { layout, paths: [...paths] };

  const joined = path.join(workDir, 'joined.webm');
  const starts: number[] = [];
  let offset = 0;
  const out = createWriteStream(joined);
  try {
    for (const file of paths) {
      starts.push(offset);
      offset += (await stat(file)).size;
      await pipeline(createReadStream(file), out, { end: false });
    }
  } finally {
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
  // The pieces are in the joined file now; the work directory need not hold the recording twice.
  await Promise.all(paths.map(async (file) => rm(file, { force: true })));
  await withFileSource(joined, async (source) => checkJoinedChunks(source, starts, CHUNK_GAP_TOLERANCE_MS));
  return { layout, paths: [joined] };
}

async function firstBytes(file: string, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
