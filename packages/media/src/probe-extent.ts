import { spawn } from 'node:child_process';
import { AppError } from '@mediaflow/domain';
import { audioStreamsOf } from './audio-track';
import { FORMAT_WHITELIST } from './allow-lists';
import { abortedError, spawnError } from './capture-process';
import { fileUrl } from './input-url';
import type { AudioStreamInfo, EmptyStream, MediaExtent, MediaProbe } from './probe-types';
import { limitedCommand, resourceLimitError, wrappedExecError } from './process-limits';
import type { ProcessLimits } from './process-limits';

/**
 * The probe reads headers; headers can promise what the file does not hold.
 * A browser's MediaRecorder WebM states no duration at all, a faststart MP4
 * cut off during upload states the full one, and a track can be declared
 * with no packets in it. One demux pass over every packet (no decoding:
 * about 2 CPU-seconds per hour of 30 fps video with audio, with FFmpeg 5.1)
 * tells what is really there.
 */

/** Packets of one stream as the pass read them. Times in seconds. */
export interface StreamPackets {
  packets: number;
  /** Earliest presentation (else decoding) time of any packet. */
  startSec: number;
  /** Latest packet time plus that packet's duration (0 when the file gives none). */
  endSec: number;
}

export interface PacketPass {
  /** By absolute stream index; a stream with no packets is absent. */
  streams: Map<number, StreamPackets>;
  /** FFmpeg said it estimated the container's duration from the bit rate. */
  declaredIsEstimate: boolean;
}

export interface PacketPassOptions {
  ffprobePath?: string;
  signal?: AbortSignal;
  /** The probe's limits: a pass over a hostile file is as bounded as the probe itself. */
  limits?: ProcessLimits;
}

// What FFmpeg 5.1 logs (at warning level) when a demuxer had no duration to read.
const ESTIMATE_MARKER = /Estimating duration from bitrate/;
// stderr is only read for the estimate marker and error messages; a damaged
// file can log a line per packet, which must not pile up in memory.
const MAX_STDERR_BYTES = 64 * 1024;

/**
 * Reads every packet's stream, time and duration with ffprobe (the same
 * protocol and format allow-lists and process limits as the probe), keeping
 * only a running extent per stream, so a long file costs no memory.
 *
 * @throws AppError RESOURCE_LIMIT_EXCEEDED when ffprobe hit its CPU or memory limit; JOB_ABORTED when the signal fired.
 * @throws AppError NOT_MEDIA when ffprobe could not read the file at all (exit code not 0).
 * @throws Error when ffprobe cannot be started (a deployment mistake).
 */
export async function readPackets(filePath: string, options: PacketPassOptions = {}): Promise<PacketPass> {
  const { ffprobePath = 'ffprobe', signal, limits } = options;
  // prettier-ignore
  const args = [
    // Warning level, not error: the bit-rate estimate is only said as a warning.
    '-v', 'warning',
    '-protocol_whitelist', 'file',
    '-format_whitelist', FORMAT_WHITELIST,
    '-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time',
    '-print_format', 'compact=print_section=0',
    '-i', fileUrl(filePath),
  ];
  if (signal?.aborted) throw abortedError(ffprobePath);
  const command = limitedCommand(ffprobePath, args, limits);
  const streams = new Map<number, StreamPackets>();

  const end = await new Promise<{ exitCode: number | null; exitSignal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
      let partial = '';
      let stderr = '';
      let failure: Error | undefined;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) addPacketLine(streams, line);
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.slice(0, MAX_STDERR_BYTES - stderr.length);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        failure ??= error.name === 'AbortError' ? abortedError(ffprobePath, error) : spawnError(ffprobePath, error);
      });
      child.on('close', (exitCode, exitSignal) => {
        addPacketLine(streams, partial);
        if (failure) reject(failure);
        else resolve({ exitCode, exitSignal, stderr });
      });
    },
  );

  const limitError = resourceLimitError('ffprobe', end, limits, command.enforced);
  if (limitError) throw limitError;
  const execError = wrappedExecError(ffprobePath, end, command.command !== ffprobePath);
  if (execError) throw execError;
  if (end.exitCode !== 0) {
    // The header probe read this file a moment ago, so this is rare; the
    // message stays generic because stderr names the worker's paths.
    throw new AppError(
      'NOT_MEDIA',
      `The file is not a readable media file: reading its packets failed (exit code ${end.exitCode})`,
    );
  }
  return { streams, declaredIsEstimate: ESTIMATE_MARKER.test(end.stderr) };
}

