import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '@mediaflow/domain';
import type { JobWarning } from '@mediaflow/domain';
import { durationToleranceSec, firstFramesDecode, hasData, probeMedia } from '@mediaflow/media';
import type { MediaProbe, OutputExpectation, ProcessLimits } from '@mediaflow/media';
import type { OutputManifestEntry } from '@mediaflow/operations';

export interface VerifyOutputsOptions {
  /** Absolute path of the directory the manifest's paths are relative to. */
  workDir: string;
  manifest: readonly OutputManifestEntry[];
  ffprobePath: string;
  /** The probe's process limits: an output is probed like a source. */
  limits: ProcessLimits;
  signal: AbortSignal;
}

/**
 * FFmpeg exits 0 on outputs nobody wants: an MP3 of a track without packets
 * (a 237-byte file nothing can read), a 0 s M4A, a few seconds of what
 * should be minutes. So every manifest entry that states an `expect` (the
 * media files; text and images state none) is probed before the job may
 * complete: it must exist and be readable media, hold the expected streams,
 * decode, and last the expected duration within the stated tolerance.
 *
 * An output longer than expected is complete, so it only earns a warning;
 * everything else fails the job. Neither failure is retried: FFmpeg is
 * deterministic, and the same source would give the same output.
 *
 * @returns Warnings to store on the job (OUTPUT_LONGER_THAN_EXPECTED).
 * @throws AppError EMPTY_OUTPUT when a file is missing, empty, not readable as media, or holds no audio or video data.
 * @throws AppError OUTPUT_INCOMPLETE when a file lacks an expected stream, a stream does not decode, or it is too short.
 * @throws AppError RESOURCE_LIMIT_EXCEEDED, JOB_ABORTED from ffprobe.
 */
export async function verifyOutputs(options: VerifyOutputsOptions): Promise<JobWarning[]> {
  const warnings: JobWarning[] = [];
  for (const entry of options.manifest) {
    if (!entry.expect || entry.path.endsWith('/')) continue;
    const warning = await verifyOutput(entry.path, entry.expect, options);
    if (warning) warnings.push(warning);
  }
  return warnings;
}

async function verifyOutput(
  name: string,
  expect: OutputExpectation,
  options: VerifyOutputsOptions,
): Promise<JobWarning | undefined> {
  const file = path.join(options.workDir, name);
  const size = await stat(file).then(
    (info) => info.size,
    () => undefined,
  );
  if (size === undefined) throw new AppError('EMPTY_OUTPUT', `the operation did not write ${name}`);
  if (size === 0) throw new AppError('EMPTY_OUTPUT', `the operation wrote ${name} empty (0 bytes)`);

  const probeOptions = { ffprobePath: options.ffprobePath, limits: options.limits, signal: options.signal };
  let probe: MediaProbe;
  try {
    probe = await probeMedia(file, probeOptions);
  } catch (error) {
    if (isAppError(error) && (error.code === 'NOT_MEDIA' || error.code === 'UNSUPPORTED_MEDIA')) {
      // The probe's message speaks of "the file"; the job needs to know which one and why it matters.
      throw new AppError('EMPTY_OUTPUT', `${name} (${size} bytes) holds no usable media: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }

  if (!hasData(probe)) {
    throw new AppError('EMPTY_OUTPUT', `${name} (${size} bytes) holds no audio or video data`);
  }
  for (const kind of expect.streams ?? []) {
    if (!hasStream(probe, kind)) {
      throw new AppError('OUTPUT_INCOMPLETE', `${name} has no ${kind} stream with data, though the source gave one`);
    }
    if (kind !== 'subtitle' && !(await firstFramesDecode(file, kind, probeOptions))) {
      throw new AppError('OUTPUT_INCOMPLETE', `${name}: its ${kind} stream does not decode`);
    }
  }

  const expected = expect.durationSec ?? 0;
  if (expected <= 0) return undefined;
  // The packets, not the header: a header can state a length the data does not reach.
  const actual = probe.extent?.measuredSec ?? probe.durationSec;
  const tolerance = expect.toleranceSec ?? durationToleranceSec(expected);
  if (actual < expected - tolerance) {
    throw new AppError(
      'OUTPUT_INCOMPLETE',
      `${name} lasts ${actual.toFixed(1)} s; the source gave ${expected.toFixed(1)} s (±${tolerance.toFixed(1)} s)`,
      { details: { output: name, duration_sec: actual, expected_sec: expected } },
    );
  }
  if (actual > expected + tolerance) {
    return {
      code: 'OUTPUT_LONGER_THAN_EXPECTED',
      message: `${name} lasts ${actual.toFixed(1)} s, longer than the ${expected.toFixed(1)} s the source gave`,
    };
  }
  return undefined;
}

function hasStream(probe: MediaProbe, kind: 'video' | 'audio' | 'subtitle'): boolean {
  if (kind === 'subtitle') return (probe.subtitleStreams ?? []).length > 0;
  const stream = kind === 'video' ? probe.video : probe.audio;
  return stream !== undefined && !(probe.emptyStreams ?? []).some((empty) => empty.index === stream.index);
}

/**
 * The source's streams that hold no packets, as job warnings: the job
 * completes without them (a video without sound, an empty transcript), and
 * the client should learn that it was the source, not the service, that had
 * nothing there. An operation that needs the stream fails instead
 * (NO_AUDIO_STREAM, NO_VIDEO_STREAM), before any warning is stored.
 */
export function sourceWarnings(probe: Pick<MediaProbe, 'emptyStreams'>): JobWarning[] {
  return (probe.emptyStreams ?? []).map((stream) => ({
    code: 'SOURCE_STREAM_EMPTY',
    message:
      stream.kind === 'audio'
        ? `The source's audio stream #${stream.index} (${stream.codec}) holds no audio data; the result has no sound from it`
        : `The source's video stream #${stream.index} (${stream.codec}) holds no frames; the result has no picture from it`,
  }));
}
