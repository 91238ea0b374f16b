import { open } from 'node:fs/promises';
import { AppError } from '@mediaflow/domain';

/**
 * MediaRecorder with a timeslice hands a page its recording as a series of
 * Blobs: only the first starts with the WebM (EBML) header, Segment, Info and
 * Tracks; every later one continues the same Segment with bare Clusters. Such
 * chunks are one stream cut in pieces, to be joined byte for byte, while
 * complete recordings (each with its own header) are separate streams to be
 * joined by decoding. This module tells the two apart from the bytes, and
 * checks that continuation chunks really continue each other by reading the
 * Cluster and block timestamps (Matroska/WebM element IDs, RFC 9559).
 *
 * The scanner reads element headers only (a few bytes each) and skips
 * payloads, so a recording of hours costs a few thousand small reads.
 */

export const EBML_HEADER_ID = 0x1a45dfa3;
export const SEGMENT_ID = 0x18538067;
export const CLUSTER_ID = 0x1f43b675;
const SEEK_HEAD_ID = 0x114d9b74;
const INFO_ID = 0x1549a966;
const TRACKS_ID = 0x1654ae6b;
const CUES_ID = 0x1c53bb6b;
const ATTACHMENTS_ID = 0x1941a469;
const CHAPTERS_ID = 0x1043a770;
const TAGS_ID = 0x1254c367;
const TIMECODE_SCALE_ID = 0x2ad7b1;
const CLUSTER_TIMECODE_ID = 0xe7;
const SIMPLE_BLOCK_ID = 0xa3;
const BLOCK_GROUP_ID = 0xa0;
const BLOCK_ID = 0xa1;
const VOID_ID = 0xec;
const CRC32_ID = 0xbf;

/** Top-level children of a Segment: in an unknown-sized Cluster (as browsers write them), one of these ends it. */
const SEGMENT_CHILDREN = new Set([
  SEEK_HEAD_ID,
  INFO_ID,
  TRACKS_ID,
  CLUSTER_ID,
  CUES_ID,
  ATTACHMENTS_ID,
  CHAPTERS_ID,
  TAGS_ID,
]);
/** What a Cluster may hold (Timecode, SilentTracks, Position, PrevSize, SimpleBlock, BlockGroup, EncryptedBlock, Void, CRC-32). */
const CLUSTER_CHILDREN = new Set([
  CLUSTER_TIMECODE_ID,
  0x5854,
  0xa7,
  0xab,
  SIMPLE_BLOCK_ID,
  BLOCK_GROUP_ID,
  0xaf,
  VOID_ID,
  CRC32_ID,
]);
/** Matroska's default TimecodeScale: timestamps count milliseconds. */
const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;
/** The longest element header: a 4-byte ID and an 8-byte size. */
const MAX_HEADER_BYTES = 12;

/** How a file begins: with the EBML header (a whole recording, or the first chunk), a bare Cluster (a continuation chunk), or anything else. */
export type WebmStart = 'ebml-header' | 'cluster' | 'other';

/** What the first 4 bytes say. */
export function webmStartOf(head: Uint8Array): WebmStart {
  if (head.length < 4) return 'other';
  const id = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (id === EBML_HEADER_ID) return 'ebml-header';
  if (id === CLUSTER_ID) return 'cluster';
  return 'other';
}

/** What a job's several sources are. */
export type SourceLayout = 'chunks' | 'recordings';

/**
 * Decides from how each source begins (its first bytes, at least 4) whether
 * the sources are MediaRecorder chunks of one recording (the first with a
 * WebM header, later ones continuing it: at least one starting with a bare
 * Cluster and none with a header of its own) or separate complete
 * recordings (no bare Cluster anywhere). Names never count, only bytes.
 *
 * @throws AppError CHUNK_HEADER_MISSING (naming index 0) when chunks continue a first source that has no WebM header.
 * @throws AppError SOURCES_MIXED (naming the index) when a source with its own header follows continuation chunks' first.
 */
export function detectSourceLayout(heads: readonly Uint8Array[]): SourceLayout {
  const starts = heads.map(webmStartOf);
  const continuation = starts.findIndex((start, index) => index > 0 && start === 'cluster');
  if (starts[0] === 'cluster') {
    throw new AppError(
      'CHUNK_HEADER_MISSING',
      'sources[0] is a WebM continuation chunk (it starts with a Cluster, no header): the recording’s first chunk is missing or the sources are out of order',
      { details: { index: 0 } },
    );
  }
  if (continuation < 0) return 'recordings';
  if (starts[0] !== 'ebml-header') {
    throw new AppError(
      'CHUNK_HEADER_MISSING',
      `sources[0] is not the first chunk of a WebM recording (no EBML header), while sources[${continuation}] continues one`,
      { details: { index: 0 } },
    );
  }
  const ownHeader = starts.findIndex((start, index) => index > 0 && start === 'ebml-header');
  if (ownHeader > 0) {
    throw new AppError(
      'SOURCES_MIXED',
      `sources[${ownHeader}] is a complete recording (its own WebM header) among continuation chunks of sources[0] ` +
        `(sources[${continuation}] has no header): submit chunks of one recording, or complete recordings, per job`,
      { details: { index: ownHeader } },
    );
  }
  return 'chunks';
}

