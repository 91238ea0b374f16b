import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertMediaWithinLimits, probeMedia, runFfmpeg } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import type { ExecutionPlan, FfmpegStep } from './execution-plan';
import { findOperation } from './registry';

const run = promisify(execFile);

/**
 * "Faithful media", the kinds of upload that are not faults of the file but
 * trip naive pipelines: rows named by their kind, each making its input with
 * FFmpeg (lavfi) at test time, running the operation the way the worker does
 * (registry → plan from a real probe that passed the limits → the plan's
 * FFmpeg step) and checking the output with ffprobe.
 *
 * Kinds already rows elsewhere, so not repeated here:
 * - rotation: operations.ffmpeg.test.ts ("keeps a rotated portrait video
 *   upright and portrait", "MP4 → MOV copies and keeps the rotation",
 *   "rotated MP4 → MKV re-encodes so the picture stays upright");
 * - odd sizes (321x241): faithful-picture.ffmpeg.test.ts ("an odd-sized
 *   source resized …", and the RESIZE_IMPOSSIBLE rows);
 * - VFR: faithful-picture.ffmpeg.test.ts ("variable frame rate (30 fps, then
 *   10 fps) stays variable …");
 * - anamorphic PAL (720x576, SAR 16:15): faithful-picture.ffmpeg.test.ts
 *   ("anamorphic PAL … keeps its displayed 4:3 shape in square pixels");
 * - animated GIF: faithful-tracks.ffmpeg.test.ts ("an animated GIF is
 *   accepted as video: compress gives h264", also WebM and grayscale).
 *
 * The rows below are the kinds no FFmpeg test had: cover art (only
 * probe-normalise.test.ts, on a stored ffprobe fixture), sub-second clips,
 * A/V start offsets, Opus in MP4, AV1 and wrong extensions (hostile-media
 * only refuses an AVI named .mp4; here a good file is processed by content).
 */

// ---------------------------------------------------------------- helpers

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

interface RawStream {
  index: number;
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  nb_read_packets?: string;
  disposition?: { attached_pic?: number };
}

/** Every stream as ffprobe states it, packets counted: for what MediaProbe does not carry (covers, frame counts). */
async function rawStreams(file: string): Promise<RawStream[]> {
  // prettier-ignore
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_packets',
    '-show_entries', 'stream=index,codec_type,codec_name,width,height,nb_read_packets:stream_disposition=attached_pic',
    '-of', 'json', `file:${file}`,
  ]);
  return (JSON.parse(stdout) as { streams: RawStream[] }).streams;
}

function firstOfType(streams: readonly RawStream[], type: 'video' | 'audio'): RawStream {
  const stream = streams.find(
    (candidate) => candidate.codec_type === type && candidate.disposition?.attached_pic !== 1,
  );
  if (!stream) throw new Error(`no ${type} stream in ${JSON.stringify(streams)}`);
  return stream;
}

/**
 * Seconds between the first video frame and the first audible sample, on the
 * file's own timeline: what a viewer sees and hears. Measured on decoded
 * audio rather than ffprobe's start_time, which counts AAC's encoder priming
 * (1024 samples, ~21 ms, more with every re-encode) that players trim.
 */
async function audioLeadIn(file: string): Promise<number> {
  const rate = 48_000;
  // -copyts keeps the file's timestamps; aresample pads silence from 0 to where the audio starts.
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-copyts', '-i', `file:${file}`,
    '-map', '0:a:0', '-af', 'aresample=async=1:first_pts=0', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-',
  ], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const samples = new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.byteLength / 2));
  // The tone peaks near 4096 (lavfi sine's 1/8 amplitude); silence and codec noise stay far below 500.
  const onset = samples.findIndex((sample) => Math.abs(sample) > 500);
  if (onset < 0) throw new Error(`${file}: no audible sample`);
  // prettier-ignore
  const { stdout: firstFrame } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1',
    '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', `file:${file}`,
  ]);
  return onset / rate - Number.parseFloat(firstFrame);
}

/** Frames (packets) of the first real video stream. */
async function videoFrames(file: string): Promise<number> {
  return Number(firstOfType(await rawStreams(file), 'video').nb_read_packets);
}

function expectNear(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance);
}

/**
 * The first AV1 encoder this FFmpeg has, with settings fast enough for a
 * 2 s clip; undefined when it has none (the AV1 row is then skipped, with
 * the reason in its name). Synchronous because jest builds the table before
 * any hook runs.
 */
