import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@mediaflow/domain';
import { makeTestClip } from '../../../test/support/media-clips';
import {
  ffprobeSummary,
  makeEmptyAudioMkv,
  makePipedWebm,
  makeTruncatedFaststartMp4,
} from '../../../test/support/unfaithful-media';
import { firstFramesDecode } from './decode-check';
import { probeMedia } from './probe';
import { assertSourceComplete } from './probe-extent';

const run = promisify(execFile);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-extent-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function refusal(action: () => void): AppError | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

describe('probeMedia reads the packets behind the header (real ffprobe)', () => {
  it('keeps the stated duration of an ordinary file, to the microsecond', async () => {
    const clip = await makeTestClip(dir, 'ordinary.mp4', { seconds: 3 });
    const probe = await probeMedia(clip);
    expect(probe.durationSec).toBe((await ffprobeSummary(clip)).durationSec);
    expect(probe.extent).toMatchObject({ declaredSec: probe.durationSec, declaredIsEstimate: false });
    expect(probe.extent?.measuredSec).toBeCloseTo(3, 1);
    expect(probe.emptyStreams).toBeUndefined();
    expect(() => assertSourceComplete(probe)).not.toThrow();
  }, 30_000);

  it('measures a WebM written to a pipe, which states no duration', async () => {
    const webm = await makePipedWebm(dir, 'piped.webm', { seconds: 6 });
    // The premise: ffprobe alone finds no duration in it.
    expect((await ffprobeSummary(webm)).durationSec).toBeUndefined();

    const probe = await probeMedia(webm);
    expect(probe.durationSec).toBeGreaterThan(5.9);
    expect(probe.durationSec).toBeLessThan(6.1);
    expect(probe.extent).toMatchObject({ declaredSec: 0, declaredIsEstimate: false });
    expect(() => assertSourceComplete(probe)).not.toThrow();
  }, 30_000);

  it('refuses a faststart MP4 cut off at 40 % of its bytes as SOURCE_TRUNCATED', async () => {
    const { file } = await makeTruncatedFaststartMp4(dir, 'cut.mp4', { seconds: 10, keepFraction: 0.4 });
    // The premise: the header still says 10 s.
    expect((await ffprobeSummary(file)).durationSec).toBe(10);

    const probe = await probeMedia(file);
    expect(probe.extent?.declaredSec).toBe(10);
    expect(probe.extent?.allStreamsSec).toBeGreaterThan(3);
    expect(probe.extent?.allStreamsSec).toBeLessThan(5);
    const error = refusal(() => assertSourceComplete(probe));
    expect(error).toMatchObject({ code: 'SOURCE_TRUNCATED', status: 422, retryable: false });
    expect(error?.message).toMatch(
      /^The source is cut short: it declares 10\.0 s but its data ends after [34]\.\d s \(\d\d %\)/,
    );
  }, 30_000);

  it('lists an audio track without packets as empty and gives the video no audio', async () => {
    const mkv = await makeEmptyAudioMkv(dir, 'mute-track.mkv', 3);
    // The premise: ffprobe lists an Opus track with a sample rate, as if it were there.
    expect((await ffprobeSummary(mkv)).streams.map((stream) => stream.codec_type)).toEqual(['video', 'audio']);

    const probe = await probeMedia(mkv);
    expect(probe.video).toMatchObject({ codec: 'h264' });
    expect(probe.audio).toBeUndefined();
    expect(probe.audioStreams).toHaveLength(1);
    expect(probe.emptyStreams).toEqual([{ kind: 'audio', index: 1, codec: 'opus' }]);
    expect(probe.durationSec).toBeCloseTo(3, 1);
    expect(() => assertSourceComplete(probe)).not.toThrow();
    expect(await firstFramesDecode(mkv, 'video')).toBe(true);
    expect(await firstFramesDecode(mkv, 'audio')).toBe(false);
  }, 30_000);

  it('does not judge a duration FFmpeg estimated from the bit rate (ADTS AAC), and measures it', async () => {
    const aac = path.join(dir, 'estimated.aac');
    // prettier-ignore
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=5',
      '-c:a', 'aac', '-b:a', '96k', '-f', 'adts', aac,
    ]);
    const probe = await probeMedia(aac);
    expect(probe.extent?.declaredIsEstimate).toBe(true);
    expect(probe.durationSec).toBeCloseTo(5, 1);
    expect(() => assertSourceComplete(probe)).not.toThrow();
    expect(await firstFramesDecode(aac, 'audio')).toBe(true);
    expect(await firstFramesDecode(aac, 'video')).toBe(false);
  }, 30_000);
});
