import { AppError } from '@mediaflow/domain';
import { addPacketLine, assertSourceComplete, durationToleranceSec, withPacketExtent } from './probe-extent';
import type { PacketPass, StreamPackets } from './probe-extent';
import type { MediaProbe } from './probe-types';

const VIDEO = { index: 0, codec: 'h264', width: 320, height: 240 };
const AUDIO = { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 };
const SECOND_AUDIO = { index: 2, codec: 'opus', channels: 2, sampleRate: 48000, isDefault: true };

function probe(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 10,
    sizeBytes: 1000,
    streamCount: 2,
    video: VIDEO,
    audio: AUDIO,
    audioStreams: [AUDIO],
    ...overrides,
  };
}

function pass(streams: Record<number, [number, number, number]>, declaredIsEstimate = false): PacketPass {
  const map = new Map<number, StreamPackets>();
  for (const [index, [packets, startSec, endSec]] of Object.entries(streams)) {
    map.set(Number(index), { packets, startSec, endSec });
  }
  return { streams: map, declaredIsEstimate };
}

function thrown(action: () => void): AppError {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('addPacketLine', () => {
  it('folds compact packet lines into per-stream extents, ignoring other lines', () => {
    const streams = new Map<number, StreamPackets>();
    for (const line of [
      'stream_index=0|pts_time=0.080000|dts_time=0.000000|duration_time=0.040000',
      'stream_index=0|pts_time=0.000000|dts_time=0.040000|duration_time=0.040000',
      'stream_index=1|pts_time=-0.021333|dts_time=-0.021333|duration_time=0.021333',
      // A packet without a presentation time falls back to its decoding time; N/A duration counts as 0.
      'stream_index=1|pts_time=N/A|dts_time=5.974000|duration_time=N/A',
      '',
      '|',
      'format|duration=N/A',
    ]) {
      addPacketLine(streams, line);
    }
    expect(Object.fromEntries(streams)).toEqual({
      0: { packets: 2, startSec: 0, endSec: 0.12 },
      1: { packets: 2, startSec: -0.021333, endSec: 5.974 },
    });
  });
});

describe('durationToleranceSec', () => {
  it.each([
    [0, 1],
    [10, 1.05],
    [7200, 37],
  ])('allows %p s to be off by %p s', (duration, tolerance) => {
    expect(durationToleranceSec(duration)).toBeCloseTo(tolerance, 6);
  });
});

describe('withPacketExtent and assertSourceComplete', () => {
  it.each<{
    name: string;
    probe: Partial<MediaProbe>;
    pass: PacketPass;
    durationSec: number;
    complete: string | undefined;
  }>([
    {
      name: 'keeps a stated duration the packets bear out',
      probe: {},
      pass: pass({ 0: [250, 0, 10], 1: [469, 0, 9.98] }),
      durationSec: 10,
      complete: undefined,
    },
    {
      name: 'measures a file that states no duration (MediaRecorder WebM)',
      probe: { durationSec: 0 },
      pass: pass({ 0: [150, 0, 5.96], 1: [300, 0, 6.014] }),
      durationSec: 6.014,
      complete: undefined,
    },
    {
      name: 'measures, and does not judge, a duration FFmpeg estimated from the bit rate',
      probe: { durationSec: 10, video: undefined, audioStreams: [AUDIO] },
      pass: pass({ 1: [100, 0, 4] }, true),
      durationSec: 4,
      complete: undefined,
    },
    {
      name: 'refuses a faststart MP4 cut off at 40 %',
      probe: {},
      pass: pass({ 0: [100, 0, 4], 1: [187, 0, 3.97] }),
      durationSec: 4,
      complete: 'SOURCE_TRUNCATED',
    },
    {
      name: 'takes subtitle and data packets into account before calling a file cut short',
      probe: { durationSec: 12 },
      pass: pass({ 0: [250, 0, 10], 1: [469, 0, 10], 3: [4, 2, 12] }),
      durationSec: 10,
      complete: undefined,
    },
    {
      name: 'refuses a header with nothing behind it that states a duration as cut short',
      probe: {},
      pass: pass({}),
      durationSec: 10,
      complete: 'SOURCE_TRUNCATED',
    },
    {
      name: 'refuses a header with nothing behind it and no duration as not media',
      probe: { durationSec: 0 },
      pass: pass({}),
      durationSec: 0,
      complete: 'NOT_MEDIA',
    },
  ])('$name', (row) => {
    const measured = withPacketExtent(probe(row.probe), row.pass);
    expect(measured.durationSec).toBeCloseTo(row.durationSec, 6);
    if (row.complete === undefined) {
      expect(() => assertSourceComplete(measured)).not.toThrow();
    } else {
      expect(thrown(() => assertSourceComplete(measured))).toMatchObject({ code: row.complete, retryable: false });
    }
  });

  it('says how much of the declared duration the data covers', () => {
    const measured = withPacketExtent(probe(), pass({ 0: [100, 0, 4], 1: [187, 0, 3.97] }));
    const error = thrown(() => assertSourceComplete(measured));
    expect(error.message).toBe(
      'The source is cut short: it declares 10.0 s but its data ends after 4.0 s (40 %). ' +
        'The upload or the file is incomplete; upload the complete file again.',
    );
    expect(error.details).toEqual({ declared_sec: 10, data_sec: 4 });
    expect(error.status).toBe(422);
  });

  it('drops an audio track without packets, keeps it listed, and moves to one with data', () => {
    const measured = withPacketExtent(
      probe({ audio: SECOND_AUDIO, audioStreams: [AUDIO, SECOND_AUDIO], streamCount: 3 }),
      pass({ 0: [250, 0, 10], 1: [469, 0, 10] }),
    );
    expect(measured.audio).toBe(AUDIO);
    expect(measured.audioStreams).toEqual([AUDIO, SECOND_AUDIO]);
    expect(measured.emptyStreams).toEqual([{ kind: 'audio', index: 2, codec: 'opus' }]);
    expect(measured.extent).toEqual({
      measuredSec: 10,
      allStreamsSec: 10,
      streamSec: { 0: 10, 1: 10 },
      declaredSec: 10,
      declaredIsEstimate: false,
    });
  });

  it('leaves no audio when the only audio track is empty, so operations see a video without sound', () => {
    const measured = withPacketExtent(probe({ durationSec: 3 }), pass({ 0: [75, 0, 3] }));
    expect(measured.audio).toBeUndefined();
    expect(measured.video).toBe(VIDEO);
    expect(measured.emptyStreams).toEqual([{ kind: 'audio', index: 1, codec: 'aac' }]);
    expect(() => assertSourceComplete(measured)).not.toThrow();
  });
});
