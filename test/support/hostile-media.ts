import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Hand-crafted hostile uploads, for the media tests and the API-level attack
 * suite. Each writer puts one file into `dir` and returns its absolute path.
 * The file names copy what an attacker controls: the worker keeps the source
 * key's extension, so "source.mp4" and "source.m3u8" are both reachable.
 */

const run = promisify(execFile);

// ---------------------------------------------------------------------------
// Canaries: files outside the job's directory that no input may reach.

export interface Canaries {
  /** A real one-second MPEG-TS clip: a demuxer that follows a reference decodes it happily. */
  mediaPath: string;
  /** A text file holding `marker`, standing in for /etc/passwd. */
  textPath: string;
  /** A random string that appears nowhere but in textPath. */
  marker: string;
}

export async function writeCanaries(dir: string, ffmpegPath = 'ffmpeg'): Promise<Canaries> {
  const mediaPath = path.resolve(dir, 'canary.ts');
  const textPath = path.resolve(dir, 'canary-secret.txt');
  const marker = `CANARY-${randomBytes(12).toString('hex')}`;
  // prettier-ignore
  await run(ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
    '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=5', '-t', '1',
    '-c:v', 'mpeg2video', '-f', 'mpegts', `file:${mediaPath}`,
  ]);
  await writeFile(textPath, `root:x:0:0:${marker}:/root:/bin/sh\n`);
  return { mediaPath, textPath, marker };
}

/**
 * Sets the files' access time far into the past. With the usual `relatime`
 * mount option the kernel then records the next read, so `accessedSince`
 * tells whether anything opened and read them. (Under `noatime` it never
 * changes: call `atimeIsReliable` first and fall back to content checks.)
 */
export async function armAccessCanaries(...files: string[]): Promise<void> {
  const past = new Date('2000-01-01T00:00:00Z');
  for (const file of files) {
    const { mtime } = await stat(file);
    await utimes(file, past, mtime);
  }
}

export async function accessedSinceArmed(file: string): Promise<boolean> {
  const { atime } = await stat(file);
  return atime.getTime() > Date.parse('2000-01-02T00:00:00Z');
}

/** Whether reading a file in `dir` updates its access time on this machine. */
export async function atimeIsReliable(dir: string): Promise<boolean> {
  const probe = path.resolve(dir, `atime-probe-${randomBytes(4).toString('hex')}`);
  await writeFile(probe, 'x');
  await armAccessCanaries(probe);
  await run('cat', [probe]);
  return accessedSinceArmed(probe);
}

// ---------------------------------------------------------------------------
// Reference-following containers: playlists and concat lists.

/**
 * An HLS playlist under a media file's name. Without a demuxer allow-list
 * FFmpeg detects HLS by content and reads every segment, including
 * file:///anything the worker can read.
 */
export async function writeHlsPlaylist(dir: string, targets: readonly string[], name = 'source.mp4'): Promise<string> {
  const file = path.resolve(dir, name);
  await writeFile(file, hlsPlaylist(targets));
  return file;
}

export function hlsPlaylist(targets: readonly string[]): string {
  const segments = targets.map((target) => `#EXTINF:1.0,\nfile://${path.resolve(target)}\n`).join('');
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n${segments}#EXT-X-ENDLIST\n`;
}

/** An ffconcat script: the concat demuxer opens each listed file in turn. */
export async function writeFfconcatList(dir: string, targets: readonly string[], name = 'source.mp4'): Promise<string> {
  const file = path.resolve(dir, name);
  const lines = targets.map((target) => `file '${path.resolve(target)}'\n`).join('');
  await writeFile(file, `ffconcat version 1.0\n${lines}`);
  return file;
}

/**
 * The 2017 "AVI + HLS" disclosure: an AVI whose only stream is a GAB2
 * subtitle stream, and whose one indexed chunk carries an HLS playlist.
 * avidec probes a GAB2 payload with every demuxer it knows and opens it as a
 * nested input, so the playlist's file:// segments get read. (FFmpeg ≥ 3.3.2
 * only lets GAB2 open srt/ass; the allow-list must refuse it regardless.)
 */
export async function writeAviWithGab2Playlist(
  dir: string,
  targets: readonly string[],
  name = 'source.avi',
): Promise<string> {
  const file = path.resolve(dir, name);
  await writeFile(file, aviWithGab2(Buffer.from(hlsPlaylist(targets), 'utf8')));
  return file;
}

export function aviWithGab2(payload: Buffer): Buffer {
  const description = Buffer.from('English\0', 'utf16le');
  const gab2 = Buffer.concat([
    Buffer.from('GAB2\0', 'latin1'),
    u16(2),
    u32(description.length),
    description,
    u16(4),
    u32(payload.length),
    payload,
  ]);

  // prettier-ignore
  const avih = chunk('avih', Buffer.concat([
    u32(1_000_000), // microseconds per frame
    u32(0), u32(0),
    u32(0x10), // AVIF_HASINDEX
    u32(1), u32(0),
    u32(1), // streams
    u32(gab2.length),
    u32(0), u32(0), // width, height
    u32(0), u32(0), u32(0), u32(0),
  ]));
  // prettier-ignore
  const strh = chunk('strh', Buffer.concat([
    Buffer.from('txts', 'latin1'), u32(0), // type, handler
    u32(0), u16(0), u16(0), u32(0),
    u32(1), u32(1), u32(0), u32(1), // scale, rate, start, length
    u32(gab2.length), u32(0xffffffff), u32(0),
    u16(0), u16(0), u16(0), u16(0),
  ]));
  const hdrl = list('hdrl', [avih, list('strl', [strh, chunk('strf', Buffer.alloc(0))])]);
  const movi = list('movi', [chunk('00tx', gab2)]);
  // idx1 offsets count from the "movi" fourcc.
  const idx1 = chunk('idx1', Buffer.concat([Buffer.from('00tx', 'latin1'), u32(0x10), u32(4), u32(gab2.length)]));
  return riff('AVI ', [hdrl, movi, idx1]);
}

