import { durationToleranceSec } from '../probe-extent';
import type { AudioStreamInfo, MediaProbe } from '../probe-types';
import type { OutputExpectation } from './plan-types';

/**
 * What a media output must hold: these streams, lasting `durationSec`
 * (seconds) within durationToleranceSec. An unknown duration (0) is not checked.
 */
export function mediaExpectation(
  streams: NonNullable<OutputExpectation['streams']>,
  durationSec: number,
): OutputExpectation {
  if (!(durationSec > 0)) return { streams };
  return { streams, durationSec, toleranceSec: durationToleranceSec(durationSec) };
}

/**
 * The audio streams worth putting into an output: a stream without packets
 * (see MediaProbe.emptyStreams) would only become an empty track.
 */
export function audioWithData(
  probe: Pick<MediaProbe, 'emptyStreams'>,
  streams: readonly AudioStreamInfo[],
): AudioStreamInfo[] {
  const empty = new Set((probe.emptyStreams ?? []).map((stream) => stream.index));
  return streams.filter((stream) => !empty.has(stream.index));
}