/** Random access to bytes: a file, or a buffer in tests. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  // eslint-disable-next-line @typescript-eslint/require-await -- the port is async for files; a buffer answers at once
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

const FILE_WINDOW_BYTES = 64 * 1024;

/** Runs `use` with a file as a ByteSource that reads 64 KiB windows (headers cluster together). */
export async function withFileSource<T>(filePath: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    let windowStart = 0;
    let window = new Uint8Array(0);
    const source: ByteSource = {
      size,
      read: async (offset, length) => {
        if (offset < windowStart || offset + length > windowStart + window.length) {
          const buffer = Buffer.alloc(Math.max(FILE_WINDOW_BYTES, length));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          windowStart = offset;
          window = buffer.subarray(0, bytesRead);
        }
        return window.subarray(offset - windowStart, offset - windowStart + length);
      },
    };
    return await use(source);
  } finally {
    await handle.close();
  }
}

/** One SimpleBlock or Block: where it starts, its track, and its timestamp in milliseconds. */
export interface WebmBlock {
  offset: number;
  track: number;
  timeMs: number;
}

/** The outcome of a scan: the stream's timestamp unit, and where and why it stopped early, if it did. */
export interface WebmScan {
  timecodeScaleNs: number;
  clusters: number;
  blocks: number;
  /** The first byte the scan could not read as a well-formed element, and why. */
  broken?: { offset: number; reason: string };
  /** The last element runs past the end of the data (a recording stopped mid-write): not an error. */
  truncated: boolean;
}

interface ElementHeader {
  id: number;
  /** undefined: unknown size (all ones), allowed for Segment and Cluster only. */
  size: number | undefined;
  headerBytes: number;
}

/** What a scan reports as it goes. */
export interface WebmScanHandlers {
  /** Every SimpleBlock and Block, in stream order. */
  block?: (block: WebmBlock) => void;
  /** Where each Cluster element starts (its ID's first byte). */
  cluster?: (offset: number) => void;
}

/**
 * Walks a WebM stream (a whole file, or chunks joined) element by element
 * and reports every block's timestamp (Cluster Timecode plus the block's
 * relative timecode, scaled by TimecodeScale) and every Cluster's offset. A
 * stream may start with the EBML header or directly with Segment children
 * (a continuation chunk). Unknown-sized Segments and Clusters are followed.
 */
export async function scanWebm(source: ByteSource, handlers: WebmScanHandlers): Promise<WebmScan> {
  const result: WebmScan = { timecodeScaleNs: DEFAULT_TIMECODE_SCALE_NS, clusters: 0, blocks: 0, truncated: false };
  // Open containers and where they end (Infinity: unknown size).
  const open: { id: number; end: number }[] = [];
  let clusterTimecode: number | undefined;
  let pos = 0;
  const top = (): number | undefined => open.at(-1)?.id;

  while (pos < source.size) {
    while (open.length > 0 && open.at(-1)!.end <= pos) open.pop();
    const header = readHeader(await source.read(pos, MAX_HEADER_BYTES));
    if (header === 'short') {
      result.truncated = true;
      break;
    }
    if (header === 'invalid') {
      result.broken = { offset: pos, reason: 'not an EBML element' };
      break;
    }
    const { id, size, headerBytes } = header;
    // An unknown-sized Cluster ends where the next Segment-level element begins.
    if (top() === CLUSTER_ID && open.at(-1)!.end === Infinity && (SEGMENT_CHILDREN.has(id) || id === EBML_HEADER_ID)) {
      open.pop();
    }
    const parent = top();
    if (parent === CLUSTER_ID && !CLUSTER_CHILDREN.has(id)) {
      result.broken = { offset: pos, reason: `element 0x${id.toString(16)} cannot be inside a Cluster` };
      break;
    }
    if ((parent === SEGMENT_ID || parent === undefined) && !isTopLevel(id)) {
      result.broken = { offset: pos, reason: `element 0x${id.toString(16)} cannot be at the Segment's level` };
      break;
    }
    const bodyStart = pos + headerBytes;
    if (size === undefined && id !== SEGMENT_ID && id !== CLUSTER_ID) {
      result.broken = { offset: pos, reason: `element 0x${id.toString(16)} has an unknown size` };
      break;
    }
    const end = size === undefined ? Infinity : bodyStart + size;
    switch (id) {
      case SEGMENT_ID:
      case INFO_ID:
      case BLOCK_GROUP_ID:
        open.push({ id, end });
        pos = bodyStart;
        continue;
      case CLUSTER_ID:
        open.length = open.findIndex((entry) => entry.id === SEGMENT_ID) + 1;
        open.push({ id, end });
        clusterTimecode = undefined;
        result.clusters += 1;
        handlers.cluster?.(pos);
        pos = bodyStart;
        continue;
      case TIMECODE_SCALE_ID:
      case CLUSTER_TIMECODE_ID: {
        if (end > source.size) {
          result.truncated = true;
          return result;
        }
        const value = readUint(await source.read(bodyStart, size!));
        if (id === TIMECODE_SCALE_ID && value > 0) result.timecodeScaleNs = value;
        if (id === CLUSTER_TIMECODE_ID) clusterTimecode = value;
        break;
      }
      case SIMPLE_BLOCK_ID:
      case BLOCK_ID: {
        const head = await source.read(bodyStart, Math.min(size!, MAX_HEADER_BYTES));
        const block = readBlockHeader(head);
        if (block === undefined) {
          if (end > source.size) {
            result.truncated = true;
            return result;
          }
          result.broken = { offset: pos, reason: 'a block too short for its header' };
          return result;
        }
        if (clusterTimecode === undefined) {
          result.broken = { offset: pos, reason: 'a block before its Cluster’s Timecode' };
          return result;
        }
        result.blocks += 1;
        handlers.block?.({
          offset: pos,
          track: block.track,
          timeMs: ((clusterTimecode + block.relative) * result.timecodeScaleNs) / 1e6,
        });
        break;
      }
      default:
        break;
    }
    if (end > source.size) {
      result.truncated = true;
      break;
    }
    pos = end;
  }
  return result;
}