// ---------------------------------------------------------------------------
// Header bombs: small files that claim enormous pictures, durations or stream counts.

/** A YUV4MPEG2 stream header claiming `width`x`height`, followed by one tiny "frame". */
export async function writeY4mHeaderBomb(
  dir: string,
  size: { width: number; height: number } = { width: 100_000, height: 100_000 },
  name = 'source.y4m',
): Promise<string> {
  const file = path.resolve(dir, name);
  await writeFile(file, `YUV4MPEG2 W${size.width} H${size.height} F25:1 Ip A1:1 C420jpeg\nFRAME\n${'\0'.repeat(64)}`);
  return file;
}

export interface MatroskaClaims {
  /** Video tracks to declare (VP9, no frames); each claims width x height. */
  videoTracks?: number;
  width?: number;
  height?: number;
  /** PCM audio tracks to declare. */
  audioTracks?: number;
  /** The segment's stated duration. */
  durationSec?: number;
  videoCodecId?: string;
}

/**
 * A Matroska file that is nothing but headers: any number of tracks, any
 * picture size, any duration, and not a single frame. It is cheap to make
 * and passes the container allow-list, so only the limits stop it.
 */
export async function writeMatroskaClaiming(dir: string, claims: MatroskaClaims, name = 'source.mkv'): Promise<string> {
  const file = path.resolve(dir, name);
  await writeFile(file, matroskaClaiming(claims));
  return file;
}

export function matroskaClaiming(claims: MatroskaClaims): Buffer {
  const {
    videoTracks = 1,
    width = 100_000,
    height = 100_000,
    audioTracks = 0,
    durationSec = 10,
    videoCodecId = 'V_VP9',
  } = claims;
  // prettier-ignore
  const header = ebml(0x1a45dfa3, [
    ebmlUint(0x4286, 1), ebmlUint(0x42f7, 1), ebmlUint(0x42f2, 4), ebmlUint(0x42f3, 8),
    ebmlString(0x4282, 'matroska'), ebmlUint(0x4287, 4), ebmlUint(0x4285, 2),
  ]);
  // prettier-ignore
  const info = ebml(0x1549a966, [
    ebmlUint(0x2ad7b1, 1_000_000), // timestamps in milliseconds
    ebmlFloat(0x4489, durationSec * 1000),
    ebmlString(0x4d80, 'hostile-media'), ebmlString(0x5741, 'hostile-media'),
  ]);
  const entries: Buffer[] = [];
  for (let track = 1; track <= videoTracks + audioTracks; track += 1) {
    const isVideo = track <= videoTracks;
    // prettier-ignore
    entries.push(ebml(0xae, [
      ebmlUint(0xd7, track), ebmlUint(0x73c5, track),
      ebmlUint(0x83, isVideo ? 1 : 2),
      ebmlString(0x86, isVideo ? videoCodecId : 'A_PCM/INT/LIT'),
      isVideo
        ? ebml(0xe0, [ebmlUint(0xb0, width), ebmlUint(0xba, height)])
        : ebml(0xe1, [ebmlFloat(0xb5, 48_000), ebmlUint(0x9f, 2), ebmlUint(0x6264, 16)]),
    ]));
  }
  // One empty cluster: the demuxer reads headers until it meets a cluster.
  const cluster = ebml(0x1f43b675, [ebmlUint(0xe7, 0)]);
  const segment = ebml(0x18538067, [info, ebml(0x1654ae6b, entries), cluster]);
  return Buffer.concat([header, segment]);
}

// ---------------------------------------------------------------------------
// Byte-level helpers.

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

function chunk(fourcc: string, data: Buffer): Buffer {
  const padding = data.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(fourcc, 'latin1'), u32(data.length), data, padding]);
}

function list(type: string, children: Buffer[]): Buffer {
  return chunk('LIST', Buffer.concat([Buffer.from(type, 'latin1'), ...children]));
}

function riff(type: string, children: Buffer[]): Buffer {
  return chunk('RIFF', Buffer.concat([Buffer.from(type, 'latin1'), ...children]));
}

function ebmlId(id: number): Buffer {
  const bytes: number[] = [];
  for (let rest = id; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes);
}

/** Every size as an 8-byte vint: simple, and valid for any length. */
function ebmlSize(length: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(length));
  buffer[0] = 0x01;
  return buffer;
}

function ebml(id: number, children: Buffer | Buffer[]): Buffer {
  const data = Array.isArray(children) ? Buffer.concat(children) : children;
  return Buffer.concat([ebmlId(id), ebmlSize(data.length), data]);
}

function ebmlUint(id: number, value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(value));
  const firstUsed = buffer.findIndex((byte) => byte !== 0);
  return ebml(id, buffer.subarray(firstUsed < 0 ? 7 : firstUsed));
}

function ebmlFloat(id: number, value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeDoubleBE(value);
  return ebml(id, buffer);
}

function ebmlString(id: number, value: string): Buffer {
  return ebml(id, Buffer.from(value, 'utf8'));
}
