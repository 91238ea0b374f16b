import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { bufferSource, scanWebm } from '@mediaflow/media';

const run = promisify(execFile);

export interface RecordingOptions {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  /** Seconds at which one frame is all white and a 1 kHz beep starts (lasting 200 ms). */
  flashAt?: number;
  /** false: video only. */
  audio?: boolean;
  /** Keyframe interval in frames; the muxer starts a Cluster at least at each. Default: one a second. */
  gop?: number;
  ffmpegPath?: string;
}

/**
 * A WebM (VP8 + Opus) encoded to a pipe, as a browser's MediaRecorder writes
 * it: the Segment and its Clusters have unknown or streamed sizes and there
 * is no Duration and no Cues, so nothing but the Clusters says how long it is.
 * A test pattern with one white frame and a beep starting at `flashAt`.
 */
export async function recordWebmToPipe(options: RecordingOptions): Promise<Buffer> {
  const { seconds, width = 640, height = 360, fps = 25, sampleRate = 48_000, audio = true } = options;
  const flash = options.flashAt;
  const frame = 1 / fps;
  const video =
    `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}` +
    (flash === undefined
      ? ''
      : `,drawbox=color=white:t=fill:enable='between(t,${flash - frame / 4},${flash + (frame * 3) / 4})'`);
  const tone =
    flash === undefined
      ? `aevalsrc='0.3*sin(2*PI*440*t)':s=${sampleRate}:d=${seconds}`
      : `aevalsrc='if(between(t,${flash},${flash + 0.2}),0.8*sin(2*PI*1000*t),0)':s=${sampleRate}:d=${seconds}`;
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', video,
    ...(audio ? ['-f', 'lavfi', '-i', tone] : []),
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k', '-g', String(options.gop ?? fps),
    ...(audio ? ['-c:a', 'libopus', '-b:a', '64k'] : []),
    '-f', 'webm', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg exited ${String(code)}: ${Buffer.concat(err).toString()}`));
    });
  });
}

/** Byte offsets of every Cluster in a WebM stream. */
export async function clusterOffsets(webm: Buffer): Promise<number[]> {
  const offsets: number[] = [];
  const scan = await scanWebm(bufferSource(webm), { cluster: (offset) => offsets.push(offset) });
  if (scan.broken) throw new Error(`not a well-formed WebM: ${scan.broken.reason} at ${scan.broken.offset}`);
  return offsets;
}

/**
 * Cuts a WebM stream into `pieces` chunks at Cluster boundaries, the way
 * MediaRecorder's timeslice Blobs arrive: the first holds the header and the
 * first Clusters, every later one only Clusters.
 */
export async function cutIntoChunks(webm: Buffer, pieces: number): Promise<Buffer[]> {
  const offsets = await clusterOffsets(webm);
  if (offsets.length < pieces) throw new Error(`only ${offsets.length} clusters for ${pieces} chunks`);
  // Chunk k starts at cluster round(k * clusters / pieces); chunk 0 also holds the header.
  const starts = [0];
  for (let k = 1; k < pieces; k += 1) starts.push(offsets[Math.round((k * offsets.length) / pieces)]);
  return starts.map((start, k) => webm.subarray(start, starts[k + 1] ?? webm.length));
}

/** The presentation time (s) of the first frame whose mean luma is above `threshold` (0-255). */
export async function flashTime(filePath: string, threshold = 200): Promise<number | undefined> {
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-i', `file:${filePath}`,
    '-map', '0:v:0', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-',
    '-f', 'null', '-',
  ], { maxBuffer: 64 * 1024 * 1024 });
  let time: number | undefined;
  for (const line of stdout.split('\n')) {
    const frame = /pts_time:([\d.]+)/.exec(line);
    if (frame) time = Number(frame[1]);
    const luma = /YAVG=([\d.]+)/.exec(line);
    if (luma && time !== undefined && Number(luma[1]) > threshold) return time;
  }
  return undefined;
}

/** The start time (s) of the first 5 ms audio window louder than `thresholdDb` RMS. */
export async function beepOnset(filePath: string, thresholdDb = -30): Promise<number | undefined> {
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-i', `file:${filePath}`,
    '-map', '0:a:0', '-af',
    'aresample=48000,asetnsamples=n=240:p=0,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-',
    '-f', 'null', '-',
  ], { maxBuffer: 64 * 1024 * 1024 });
  let time: number | undefined;
  for (const line of stdout.split('\n')) {
    const frame = /pts_time:([\d.]+)/.exec(line);
    if (frame) time = Number(frame[1]);
    const level = /RMS_level=(-?[\d.]+|-inf)/.exec(line);
    if (level && level[1] !== '-inf' && time !== undefined && Number(level[1]) > thresholdDb) return time;
  }
  return undefined;
}

/** What ffprobe says of a file's format and streams. */
export interface ProbedFile {
  durationSec: number;
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }[];
}

export async function probeFile(filePath: string): Promise<ProbedFile> {
  // prettier-ignore
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height,sample_rate',
    '-of', 'json', `file:${filePath}`,
  ]);
  const parsed = JSON.parse(stdout) as { format: { duration?: string }; streams: ProbedFile['streams'] };
  return { durationSec: Number(parsed.format.duration ?? 'NaN'), streams: parsed.streams };
}

/**
 * Seeks to `atSec` the way a player does (input -ss: the demuxer's index,
 * then decoding from the keyframe before) and returns the time of the first
 * frame decoded there, or undefined when none decodes.
 */
export async function frameTimeAfterSeek(filePath: string, atSec: number): Promise<number | undefined> {
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'info', '-nostdin', '-ss', String(atSec), '-i', `file:${filePath}`,
    '-map', '0:v:0', '-frames:v', '1', '-copyts', '-vf', 'showinfo', '-f', 'null', '-',
  ]).then(({ stderr }) => ({ stdout: stderr }));
  const match = /pts_time:([\d.]+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

/** An EBML size field meaning "unknown": 8 bytes, all value bits set. */
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/**
 * The same stream with every Cluster's size written as "unknown", as
 * Chrome's MediaRecorder writes them (its muxer cannot go back to fill them
 * in): a reader finds a Cluster's end only where the next one begins.
 */
export async function withUnknownSizeClusters(webm: Buffer): Promise<Buffer> {
  const offsets = await clusterOffsets(webm);
  const parts: Buffer[] = [];
  let from = 0;
  for (const offset of offsets) {
    const sizeByte = webm[offset + 4];
    const sizeLength = Math.clz32(sizeByte) - 23;
    parts.push(webm.subarray(from, offset + 4), UNKNOWN_SIZE);
    from = offset + 4 + sizeLength;
  }
  parts.push(webm.subarray(from));
  return Buffer.concat(parts);
}