function isTopLevel(id: number): boolean {
  return id === EBML_HEADER_ID || id === SEGMENT_ID || SEGMENT_CHILDREN.has(id) || id === VOID_ID || id === CRC32_ID;
}

/** An element's ID (marker bits kept, 1-4 bytes) and size (marker removed, 1-8 bytes). */
function readHeader(bytes: Uint8Array): ElementHeader | 'short' | 'invalid' {
  const idLength = vintLength(bytes[0]);
  if (idLength === undefined || idLength > 4) return bytes.length === 0 ? 'short' : 'invalid';
  if (bytes.length < idLength + 1) return 'short';
  let id = 0;
  for (let i = 0; i < idLength; i += 1) id = id * 256 + bytes[i];
  const sizeLength = vintLength(bytes[idLength]);
  if (sizeLength === undefined) return 'invalid';
  if (bytes.length < idLength + sizeLength) return 'short';
  let size = bytes[idLength] & (0xff >> sizeLength);
  let allOnes = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i += 1) {
    const byte = bytes[idLength + i];
    size = size * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { id, size: allOnes ? undefined : size, headerBytes: idLength + sizeLength };
}

/** How many bytes a variable-length integer starting with `first` takes (1-8), from its leading zeros. */
function vintLength(first: number | undefined): number | undefined {
  if (first === undefined || first === 0) return undefined;
  return Math.clz32(first) - 23;
}

