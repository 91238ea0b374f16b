import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseMediaPlaylist, probeMedia, runFfmpeg } from '@mediaflow/media';
import type { MediaPlaylist, MediaProbe } from '@mediaflow/media';
import { makeTestClip } from '../../../../test/support/media-clips';
import { makeClip } from '../../../../test/support/media-fixtures';
import { runFinaliseHlsStep } from '../../../../services/worker/src/steps/finalise-hls-step';
import type { ExecutionPlan, FinaliseHlsStep } from '../execution-plan';
import { adaptiveStream } from './index';

const run = promisify(execFile);

// adaptive_stream end to end on the real FFmpeg: plan from a real probe, run
// every step the way the worker does (FFmpeg in the work directory, then the
// finalise and write steps), then inspect the package with ffprobe. Sources
// are small lavfi clips made here; the plan's real presets are kept.
describe('adaptive_stream (real ffmpeg)', () => {
  let dir: string;
  let jobs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-abr-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface Job {
    workDir: string;
    plan: ExecutionPlan;
    probe: MediaProbe;
    stream: string;
    finalise?: FinaliseHlsStep;
  }

  async function runJob(input: string, params: Record<string, unknown> = {}): Promise<Job> {
    jobs += 1;
    const workDir = path.join(dir, `job-${jobs}`);
    await mkdir(workDir);
    const probe = await probeMedia(input);
    const operation = adaptiveStream.parse({ method_name: 'adaptive_stream', params });
    const plan = adaptiveStream.plan(operation, probe, {
      inputPath: input,
      workDir,
      sourceName: path.basename(input),
      defaults: { whisperModel: 'base' },
    });
    for (const step of plan.steps) {
      if (step.kind === 'ffmpeg') {
        for (const created of step.createDirs ?? []) await mkdir(path.join(workDir, created), { recursive: true });
        await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec, cwd: workDir });
      } else if (step.kind === 'finalise_hls') {
        await runFinaliseHlsStep(step, workDir);
      } else if (step.kind === 'write_text') {
        await mkdir(path.dirname(path.join(workDir, step.path)), { recursive: true });
        await writeFile(path.join(workDir, step.path), step.content, 'utf8');
      } else {
        throw new Error(`unexpected step kind ${step.kind}`);
      }
    }
    const finalise = plan.steps.find((step): step is FinaliseHlsStep => step.kind === 'finalise_hls');
    return { workDir, plan, probe, stream: path.join(workDir, 'stream'), ...(finalise ? { finalise } : {}) };
  }

  async function ffprobeJson(args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  interface StreamInfo {
    codec_name: string;
    codec_type: string;
    width?: number;
    height?: number;
    profile?: string;
    level?: number;
  }

  async function streamsOf(file: string, extra: string[] = []): Promise<StreamInfo[]> {
    const json = await ffprobeJson([...extra, '-show_streams', file]);
    return json.streams as StreamInfo[];
  }

  async function readPlaylist(job: Job, name: string): Promise<{ text: string; parsed: MediaPlaylist }> {
    const text = await readFile(path.join(job.stream, name), 'utf8');
    return { text, parsed: parseMediaPlaylist(text) };
  }

  /** Every segment of a rendition decoded from its init segment: the first frame must be a keyframe. */
  async function expectSegmentsStartWithKeyframes(job: Job, playlist: MediaPlaylist): Promise<StreamInfo> {
    const init = await readFile(path.join(job.stream, playlist.mapUri!));
    let stream: StreamInfo | undefined;
    for (const segment of playlist.segments) {
      const joined = path.join(job.workDir, `check-${segment.uri}.mp4`);
      await writeFile(joined, Buffer.concat([init, await readFile(path.join(job.stream, segment.uri))]));
      const json = await ffprobeJson([
        '-select_streams',
        'v:0',
        '-show_frames',
        '-read_intervals',
        '%+#1',
        '-show_entries',
        'frame=pict_type,key_frame',
        joined,
      ]);
      const frames = json.frames as { pict_type: string; key_frame: number }[];
      const first = { segment: segment.uri, pictType: frames[0]?.pict_type, keyFrame: frames[0]?.key_frame };
      expect(first).toEqual({ segment: segment.uri, pictType: 'I', keyFrame: 1 });
      stream ??= (await streamsOf(joined))[0];
      await rm(joined);
    }
    return stream!;
  }

  /** The number of segments per representation the MPD's SegmentTimelines list. */
  async function mpdSegmentCounts(job: Job): Promise<number[]> {
    const mpd = await readFile(path.join(job.stream, 'manifest.mpd'), 'utf8');
    return mpd
      .split('<Representation ')
      .slice(1)
      .map((representation) =>
        [...representation.matchAll(/<S [^>]*\/>/g)].reduce(
          (sum, [element]) => sum + 1 + Number(/ r="(\d+)"/.exec(element)?.[1] ?? 0),
          0,
        ),
      );
  }

  async function segmentFilesOf(job: Job, representation: number): Promise<string[]> {
    return (await readdir(job.stream)).filter((file) => file.startsWith(`seg-${representation}-`));
  }

  /** Every media playlist's target duration is the same and no EXTINF (rounded) exceeds it. */
  async function expectCommonTarget(job: Job): Promise<number> {
    const names = [
      ...job.finalise!.variants.map((variant) => variant.playlist),
      ...(job.finalise!.audio ? [job.finalise!.audio.playlist] : []),
    ];
    const playlists = await Promise.all(names.map(async (name) => (await readPlaylist(job, name)).parsed));
    const targets = new Set(playlists.map((playlist) => playlist.targetDuration));
    expect(targets.size).toBe(1);
    const [target] = [...targets];
    for (const playlist of playlists) {
      for (const segment of playlist.segments) expect(Math.round(segment.durationSec)).toBeLessThanOrEqual(target!);
      for (const segment of playlist.segments) expect(segment.durationSec).toBeLessThanOrEqual(target!);
    }
    return target!;
  }

  async function expectManifestsReadable(job: Job, expected: { video: number; audio: number }): Promise<void> {
    const count = (streams: StreamInfo[], type: string): number => streams.filter((s) => s.codec_type === type).length;
    const hls = await streamsOf(path.join(job.stream, 'master.m3u8'), ['-protocol_whitelist', 'file']);
    const dash = await streamsOf(path.join(job.stream, 'manifest.mpd'));
    for (const streams of [hls, dash]) {
      expect(count(streams, 'video')).toBeGreaterThanOrEqual(expected.video);
      expect(count(streams, 'audio')).toBeGreaterThanOrEqual(expected.audio);
    }
    if (expected.video === 0) expect(count(dash, 'video') + count(hls, 'video')).toBe(0);
    if (expected.audio === 0) expect(count(dash, 'audio') + count(hls, 'audio')).toBe(0);
  }

  async function meanLuma(file: string, crop?: string): Promise<number> {
    const { stdout } = await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      `file:${file}`,
      '-vf',
      `${crop ? `${crop},` : ''}signalstats,metadata=print:file=-`,
      '-f',
      'null',
      '-',
    ]);
    const match = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(stdout);
    if (!match) throw new Error('signalstats printed no YAVG');
    return Number(match[1]);
  }

  it('23.976 fps landscape with audio: aligned keyframes, one target, counts agree, measured master, stills', async () => {
    const input = await makeTestClip(dir, 'film.mp4', {
      width: 640,
      height: 360,
      seconds: 10,
      extraArgs: ['-r', '24000/1001'],
    });
    const job = await runJob(input);

    expect(job.plan.outputs).toEqual([
      { kind: 'hls', path: 'stream/master.m3u8', contentType: 'application/vnd.apple.mpegurl', primary: true },
      { kind: 'dash', path: 'stream/manifest.mpd', contentType: 'application/dash+xml' },
      { kind: 'package', path: 'stream/', contentType: 'inode/directory' },
      { kind: 'poster', path: 'poster.jpg', contentType: 'image/jpeg' },
      { kind: 'storyboard', path: 'storyboard/storyboard.vtt', contentType: 'text/vtt' },
      { kind: 'storyboard_image', path: 'storyboard/sprite.jpg', contentType: 'image/jpeg' },
    ]);

    // The ladder: 360 and 240 (nothing above the source), even sizes.
    const variants = job.finalise!.variants;
    expect(variants.map((v) => `${v.width}x${v.height}`)).toEqual(['640x360', '426x240']);
    const files = await readdir(job.stream);
    expect(files.some((file) => file.includes('film'))).toBe(false);

    const counts = await mpdSegmentCounts(job);
    for (const [i, variant] of variants.entries()) {
      const { parsed, text } = await readPlaylist(job, variant.playlist);
      expect(text).not.toContain('PROGRAM-DATE-TIME');
      const stream = await expectSegmentsStartWithKeyframes(job, parsed);
      expect(stream).toMatchObject({
        codec_name: 'h264',
        width: variant.width,
        height: variant.height,
        profile: 'High',
      });
      expect((stream.width! % 2) + (stream.height! % 2)).toBe(0);
      // The level the CODECS string states is the level encoded.
      expect(Number(stream.level)).toBe(parseInt(variant.videoCodec.slice(-2), 16));
      // 10 s in 4 s segments: 3, and the playlist, the MPD and the disk agree.
      expect(parsed.segments).toHaveLength(3);
      expect((await segmentFilesOf(job, i)).sort()).toEqual(parsed.segments.map((s) => s.uri).sort());
      expect(counts[i]).toBe(parsed.segments.length);
    }
    const audioPlaylist = (await readPlaylist(job, job.finalise!.audio!.playlist)).parsed;
    expect(counts[variants.length]).toBe(audioPlaylist.segments.length);
    expect(await segmentFilesOf(job, variants.length)).toHaveLength(audioPlaylist.segments.length);
    // Boundaries line up across renditions: same EXTINFs.
    const durations = await Promise.all(
      variants.map(async (v) => (await readPlaylist(job, v.playlist)).parsed.segments.map((s) => s.durationSec)),
    );
    expect(durations[1]).toEqual(durations[0]);

    const target = await expectCommonTarget(job);
    expect(target).toBe(5);

    const master = await readFile(path.join(job.stream, 'master.m3u8'), 'utf8');
    expect(master).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*CHANNELS="1",URI="media_2.m3u8"/);
    const infs = master.split('\n').filter((line) => line.startsWith('#EXT-X-STREAM-INF:'));
    expect(infs).toHaveLength(2);
    for (const [i, inf] of infs.entries()) {
      expect(inf).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,/);
      expect(inf).toContain(`CODECS="${variants[i].videoCodec},mp4a.40.2"`);
      expect(inf).toContain(`RESOLUTION=${variants[i].width}x${variants[i].height}`);
      expect(inf).toContain('FRAME-RATE=23.976');
      expect(inf).toContain('AUDIO="audio"');
      const peak = Number(/BANDWIDTH=(\d+)/.exec(inf)![1]);
      const average = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(inf)![1]);
      expect(peak).toBeGreaterThanOrEqual(average);
    }
    await expectManifestsReadable(job, { video: 1, audio: 1 });

    // Poster: display size, not black. Sprite: the VTT's geometry, its last tile filled.
    const [poster] = await streamsOf(path.join(job.workDir, 'poster.jpg'));
    expect(poster).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });
    expect(await meanLuma(path.join(job.workDir, 'poster.jpg'))).toBeGreaterThan(40);
    const vtt = await readFile(path.join(job.workDir, 'storyboard/storyboard.vtt'), 'utf8');
    const tiles = [...vtt.matchAll(/sprite\.jpg#xywh=(\d+),(\d+),(\d+),(\d+)/g)].map((m) => m.slice(1).map(Number));
    expect(tiles).toHaveLength(10);
    const [sprite] = await streamsOf(path.join(job.workDir, 'storyboard/sprite.jpg'));
    expect(sprite.width).toBe(Math.max(...tiles.map(([x, , w]) => x + w)));
    expect(sprite.height).toBe(Math.max(...tiles.map(([, y, , h]) => y + h)));
    const [x, y, w, h] = tiles.at(-1)!;
    expect(await meanLuma(path.join(job.workDir, 'storyboard/sprite.jpg'), `crop=${w}:${h}:${x}:${y}`)).toBeGreaterThan(
      40,
    );
    expect(vtt).toMatch(/00:00:09\.000 --> 00:00:10\.\d{3}\n/);
  }, 180_000);

  it.each([
    ['portrait pixels', { width: 180, height: 320 }],
    ['a 90° display rotation', { width: 320, height: 180, rotation: 90 }],
  ])(
    'portrait via %s: portrait renditions and poster, short side laddered',
    async (_name, clip) => {
      const input = await makeTestClip(dir, `portrait-${jobs}.mp4`, { ...clip, seconds: 5 });
      const job = await runJob(input, { renditions: [240, 144], segment_seconds: 2 });
      const variants = job.finalise!.variants;
      // 180 lies between the rungs 240 and 144: it becomes the top rung.
      expect(variants.map((v) => `${v.width}x${v.height}`)).toEqual(['180x320', '144x256']);
      for (const variant of variants) {
        const stream = await expectSegmentsStartWithKeyframes(job, (await readPlaylist(job, variant.playlist)).parsed);
        expect(stream).toMatchObject({ width: variant.width, height: variant.height });
      }
      await expectCommonTarget(job);
      const [poster] = await streamsOf(path.join(job.workDir, 'poster.jpg'));
      expect(poster).toMatchObject({ width: 180, height: 320 });
      await expectManifestsReadable(job, { video: 1, audio: 1 });
    },
    120_000,
  );

  it('audio-only source: an audio-only HLS + DASH package, no stills', async () => {
    const input = path.join(dir, 'voice.m4a');
    await makeClip(input, { video: false, seconds: 6 });
    const job = await runJob(input);
    expect(job.plan.outputs.map((o) => o.kind)).toEqual(['hls', 'dash', 'package']);
    expect(job.finalise!.variants).toEqual([]);
    const master = await readFile(path.join(job.stream, 'master.m3u8'), 'utf8');
    expect(master).toContain('#EXT-X-STREAM-INF:');
    expect(master).toContain('CODECS="mp4a.40.2"');
    expect(master).not.toContain('RESOLUTION');
    expect(master).not.toContain('EXT-X-MEDIA');
    await expectCommonTarget(job);
    await expectManifestsReadable(job, { video: 0, audio: 1 });
  }, 120_000);

  it('video without audio: no audio group', async () => {
    const input = await makeTestClip(dir, 'silent.mp4', { width: 320, height: 180, seconds: 5, audio: false });
    const job = await runJob(input, { poster: false, storyboard: false });
    expect(job.plan.outputs.map((o) => o.kind)).toEqual(['hls', 'dash', 'package']);
    const master = await readFile(path.join(job.stream, 'master.m3u8'), 'utf8');
    expect(master).not.toContain('EXT-X-MEDIA');
    expect(master).not.toContain('AUDIO=');
    expect(master).toContain('CODECS="avc1.64001e"');
    await expectCommonTarget(job);
    await expectManifestsReadable(job, { video: 1, audio: 0 });
  }, 120_000);
});
