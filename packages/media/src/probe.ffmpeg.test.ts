import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@mediaflow/domain';
import { makeTestClip } from '../../../test/support/media-clips';
import { probeMedia } from './probe';

const execFileAsync = promisify(execFile);

// Runs the real ffprobe against files generated here.
describe('probeMedia (real ffprobe)', () => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-probe-'));
    clip = await makeTestClip(dir, 'clip.mp4', { seconds: 2 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function probeError(filePath: string): Promise<AppError> {
    const error: unknown = await probeMedia(filePath).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }

  it('reads a generated clip', async () => {
    const probe = await probeMedia(clip);
    expect(probe.formatName).toContain('mp4');
    expect(probe.durationSec).toBeCloseTo(2, 0);
    expect(probe.sizeBytes).toBeGreaterThan(1000);
    expect(probe.video).toMatchObject({ index: 0, codec: 'h264', width: 320, height: 240, fps: 25, pixFmt: 'yuv420p' });
    expect(probe.audio).toMatchObject({ index: 1, codec: 'aac', channels: 1, sampleRate: 48000 });
  });

  it('reads a file whose name starts with "-" and contains a protocol-like colon', async () => {
    const tricky = await makeTestClip(dir, '-i concat:x.mp4', { seconds: 1, audio: false });
    const probe = await probeMedia(tricky);
    expect(probe.video?.codec).toBe('h264');
    expect(probe.audio).toBeUndefined();
  });

  it('resolves a relative path against the working directory', async () => {
    const relative = path.relative(process.cwd(), clip);
    await expect(probeMedia(relative)).resolves.toMatchObject({ video: { codec: 'h264' } });
  });

  it('rejects random bytes as NOT_MEDIA with ffprobe’s reason and no server path', async () => {
    const file = path.join(dir, 'random.mp4');
    await writeFile(file, randomBytes(64 * 1024));
    const error = await probeError(file);
    expect(error.code).toBe('NOT_MEDIA');
    expect(error.message).toMatch(/^The file is not a readable media file: /);
    expect(error.message).not.toContain(dir);
  });

  it('rejects a headerless raw stream, which noise also probes as, as NOT_MEDIA', async () => {
    const file = path.join(dir, 'raw.mp4');
    // prettier-ignore
    await execFileAsync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=352x288:rate=25', '-t', '0.2', '-c:v', 'h263', '-f', 'h263', `file:${file}`,
    ]);
    const error = await probeError(file);
    expect(error.code).toBe('NOT_MEDIA');
    expect(error.message).toBe(
      'The file is not a readable media file: it has no supported container (FFmpeg\'s best guess was a raw "h263" stream)',
    );
  });

  it('rejects a 0-byte file as NOT_MEDIA', async () => {
    const file = path.join(dir, 'empty.mp4');
    await writeFile(file, '');
    const error = await probeError(file);
    expect(error.code).toBe('NOT_MEDIA');
    expect(error.message).toMatch(/moov atom not found|Invalid data/);
  });

  it('rejects a readable file without audio or video (subtitles in Matroska) as NOT_MEDIA', async () => {
    const srt = path.join(dir, 'subs.srt');
    await writeFile(srt, '1\n00:00:01,000 --> 00:00:02,000\nhello\n');
    const file = path.join(dir, 'subs.mkv');
    await execFileAsync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', `file:${srt}`, `file:${file}`]);
    const error = await probeError(file);
    expect(error.code).toBe('NOT_MEDIA');
    expect(error.message).toMatch(/neither an audio nor a video stream/);
  });

  it('rejects a container outside the allow-list (a bare .srt) as UNSUPPORTED_MEDIA', async () => {
    const file = path.join(dir, 'bare.srt');
    await writeFile(file, '1\n00:00:01,000 --> 00:00:02,000\nhello\n');
    const error = await probeError(file);
    expect(error.code).toBe('UNSUPPORTED_MEDIA');
    expect(error.message).toMatch(/^The file's container format "srt" is not supported; supported: mov, matroska, /);
  });

  it('rejects a missing file as NOT_MEDIA', async () => {
    const error = await probeError(path.join(dir, 'nope.mp4'));
    expect(error.code).toBe('NOT_MEDIA');
    expect(error.message).toMatch(/No such file or directory/);
  });

  it('throws a plain Error, not an AppError, when ffprobe is missing', async () => {
    const error: unknown = await probeMedia(clip, { ffprobePath: '/nonexistent/ffprobe' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AppError);
    expect((error as Error).message).toMatch(/\/nonexistent\/ffprobe was not found/);
  });

  it('rejects with JOB_ABORTED for an aborted signal', async () => {
    await expect(probeMedia(clip, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'JOB_ABORTED' });
  });
});
