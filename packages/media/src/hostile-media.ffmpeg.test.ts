import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError, loadConfig } from '@mediaflow/domain';
import { makeTestClip } from '../../../test/support/media-clips';
import {
  accessedSinceArmed,
  armAccessCanaries,
  atimeIsReliable,
  writeAviWithGab2Playlist,
  writeCanaries,
  writeFfconcatList,
  writeHlsPlaylist,
  writeMatroskaClaiming,
  writeY4mHeaderBomb,
} from '../../../test/support/hostile-media';
import type { Canaries } from '../../../test/support/hostile-media';
import { FfmpegFailure } from './ffmpeg-failure';
import { runFfmpeg } from './ffmpeg-runner';
import { assertMediaWithinLimits } from './limits';
import { ffmpegProcessLimits, mediaLimitsFromConfig, probeProcessLimits } from './limits-config';
import { planCompress } from './plan';
import { probeMedia } from './probe';
import type { MediaProbe } from './probe-types';

const execFileAsync = promisify(execFile);

// The compress operation's defaults (crf 28, veryfast): the encode a default job runs.
const COMPRESS_DEFAULTS = { params: { crf: 28, preset: 'veryfast' } };

// Crafted uploads against the real ffprobe/FFmpeg, run the way the worker
// runs them: the upload sits in a private job directory, canary files sit
// outside it, and nothing may read a canary.
describe('hostile uploads (real ffmpeg)', () => {
  const config = loadConfig({});
  let root: string;
  let jobDir: string;
  let canaries: Canaries;
  let atimeWorks: boolean;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mediaflow-hostile-'));
    jobDir = path.join(root, 'job');
    const outside = path.join(root, 'outside');
    await mkdir(jobDir);
    await mkdir(outside);
    canaries = await writeCanaries(outside);
    atimeWorks = await atimeIsReliable(outside);
  }, 30_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await armAccessCanaries(canaries.mediaPath, canaries.textPath);
  });

  /** No canary was opened and read, and the secret shows up nowhere we can see. */
  async function expectCanariesUntouched(...texts: string[]): Promise<void> {
    if (atimeWorks) {
      expect(await accessedSinceArmed(canaries.mediaPath)).toBe(false);
      expect(await accessedSinceArmed(canaries.textPath)).toBe(false);
    }
    for (const text of texts) expect(text).not.toContain(canaries.marker);
    for (const name of await readdir(jobDir)) {
      expect(await readFile(path.join(jobDir, name), 'latin1')).not.toContain(canaries.marker);
    }
  }

  async function probeRefusal(file: string): Promise<AppError> {
    const error: unknown = await probeMedia(file, { limits: probeProcessLimits(config) })
      .then((probe) => assertMediaWithinLimits(probe, mediaLimitsFromConfig(config)))
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.retryable).toBe(false);
    // The client learns nothing about the worker's disk.
    expect(appError.message).not.toContain(root);
    return appError;
  }

  /**
   * The encoder's own line of defence, as if the probe had been fooled: a
   * plan for a plausible probe, run on the hostile file.
   */
  async function encodeRefusal(file: string): Promise<FfmpegFailure> {
    const plausible: MediaProbe = {
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 1,
      sizeBytes: 1000,
      streamCount: 1,
      video: { index: 0, codec: 'h264', width: 64, height: 64 },
    };
    const outputPath = path.join(jobDir, 'output.mp4');
    const plan = planCompress(COMPRESS_DEFAULTS, plausible, {
      inputPath: file,
      outputPath,
    });
    const error: unknown = await runFfmpeg({
      args: plan.args,
      durationSec: 1,
      cwd: jobDir,
      limits: ffmpegProcessLimits(config, plausible),
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(FfmpegFailure);
    const failure = error as FfmpegFailure;
    expect(failure.code).toBe('FFMPEG_FAILED');
    expect(failure.message).toMatch(/Format not on whitelist/);
    expect(failure.message).not.toContain(root);
    await expect(readFile(outputPath)).rejects.toMatchObject({ code: 'ENOENT' });
    return failure;
  }

  describe('(a) an HLS playlist posing as a video', () => {
    it('is followed by an unguarded ffprobe, proving the attack and the canary are real', async () => {
      const file = await writeHlsPlaylist(jobDir, [canaries.mediaPath], 'control.mp4');
      // prettier-ignore
      const { stdout } = await execFileAsync('ffprobe', [
        '-v', 'error', '-protocol_whitelist', 'file',
        '-show_entries', 'format=format_name:stream=codec_name,width', '-of', 'compact', `file:${file}`,
      ]);
      expect(stdout).toContain('format_name=hls');
      // The stream is the canary's: a 64-pixel-wide MPEG-2 clip from outside the job directory.
      expect(stdout).toContain('codec_name=mpeg2video|width=64');
      if (atimeWorks) expect(await accessedSinceArmed(canaries.mediaPath)).toBe(true);
      await rm(file);
    });

    it.each(['source.mp4', 'source.m3u8'])('is refused as UNSUPPORTED_MEDIA when named %s', async (name) => {
      // Only the media canary: a .txt segment would trip HLS's own extension check.
      const file = await writeHlsPlaylist(jobDir, [canaries.mediaPath], name);
      const error = await probeRefusal(file);
      expect(error.code).toBe('UNSUPPORTED_MEDIA');
      expect(error.message).toMatch(/^The file's container format "hls" is not supported/);

      const failure = await encodeRefusal(file);
      expect(failure.log).toMatch(/\[hls @ 0x[0-9a-f]+\] Format not on whitelist/);
      await expectCanariesUntouched(error.message, failure.message, failure.log);
      await rm(file);
    });
  });

  describe('(b) an ffconcat list', () => {
    it('is refused as UNSUPPORTED_MEDIA and opens nothing it lists', async () => {
      const file = await writeFfconcatList(jobDir, [canaries.mediaPath, canaries.textPath, '/etc/passwd']);
      const error = await probeRefusal(file);
      expect(error.code).toBe('UNSUPPORTED_MEDIA');
      expect(error.message).toMatch(/^The file's container format "concat" is not supported/);

      const failure = await encodeRefusal(file);
      expect(failure.log).not.toContain('root:x:0:0');
      await expectCanariesUntouched(error.message, failure.message, failure.log);
      await rm(file);
    });
  });

  describe('(c) an AVI carrying an HLS playlist in a GAB2 subtitle chunk', () => {
    it('is refused as UNSUPPORTED_MEDIA before avidec parses it', async () => {
      const file = await writeAviWithGab2Playlist(jobDir, [canaries.mediaPath]);
      const error = await probeRefusal(file);
      expect(error.code).toBe('UNSUPPORTED_MEDIA');
      expect(error.message).toMatch(/^The file's container format "avi" is not supported/);

      await encodeRefusal(file);
      await expectCanariesUntouched(error.message);
      await rm(file);
    });

    it('is refused under an innocent .mp4 name too: FFmpeg detects by content', async () => {
      const file = await writeAviWithGab2Playlist(jobDir, [canaries.mediaPath], 'source.mp4');
      const error = await probeRefusal(file);
      expect(error.code).toBe('UNSUPPORTED_MEDIA');
      expect(error.message).toContain('"avi"');
      await expectCanariesUntouched(error.message);
      await rm(file);
    });
  });

  describe('(d) header bombs', () => {
    it('refuses a YUV4MPEG2 header claiming 100000x100000 as UNSUPPORTED_MEDIA, before parsing it', async () => {
      const file = await writeY4mHeaderBomb(jobDir, { width: 100_000, height: 100_000 });
      // A quarter of the worker's memory limit and a 5 s CPU budget are plenty: nothing is allocated or decoded.
      const error: unknown = await probeMedia(file, { limits: { memoryMb: 256, cpuSeconds: 5, niceness: 10 } }).catch(
        (reason: unknown) => reason,
      );
      expect(error).toMatchObject({ code: 'UNSUPPORTED_MEDIA' });
      expect((error as Error).message).toMatch(/^The file's container format "yuv4mpegpipe" is not supported/);
      await rm(file);
    });

    it('refuses a Matroska track claiming 100000x100000 as MEDIA_LIMIT_EXCEEDED within 256 MiB', async () => {
      const file = await writeMatroskaClaiming(jobDir, { width: 100_000, height: 100_000 });
      // Under the worker's probe limits but with a quarter of the memory: the claim is never allocated.
      const error: unknown = await probeMedia(file, {
        limits: { ...probeProcessLimits(config), memoryMb: 256 },
      }).catch((reason: unknown) => reason);
      expect(error).toMatchObject({ code: 'MEDIA_LIMIT_EXCEEDED' });
      expect((error as Error).message).toBe('The video claims a 100000x100000 picture, larger than FFmpeg can decode');
      await rm(file);
    });

    it.each([
      [
        { width: 16_000, height: 16_000 },
        'The video is 16000x16000 (256000000 pixels); at most 35389440 pixels per frame are allowed',
      ],
      [{ width: 20_000, height: 1_000 }, 'The video is 20000x1000; neither side may exceed 16384 pixels'],
      [
        { width: 320, height: 240, durationSec: 10 * 86_400 },
        'The media lasts 240:00:00 (864000 s); at most 4:00:00 (14400 s) is allowed',
      ],
      [
        { width: 320, height: 240, videoTracks: 20, audioTracks: 20 },
        'The file has 40 streams; at most 16 are allowed',
      ],
    ])('refuses a Matroska file claiming %j as MEDIA_LIMIT_EXCEEDED', async (claims, message) => {
      const file = await writeMatroskaClaiming(jobDir, claims);
      const error = await probeRefusal(file);
      expect(error.code).toBe('MEDIA_LIMIT_EXCEEDED');
      expect(error.message).toBe(message);
      await rm(file);
    });
  });

  it('lets an ordinary clip through every check and encodes it under the limits', async () => {
    const clip = await makeTestClip(jobDir, 'source.mp4', { seconds: 2 });
    const probe = await probeMedia(clip, { limits: probeProcessLimits(config) });
    expect(() => assertMediaWithinLimits(probe, mediaLimitsFromConfig(config))).not.toThrow();

    const outputPath = path.join(jobDir, 'output.mp4');
    const plan = planCompress(COMPRESS_DEFAULTS, probe, {
      inputPath: clip,
      outputPath,
    });
    const result = await runFfmpeg({
      args: plan.args,
      durationSec: plan.expectedDurationSec,
      cwd: jobDir,
      limits: ffmpegProcessLimits(config, probe),
    });
    expect(result.lastProgress).toMatchObject({ done: true, percent: 100 });
    const output = await probeMedia(outputPath, { limits: probeProcessLimits(config) });
    expect(output.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(() => assertMediaWithinLimits(output, mediaLimitsFromConfig(config))).not.toThrow();
    await expectCanariesUntouched(result.log);
    await rm(clip);
    await rm(outputPath);
  }, 120_000);
});