function av1EncoderArgs(): string[] | undefined {
  const encoders = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  const has = (name: string): boolean => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(encoders);
  if (has('libaom-av1')) return ['-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8'];
  if (has('libsvtav1')) return ['-c:v', 'libsvtav1', '-preset', '12'];
  if (has('librav1e')) return ['-c:v', 'librav1e', '-speed', '10'];
  return undefined;
}

// ---------------------------------------------------------------- inputs

/** 320x240 at 25 fps: 2 s is 50 frames. */
const PICTURE = ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25'];
const TONE = ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000'];
/** A 200x200 red still: a size no real video stream here has, so its use would show. */
const COVER = ['-f', 'lavfi', '-i', 'color=c=red:s=200x200:r=1'];
const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
const AV1 = av1EncoderArgs();

// ---------------------------------------------------------------- the table

interface Ran {
  input: string;
  output: string;
  inputProbe: MediaProbe;
  outputProbe: MediaProbe;
  plan: ExecutionPlan;
}

interface Row {
  kind: string;
  name: string;
  /** The upload's file name: its extension is what the uploader called it, not necessarily what it is. */
  input: string;
  /** FFmpeg args that write the input, before its output path. */
  make: string[];
  operation: { method_name: string } & Record<string, unknown>;
  /** What the output must satisfy, beyond the plan's own expectation (checked for every row). */
  check?(ran: Ran): Promise<void> | void;
  /** The operation must be refused before FFmpeg runs, with this code. */
  refused?: string;
  /** Why the row cannot run on this machine. */
  skip?: string;
}