function readUint(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** A (Simple)Block's track number (a VINT) and its signed 16-bit timecode relative to the Cluster's. */
function readBlockHeader(bytes: Uint8Array): { track: number; relative: number } | undefined {
  const length = vintLength(bytes[0]);
  if (length === undefined || bytes.length < length + 2) return undefined;
  let track = bytes[0] & (0xff >> length);
  for (let i = 1; i < length; i += 1) track = track * 256 + bytes[i];
  const relative = (((bytes[length] << 8) | bytes[length + 1]) << 16) >> 16;
  return { track, relative };
}

/** The block timestamps (ms) one chunk holds: its first block's, and the latest. */
export interface ChunkTimes {
  firstMs?: number;
  lastMs?: number;
  /** The largest step forward from one block to the next inside this chunk: how far apart blocks normally are. */
  maxStepMs?: number;
}

/** The least tolerance at a chunk boundary (ms), for streams whose blocks are closer than timestamps are precise. */
const MIN_GAP_TOLERANCE_MS = 60;

/**
 * How far a chunk's first block may stray from the blocks before it: twice
 * the largest step between consecutive blocks inside the chunks (audio and
 * video interleave every few tens of milliseconds, so a missing chunk of even
 * 100 ms stands out), plus 20 ms, within [60 ms, maxGapMs]. A recording whose
 * blocks are far apart anyway (video only, a still screen) gets more, up to
 * maxGapMs. Without inner steps (hand-made times), maxGapMs.
 */
export function chunkGapToleranceMs(chunks: readonly ChunkTimes[], maxGapMs: number): number {
  const steps = chunks.flatMap((chunk) => (chunk.maxStepMs === undefined ? [] : [chunk.maxStepMs]));
  if (steps.length === 0) return maxGapMs;
  return Math.min(maxGapMs, Math.max(MIN_GAP_TOLERANCE_MS, 2 * Math.max(...steps) + 20));
}

/**
 * Chunks of one recording in the order given: each chunk's first block must
 * follow the latest block before it within the tolerance either way (see
 * chunkGapToleranceMs: blocks of audio and video interleave, so consecutive
 * blocks are milliseconds apart even across a chunk boundary). A chunk that
 * holds no block start (a small piece of a larger block) is not checked.
 * @throws AppError CHUNK_SEQUENCE_BROKEN naming the first chunk that does not follow.
 */
export function checkChunkSequence(chunks: readonly ChunkTimes[], maxGapMs: number): void {
  const tolerance = chunkGapToleranceMs(chunks, maxGapMs);
  let latest: number | undefined;
  for (const [index, chunk] of chunks.entries()) {
    if (chunk.firstMs === undefined || chunk.lastMs === undefined) continue;
    if (latest !== undefined) {
      const gap = chunk.firstMs - latest;
      if (Math.abs(gap) > tolerance) {
        throw new AppError(
          'CHUNK_SEQUENCE_BROKEN',
          `chunk ${index} missing or out of order: sources[${index}] starts at ${seconds(chunk.firstMs)}, ` +
            `${gap > 0 ? `${seconds(gap)} after` : `${seconds(-gap)} before`} the chunks before it end (${seconds(latest)}); ` +
            `at most ${seconds(tolerance)} is allowed`,
          { details: { index, gap_ms: Math.round(gap) } },
        );
      }
    }
    latest = Math.max(latest ?? -Infinity, chunk.lastMs);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** What joining continuation chunks found: the stream's span and its blocks per chunk. */
export interface JoinedChunks {
  /** Milliseconds from the earliest block to the latest (the last frame's own duration not included). */
  spanMs: number;
  chunks: ChunkTimes[];
  blocks: number;
}

/**
 * Scans chunks already joined byte for byte into one stream (`source`),
 * given where each chunk starts in it, and checks they continue each other.
 *
 * @param chunkStarts Offsets (bytes) of each chunk in the joined stream, ascending, the first 0.
 * @param maxGapMs The most the tolerance for a jump across a chunk boundary may grow to (see chunkGapToleranceMs).
 * @throws AppError CHUNK_SEQUENCE_BROKEN naming the chunk whose bytes or timestamps do not continue the ones before.
 */
export async function checkJoinedChunks(
  source: ByteSource,
  chunkStarts: readonly number[],
  maxGapMs: number,
): Promise<JoinedChunks> {
  const chunks: ChunkTimes[] = chunkStarts.map(() => ({}));
  const chunkAt = (offset: number): number => {
    let index = 0;
    while (index + 1 < chunkStarts.length && chunkStarts[index + 1] <= offset) index += 1;
    return index;
  };
  let current = 0;
  let first: number | undefined;
  let last: number | undefined;
  const scan = await scanWebm(source, {
    block: (block) => {
      while (current + 1 < chunkStarts.length && chunkStarts[current + 1] <= block.offset) current += 1;
      const times = chunks[current];
      if (times.lastMs !== undefined) {
        times.maxStepMs = Math.max(times.maxStepMs ?? 0, block.timeMs - times.lastMs);
      }
      times.firstMs ??= block.timeMs;
      times.lastMs = Math.max(times.lastMs ?? -Infinity, block.timeMs);
      first = Math.min(first ?? Infinity, block.timeMs);
      last = Math.max(last ?? -Infinity, block.timeMs);
    },
  });
  // Timestamps first: a chunk out of order is named where it lands even when its bytes parse.
  const broken = scan.broken;
  const brokenIndex = broken === undefined ? undefined : chunkAt(broken.offset);
  checkChunkSequence(brokenIndex === undefined ? chunks : chunks.slice(0, brokenIndex), maxGapMs);
  if (broken !== undefined && brokenIndex !== undefined) {
    const within = broken.offset - chunkStarts[brokenIndex];
    throw new AppError(
      'CHUNK_SEQUENCE_BROKEN',
      `chunk ${brokenIndex} missing or out of order: the WebM stream breaks at byte ${within} of sources[${brokenIndex}] ` +
        `(${broken.reason}), so it does not continue the chunk before it`,
      { details: { index: brokenIndex } },
    );
  }
  if (scan.blocks === 0) {
    throw new AppError('CHUNK_SEQUENCE_BROKEN', 'the chunks hold no audio or video blocks', { details: { index: 0 } });
  }
  return { spanMs: (last ?? 0) - (first ?? 0), chunks, blocks: scan.blocks };
}