/**
 * Folds one line of `-print_format compact=print_section=0` packet output
 * ("stream_index=1|pts_time=5.974000|dts_time=5.974000|duration_time=0.020000")
 * into the running extents. Lines that are not packets are ignored.
 */
export function addPacketLine(streams: Map<number, StreamPackets>, line: string): void {
  const fields = new Map<string, string>();
  for (const pair of line.trim().split('|')) {
    const at = pair.indexOf('=');
    if (at > 0) fields.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const index = Number(fields.get('stream_index') ?? 'NaN');
  if (!Number.isInteger(index) || index < 0) return;
  const time = finite(fields.get('pts_time')) ?? finite(fields.get('dts_time'));
  const known = streams.get(index);
  const entry = known ?? { packets: 0, startSec: Number.POSITIVE_INFINITY, endSec: Number.NEGATIVE_INFINITY };
  entry.packets += 1;
  if (time !== undefined) {
    entry.startSec = Math.min(entry.startSec, time);
    entry.endSec = Math.max(entry.endSec, time + Math.max(0, finite(fields.get('duration_time')) ?? 0));
  }
  if (!known) streams.set(index, entry);
}

function finite(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === 'N/A') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * How far a duration measured from packets may stray from a stated or
 * expected one before it means something is missing: 1 s (a last frame or
 * audio packet without a duration, encoder priming, per-track rounding)
 * plus 0.5 % (headers that round, tracks that drift apart over hours).
 * A 10 s clip may be 1.05 s off, a 2 h film 37 s.
 * @param durationSec The stated or expected duration, in seconds.
 * @returns The tolerance, in seconds.
 */
export function durationToleranceSec(durationSec: number): number {
  return 1 + 0.005 * Math.max(0, durationSec);
}

/**
 * The probe corrected by what its packets show. Pure.
 *
 * - Audio and video streams without packets become `emptyStreams`: `video`
 *   is dropped, and `audio` moves to the first audio stream that has packets
 *   (preferring one flagged default), so planners see the source as it is.
 * - `durationSec` stays the stated one when the packets bear it out, and is
 *   the packets' span otherwise (nothing stated, a bit-rate estimate, a
 *   header that disagrees), so progress, ETA and time limits work for files
 *   that state no duration.
 * - `extent` keeps both, for {@link assertSourceComplete} and for checking outputs.
 * - When no audio or video stream holds a packet (a header with nothing
 *   behind it), `video` and `audio` stay as the header says, so the media
 *   limits still judge what the header claims; assertSourceComplete then
 *   refuses the file.
 */
export function withPacketExtent(probe: MediaProbe, pass: PacketPass): MediaProbe {
  const hasPackets = (index: number): boolean => (pass.streams.get(index)?.packets ?? 0) > 0;
  const audioStreams = audioStreamsOf(probe);
  const emptyStreams: EmptyStream[] = [
    ...(probe.video && !hasPackets(probe.video.index)
      ? [{ kind: 'video' as const, index: probe.video.index, codec: probe.video.codec }]
      : []),
    ...audioStreams
      .filter((stream) => !hasPackets(stream.index))
      .map((stream) => ({ kind: 'audio' as const, index: stream.index, codec: stream.codec })),
  ];
  let video = probe.video && hasPackets(probe.video.index) ? probe.video : undefined;
  let audio = probe.audio && hasPackets(probe.audio.index) ? probe.audio : firstWithPackets(audioStreams, hasPackets);
  if (!video && !audio) {
    video = probe.video;
    audio = probe.audio;
  }

  const streamSec: Record<number, number> = {};
  const avIndices = [
    ...(video ? [video.index] : []),
    ...audioStreams.filter((s) => hasPackets(s.index)).map((s) => s.index),
  ];
  for (const index of avIndices) {
    const stream = pass.streams.get(index);
    if (stream && stream.endSec > stream.startSec) streamSec[index] = round(stream.endSec - stream.startSec);
  }
  const extent: MediaExtent = {
    measuredSec: spanOf(avIndices.flatMap((index) => pass.streams.get(index) ?? [])),
    allStreamsSec: spanOf([...pass.streams.values()]),
    streamSec,
    declaredSec: probe.durationSec,
    declaredIsEstimate: pass.declaredIsEstimate,
  };
  // Rebuilt without the header's video and audio, which may point at empty streams.
  const rest: MediaProbe = { ...probe };
  delete rest.video;
  delete rest.audio;
  return {
    ...rest,
    durationSec: faithfulDuration(extent),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    extent,
    ...(emptyStreams.length > 0 ? { emptyStreams } : {}),
  };
}

/** The stated duration when the packets bear it out, else the packets' span (see MediaProbe.durationSec). */
function faithfulDuration(extent: MediaExtent): number {
  const { declaredSec, measuredSec } = extent;
  if (measuredSec <= 0) return declaredSec;
  const trusted =
    declaredSec > 0 &&
    !extent.declaredIsEstimate &&
    Math.abs(declaredSec - measuredSec) <= durationToleranceSec(declaredSec);
  return trusted ? declaredSec : measuredSec;
}

function firstWithPackets(
  streams: readonly AudioStreamInfo[],
  hasPackets: (index: number) => boolean,
): AudioStreamInfo | undefined {
  const playable = streams.filter((stream) => hasPackets(stream.index));
  return playable.find((stream) => stream.isDefault) ?? playable[0];
}

function spanOf(streams: readonly StreamPackets[]): number {
  const timed = streams.filter((stream) => stream.endSec > stream.startSec);
  if (timed.length === 0) return 0;
  const start = Math.min(...timed.map((stream) => stream.startSec));
  const end = Math.max(...timed.map((stream) => stream.endSec));
  return round(end - start);
}

/** Microseconds are ffprobe's precision; more digits are float noise. */
function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

/**
 * Refuses a source whose data ends well before the duration it declares,
 * typically an upload or copy cut off part-way (a faststart MP4 keeps its
 * full index at the front, so it still probes as the whole length).
 *
 * It fails rather than warns: the result would be a fraction of what the
 * client believes it sent, it would look complete, and no retry can bring
 * the missing bytes back. Small differences (within durationToleranceSec)
 * and durations FFmpeg only estimated from the bit rate are not judged.
 * Pure; call it after probeMedia and the media limits, before planning.
 *
 * @throws AppError SOURCE_TRUNCATED (422, not retryable) with details `{ declared_sec, data_sec }`.
 * @throws AppError NOT_MEDIA when no audio or video stream holds any data and the file declares no duration.
 */
export function assertSourceComplete(probe: Pick<MediaProbe, 'extent' | 'video' | 'audio' | 'emptyStreams'>): void {
  const extent = probe.extent;
  if (!extent) return;
  if (!hasData(probe) && (extent.declaredSec <= 0 || extent.declaredIsEstimate)) {
    throw new AppError('NOT_MEDIA', 'The file is not a readable media file: its audio and video streams hold no data');
  }
  if (extent.declaredIsEstimate || extent.declaredSec <= 0) return;
  const dataSec = extent.allStreamsSec;
  if (extent.declaredSec - dataSec <= durationToleranceSec(extent.declaredSec)) return;
  const percent = Math.round((100 * dataSec) / extent.declaredSec);
  throw new AppError(
    'SOURCE_TRUNCATED',
    `The source is cut short: it declares ${seconds(extent.declaredSec)} but its data ends after ${seconds(dataSec)} (${percent} %). ` +
      'The upload or the file is incomplete; upload the complete file again.',
    { details: { declared_sec: extent.declaredSec, data_sec: dataSec } },
  );
}

/** Whether the chosen video or audio stream holds packets (see withPacketExtent). */
export function hasData(probe: Pick<MediaProbe, 'video' | 'audio' | 'emptyStreams'>): boolean {
  const empty = new Set((probe.emptyStreams ?? []).map((stream) => stream.index));
  return [probe.video, probe.audio].some((stream) => stream !== undefined && !empty.has(stream.index));
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}