// prettier-ignore
const ROWS: Row[] = [
  {
    kind: 'cover art',
    name: 'an MP4 with a PNG cover (attached_pic) compresses its real video stream, and the cover is left out',
    input: 'cover.mp4',
    make: [
      ...PICTURE, ...TONE, ...COVER, '-t', '2', '-map', '0:v', '-map', '1:a', '-map', '2:v',
      '-c:v:0', 'libx264', '-preset', 'ultrafast', '-pix_fmt:v:0', 'yuv420p', '-c:a', 'aac',
      '-c:v:1', 'png', '-frames:v:1', '1', '-disposition:v:1', 'attached_pic',
    ],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    async check({ input, output, inputProbe, outputProbe }) {
      const source = await rawStreams(input);
      expect(source.map((stream) => [stream.codec_name, stream.disposition?.attached_pic])).toEqual([
        ['h264', 0],
        ['aac', 0],
        ['png', 1],
      ]);
      expect(inputProbe.video?.index).toBe(0);
      const streams = await rawStreams(output);
      // One video stream, from the real 320x240 track: not the 200x200 still, not a 1-frame video of it.
      expect(streams.map((stream) => stream.codec_type)).toEqual(['video', 'audio']);
      expect(outputProbe.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(await videoFrames(output)).toBe(50);
      expectNear(outputProbe.durationSec, 2, 0.1);
    },
  },
  {
    kind: 'cover art',
    name: 'an M4A with a PNG cover gives its audio to extract_audio (MP3), without the picture',
    input: 'song.m4a',
    make: [
      ...TONE, ...COVER, '-t', '2', '-map', '0:a', '-map', '1:v', '-c:a', 'aac',
      '-c:v', 'png', '-frames:v', '1', '-disposition:v', 'attached_pic',
    ],
    operation: { method_name: 'extract_audio', output_format: 'mp3' },
    async check({ inputProbe, output, outputProbe }) {
      // The probe sees an audio file: the cover is not "the video".
      expect(inputProbe.video).toBeUndefined();
      expect(inputProbe.audio?.codec).toBe('aac');
      expect((await rawStreams(output)).map((stream) => stream.codec_name)).toEqual(['mp3']);
      expectNear(outputProbe.durationSec, 2, 0.1);
    },
  },
  {
    kind: 'cover art',
    name: 'the same M4A is refused by compress with NO_VIDEO_STREAM: a cover is not a video',
    input: 'song.m4a',
    make: [
      ...TONE, ...COVER, '-t', '2', '-map', '0:a', '-map', '1:v', '-c:a', 'aac',
      '-c:v', 'png', '-frames:v', '1', '-disposition:v', 'attached_pic',
    ],
    operation: { method_name: 'compress' },
    refused: 'NO_VIDEO_STREAM',
  },
  {
    kind: 'sub-second clip',
    name: 'a 0.4 s clip compresses to a valid 0.4 s MP4 with all 10 frames and its sound',
    input: 'blink.mp4',
    make: [...PICTURE, ...TONE, '-t', '0.4', ...H264, '-c:a', 'aac'],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    async check({ output, outputProbe }) {
      expect(outputProbe.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(outputProbe.audio?.codec).toBe('aac');
      expect(await videoFrames(output)).toBe(10);
      // An AAC frame is 21 ms, so the audio may run a frame past the video.
      expectNear(outputProbe.durationSec, 0.4, 0.05);
    },
  },
  {
    kind: 'sub-second clip',
    name: 'the audio of a 0.4 s clip extracts to a 0.4 s Opus file',
    input: 'blink.mp4',
    make: [...PICTURE, ...TONE, '-t', '0.4', ...H264, '-c:a', 'aac'],
    operation: { method_name: 'extract_audio', output_format: 'opus' },
    check({ outputProbe }) {
      expect(outputProbe.audio?.codec).toBe('opus');
      expectNear(outputProbe.durationSec, 0.4, 0.05);
    },
  },
  {
    kind: 'A/V start offset',
    name: 'audio starting 0.5 s after the video still starts 0.5 s after it when compressed',
    input: 'late-audio.mp4',
    make: [...PICTURE, '-itsoffset', '0.5', ...TONE, '-t', '2', ...H264, '-c:a', 'aac'],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    async check({ input, output }) {
      const before = await audioLeadIn(input);
      expectNear(before, 0.5, 0.05);
      expectNear(await audioLeadIn(output), before, 0.05);
    },
  },
  {
    kind: 'A/V start offset',
    name: 'the same source converted to MKV (streams copied) keeps the 0.5 s too',
    input: 'late-audio.mp4',
    make: [...PICTURE, '-itsoffset', '0.5', ...TONE, '-t', '2', ...H264, '-c:a', 'aac'],
    operation: { method_name: 'convert_format', output_format: 'mkv' },
    async check({ input, output }) {
      expectNear(await audioLeadIn(output), await audioLeadIn(input), 0.05);
    },
  },
  {
    kind: 'Opus in MP4',
    name: 'Opus audio in an MP4 extracts to Opus',
    input: 'opus-in.mp4',
    make: [...PICTURE, ...TONE, '-t', '2', ...H264, '-c:a', 'libopus', '-b:a', '64k'],
    operation: { method_name: 'extract_audio', output_format: 'opus' },
    check({ inputProbe, outputProbe }) {
      expect(inputProbe.formatName).toContain('mp4');
      expect(inputProbe.audio?.codec).toBe('opus');
      expect(outputProbe.formatName).toBe('ogg');
      expect(outputProbe.audio?.codec).toBe('opus');
      expect(outputProbe.video).toBeUndefined();
      expectNear(outputProbe.durationSec, 2, 0.1);
    },
  },
  {
    kind: 'Opus in MP4',
    name: 'Opus audio in an MP4 compresses to H.264 with AAC',
    input: 'opus-in.mp4',
    make: [...PICTURE, ...TONE, '-t', '2', ...H264, '-c:a', 'libopus', '-b:a', '64k'],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    check({ outputProbe }) {
      expect(outputProbe.video?.codec).toBe('h264');
      expect(outputProbe.audio?.codec).toBe('aac');
      expectNear(outputProbe.durationSec, 2, 0.1);
    },
  },
  {
    kind: 'AV1',
    name: 'AV1 video in MP4 compresses to H.264, every frame kept',
    input: 'av1.mp4',
    make: [...PICTURE, ...TONE, '-t', '2', ...(AV1 ?? []), '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    async check({ inputProbe, output, outputProbe }) {
      expect(inputProbe.video?.codec).toBe('av1');
      expect(outputProbe.formatName).toContain('mp4');
      expect(outputProbe.video).toMatchObject({ codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p' });
      expect(outputProbe.audio?.codec).toBe('aac');
      expect(await videoFrames(output)).toBe(50);
    },
    ...(AV1 ? {} : { skip: 'this FFmpeg has no AV1 encoder (libaom-av1, libsvtav1 or librav1e) to make the input' }),
  },
  {
    kind: 'wrong extension',
    name: 'a ".mov" holding Matroska (H.264, Opus) is read by its content and compresses',
    input: 'holiday.mov',
    make: [...PICTURE, ...TONE, '-t', '2', ...H264, '-c:a', 'libopus', '-f', 'matroska'],
    operation: { method_name: 'compress', params: { preset: 'ultrafast' } },
    check({ inputProbe, output, outputProbe }) {
      expect(inputProbe.formatName).toBe('matroska,webm');
      expect(path.basename(output)).toBe('holiday_compress.mp4');
      expect(outputProbe.formatName).toContain('mp4');
      expect(outputProbe.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(outputProbe.audio?.codec).toBe('aac');
      expectNear(outputProbe.durationSec, 2, 0.1);
    },
  },
  {
    kind: 'wrong extension',
    name: 'the same ".mov" converts to MP4 by its content: H.264 copied, Opus (which MP4 is not told to take) to AAC',
    input: 'holiday.mov',
    make: [...PICTURE, ...TONE, '-t', '2', ...H264, '-c:a', 'libopus', '-f', 'matroska'],
    operation: { method_name: 'convert_format', output_format: 'mp4' },
    async check({ plan, output, outputProbe }) {
      const args = plan.steps[0]?.kind === 'ffmpeg' ? plan.steps[0].args : [];
      expect(args[args.indexOf('-c:v') + 1]).toBe('copy');
      expect(await videoFrames(output)).toBe(50);
      expect(outputProbe.formatName).toContain('mp4');
      expect(outputProbe.video?.codec).toBe('h264');
      expect(outputProbe.audio?.codec).toBe('aac');
    },
  },
];

// ---------------------------------------------------------------- running the rows

describe('faithful media kinds (real ffmpeg)', () => {
  let dir: string;
  let jobs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-kinds-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The worker's path: probe, pass the limits, parse and plan through the
   * registry in a fresh work directory, run the plan's FFmpeg steps.
   */
  async function runOperation(input: string, operationInput: Row['operation']): Promise<Ran> {
    const operation = findOperation(operationInput.method_name);
    if (!operation) throw new Error(`no operation "${operationInput.method_name}"`);
    jobs += 1;
    const workDir = path.join(dir, `job-${jobs}`);
    await mkdir(workDir);
    const inputProbe = await probeMedia(input);
    assertMediaWithinLimits(inputProbe);
    const plan = operation.plan(operation.parse(operationInput), inputProbe, {
      inputPath: input,
      workDir,
      sourceName: path.basename(input),
      defaults: { whisperModel: 'base' },
    });
    for (const step of plan.steps.filter((candidate): candidate is FfmpegStep => candidate.kind === 'ffmpeg')) {
      await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec });
    }
    const primary = plan.outputs.find((output) => output.primary === true);
    if (!primary) throw new Error('the plan has no primary output');
    const output = path.join(workDir, primary.path);
    return { input, output, inputProbe, outputProbe: await probeMedia(output), plan };
  }

  /**
   * What the worker checks before it may complete a job (verifyOutputs):
   * the streams the plan expects hold data, and the packets last the
   * expected duration within its tolerance.
   */
  function expectPlanMet({ plan, outputProbe }: Ran): void {
    const expectation = plan.outputs.find((output) => output.primary === true)?.expect;
    for (const kind of expectation?.streams ?? []) {
      if (kind === 'subtitle') continue;
      const stream = kind === 'video' ? outputProbe.video : outputProbe.audio;
      expect([kind, stream !== undefined]).toEqual([kind, true]);
      expect(outputProbe.emptyStreams ?? []).toEqual([]);
    }
    if (expectation?.durationSec !== undefined) {
      const measured = outputProbe.extent?.measuredSec ?? outputProbe.durationSec;
      expectNear(measured, expectation.durationSec, expectation.toleranceSec ?? 0);
    }
  }

  const runnable = ROWS.filter((row) => row.skip === undefined);
  const skipped = ROWS.filter((row) => row.skip !== undefined);

  it.each(runnable)(
    '$kind: $name',
    async (row) => {
      jobs += 1;
      const input = path.join(dir, `source-${jobs}`, row.input);
      await mkdir(path.dirname(input));
      await ffmpeg([...row.make, `file:${input}`]);
      if (row.refused !== undefined) {
        await expect(runOperation(input, row.operation)).rejects.toMatchObject({ code: row.refused, status: 422 });
        return;
      }
      const ran = await runOperation(input, row.operation);
      expectPlanMet(ran);
      await row.check?.(ran);
    },
    60_000,
  );

  if (skipped.length > 0) {
    it.skip.each(skipped)('$kind: $name (skipped: $skip)', () => undefined);
  }
});
