import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { planSubtitleMux, probeMedia, runFfmpeg } from '@mediaflow/media';
import type { FfmpegStep } from './execution-plan';
import { findOperation } from './registry';

const run = promisify(execFile);

/**
 * What a viewer would notice survives a re-encode: colour (range, primaries,
 * transfer, matrix, HDR tone-mapped to SDR), scan type, frame rate and shape.
 * Each row makes its input with FFmpeg (lavfi), runs the operation the way
 * the worker does (registry → plan from a real probe → the plan's FFmpeg
 * step), and checks the output with ffprobe and decoded frames.
 */

// ---------------------------------------------------------------- helpers

async function ffmpeg(args: string[]): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stderr;
}

interface StreamFacts {
  pix_fmt?: string;
  color_range?: string;
  color_primaries?: string;
  color_transfer?: string;
  color_space?: string;
  field_order?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  nb_read_packets?: string;
}

/** The first video stream as ffprobe states it (colour tags are in their raw names). */
async function videoFacts(file: string): Promise<StreamFacts> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=pix_fmt,color_range,color_primaries,color_transfer,color_space,field_order,r_frame_rate,avg_frame_rate,width,height,sample_aspect_ratio,nb_read_packets',
    '-of',
    'json',
    `file:${file}`,
  ]);
  const parsed = JSON.parse(stdout) as { streams: StreamFacts[] };
  return parsed.streams[0] ?? {};
}

/** Presentation times (s) of every video packet, in display order. */
async function frameTimes(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    `file:${file}`,
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .sort((a, b) => a - b);
}

interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * One decoded frame as 8-bit RGB, converted by FFmpeg according to the
 * stream's own range and matrix: what a player shows.
 */
async function decodeFrame(file: string, atSec: number): Promise<RgbFrame> {
  const facts = await videoFacts(file);
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-ss',
      String(atSec),
      '-i',
      `file:${file}`,
      '-frames:v',
      '1',
      '-vf',
      'format=rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return { width: facts.width ?? 0, height: facts.height ?? 0, data: stdout };
}

/** Mean of R, G and B over the middle half of one of `count` equal vertical bars. */
function barLevel(frame: RgbFrame, bar: number, count: number): number {
  const barWidth = frame.width / count;
  const x0 = Math.round(bar * barWidth + barWidth / 4);
  const x1 = Math.round(bar * barWidth + (3 * barWidth) / 4);
  const y0 = Math.round(frame.height / 4);
  const y1 = Math.round((3 * frame.height) / 4);
  let sum = 0;
  let samples = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const at = (y * frame.width + x) * 3;
      sum += frame.data[at] + frame.data[at + 1] + frame.data[at + 2];
      samples += 3;
    }
  }
  return sum / samples;
}

/** Mean R, G and B of the 9x9 block around (x, y). */
function colourAt(frame: RgbFrame, x: number, y: number): number[] {
  const sums = [0, 0, 0];
  for (let dy = -4; dy <= 4; dy += 1) {
    for (let dx = -4; dx <= 4; dx += 1) {
      const at = ((y + dy) * frame.width + (x + dx)) * 3;
      for (let channel = 0; channel < 3; channel += 1) sums[channel] += frame.data[at + channel];
    }
  }
  return sums.map((sum) => sum / 81);
}

async function barLevels(file: string, count: number): Promise<number[]> {
  const frame = await decodeFrame(file, 0.5);
  return Array.from({ length: count }, (_, bar) => barLevel(frame, bar, count));
}

/** The idet filter's multi-frame verdict: how many frames look progressive and how many combed. */
async function interlaceCounts(file: string): Promise<{ progressive: number; interlaced: number }> {
  const stderr = await ffmpeg(['-i', `file:${file}`, '-map', '0:v:0', '-vf', 'idet', '-f', 'null', '-']);
  const match = /Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)/.exec(stderr);
  if (!match) throw new Error(`idet printed no verdict:\n${stderr.slice(-500)}`);
  return { interlaced: Number(match[1]) + Number(match[2]), progressive: Number(match[3]) };
}

/** Grey bars (RGB levels) side by side, `seconds` long at `rate`. */
function greyBars(levels: number[], options: { width?: number; height?: number; rate?: string } = {}): string {
  const { width = 320, height = 240, rate = '25' } = options;
  const barWidth = Math.round(width / levels.length);
  const hex = (level: number): string => level.toString(16).padStart(2, '0').repeat(3);
  const sources = levels.map((level, bar) => `color=c=0x${hex(level)}:s=${barWidth}x${height}:r=${rate}[b${bar}]`);
  return `${sources.join(';')};${levels.map((_, bar) => `[b${bar}]`).join('')}hstack=${levels.length}`;
}

const BT709_TAGS = { color_range: 'tv', color_primaries: 'bt709', color_transfer: 'bt709', color_space: 'bt709' };

// ---------------------------------------------------------------- the table

interface Row {
  name: string;
  /** Input file name (its extension picks the muxer). */
  input: string;
  /** FFmpeg args that write the input, before its output path. */
  make: string[];
  operation: { method_name: string } & Record<string, unknown>;
  check(files: { input: string; output: string }): Promise<void>;
}

const GREYS = [20, 60, 140, 230];
// An SDR black, BT.2408-ish mid-grey (18 % reflectance ≈ level 118) and white, for HDR mastering.
const HDR_BARS = [0, 118, 255];

/** An SDR picture mastered into HDR the way BT.2408 puts SDR white: at 203 cd/m² (PQ) or 75 % (HLG). */
function hdrSource(transfer: 'smpte2084' | 'arib-std-b67'): string[] {
  // prettier-ignore
  return [
    '-f', 'lavfi', '-i', greyBars(HDR_BARS, { width: 288, height: 96 }), '-t', '1',
    '-vf', `zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=${transfer}:m=bt2020nc:p=bt2020:r=tv:npl=203,format=yuv420p10le`,
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error',
    '-color_primaries', 'bt2020', '-color_trc', transfer, '-colorspace', 'bt2020nc', '-color_range', 'tv',
  ];
}

async function expectSdrGreys(output: string): Promise<void> {
  const facts = await videoFacts(output);
  expect(facts).toMatchObject({ pix_fmt: 'yuv420p', ...BT709_TAGS });
  const [black, grey, white] = await barLevels(output, HDR_BARS.length);
  // Not washed out: black stays black, mid-grey where SDR has it (an untouched
  // PQ picture shown as SDR puts it near 100 and white near 150), white bright.
  expect(black).toBeLessThan(10);
  expect(Math.abs(grey - HDR_BARS[1])).toBeLessThanOrEqual(8);
  expect(white).toBeGreaterThan(200);
}

const ROWS: Row[] = [
  {
    name: 'full-range (pc) yuvj420p H.264 keeps its look through compress, tagged limited range',
    input: 'full-range.mp4',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', greyBars(GREYS), '-t', '1', '-vf', 'format=yuvj420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-color_range', 'pc'],
    operation: { method_name: 'compress', params: { crf: 18 } },
    async check({ input, output }) {
      expect(await videoFacts(input)).toMatchObject({ pix_fmt: 'yuvj420p', color_range: 'pc' });
      expect(await videoFacts(output)).toMatchObject({ pix_fmt: 'yuv420p', color_range: 'tv' });
      const before = await barLevels(input, GREYS.length);
      const after = await barLevels(output, GREYS.length);
      before.forEach((level, bar) => expect(Math.abs(after[bar] - level)).toBeLessThanOrEqual(3));
    },
  },
  {
    name: 'full-range VP9 (yuv420p tagged pc) keeps its look through convert_format to MP4',
    input: 'full-range.webm',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', greyBars(GREYS), '-t', '1', '-vf', 'scale=out_range=pc,format=yuv420p', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-color_range', 'pc'],
    operation: { method_name: 'convert_format', output_format: 'mp4' },
    async check({ input, output }) {
      expect(await videoFacts(input)).toMatchObject({ pix_fmt: 'yuv420p', color_range: 'pc' });
      expect(await videoFacts(output)).toMatchObject({ pix_fmt: 'yuv420p', color_range: 'tv' });
      const before = await barLevels(input, GREYS.length);
      const after = await barLevels(output, GREYS.length);
      before.forEach((level, bar) => expect(Math.abs(after[bar] - level)).toBeLessThanOrEqual(3));
    },
  },
  {
    name: 'a BT.709 source comes out tagged BT.709 (resize)',
    input: 'bt709.mp4',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'],
    operation: { method_name: 'resize', params: { width: 160 } },
    async check({ output }) {
      expect(await videoFacts(output)).toMatchObject({ width: 160, height: 120, ...BT709_TAGS });
    },
  },
  {
    name: 'an untagged SD source scaled to HD is tagged BT.601, so players do not switch it to BT.709',
    input: 'untagged-sd.mp4',
    make: [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
    ],
    operation: { method_name: 'resize', params: { height: 720 } },
    async check({ input, output }) {
      expect((await videoFacts(input)).color_space).toBeUndefined();
      expect(await videoFacts(output)).toMatchObject({
        width: 960,
        height: 720,
        color_range: 'tv',
        color_primaries: 'smpte170m',
        color_transfer: 'smpte170m',
        color_space: 'smpte170m',
      });
    },
  },
  {
    name: 'an RGB source (QuickTime Animation, HD) is converted with the BT.709 matrix it is then tagged with',
    input: 'rgb.mov',
    make: ['-f', 'lavfi', '-i', 'smptehdbars=s=1280x720:r=25', '-t', '1', '-c:v', 'qtrle'],
    operation: { method_name: 'compress', params: { crf: 18 } },
    async check({ input, output }) {
      expect(await videoFacts(input)).toMatchObject({ pix_fmt: 'rgb24' });
      expect(await videoFacts(output)).toMatchObject({ pix_fmt: 'yuv420p', ...BT709_TAGS });
      const [before, after] = await Promise.all([decodeFrame(input, 0.5), decodeFrame(output, 0.5)]);
      // The seven top bars. FFmpeg's default RGB→YUV matrix is BT.601, which
      // under a BT.709 tag would move these by up to ~20 levels.
      for (const x of [100, 260, 440, 620, 800, 980, 1160]) {
        const expected = colourAt(before, x, 100);
        colourAt(after, x, 100).forEach((value, channel) =>
          expect(Math.abs(value - expected[channel])).toBeLessThanOrEqual(6),
        );
      }
    },
  },
  {
    name: 'HDR10 (PQ, BT.2020, 10-bit HEVC) → 8-bit BT.709 H.264 whose mid-grey is not washed out (compress)',
    input: 'hdr10.mp4',
    make: hdrSource('smpte2084'),
    operation: { method_name: 'compress', params: { crf: 18 } },
    async check({ input, output }) {
      expect(await videoFacts(input)).toMatchObject({
        pix_fmt: 'yuv420p10le',
        color_transfer: 'smpte2084',
        color_primaries: 'bt2020',
      });
      await expectSdrGreys(output);
    },
  },
  {
    name: 'HLG (BT.2020, 10-bit HEVC) → 8-bit BT.709 VP9, mid-grey kept (grayscale to WebM)',
    input: 'hlg.mp4',
    make: hdrSource('arib-std-b67'),
    operation: { method_name: 'grayscale', output_format: 'webm' },
    async check({ output }) {
      await expectSdrGreys(output);
    },
  },
  {
    name: 'interlaced H.264 in MPEG-TS (top field first) → progressive output without combing (compress)',
    input: 'interlaced-tff.ts',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=50', '-t', '2', '-vf', 'tinterlace=mode=interleave_top,setfield=tff', '-c:v', 'libx264', '-preset', 'ultrafast', '-flags', '+ildct+ilme', '-x264-params', 'tff=1', '-pix_fmt', 'yuv420p'],
    operation: { method_name: 'compress' },
    async check({ input, output }) {
      const source = await interlaceCounts(input);
      expect(source.interlaced).toBeGreaterThan(source.progressive * 4);
      const after = await interlaceCounts(output);
      expect(after.progressive).toBeGreaterThan(after.interlaced * 4);
      // One frame per frame: 25i → 25p, the rate and the frame count kept.
      expect(await videoFacts(output)).toMatchObject({ r_frame_rate: '25/1', nb_read_packets: '50' });
    },
  },
  {
    name: 'interlaced, bottom field first → progressive without combing (resize to WebM)',
    input: 'interlaced-bff.ts',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=50', '-t', '2', '-vf', 'tinterlace=mode=interleave_bottom,setfield=bff', '-c:v', 'libx264', '-preset', 'ultrafast', '-flags', '+ildct+ilme', '-x264-params', 'bff=1', '-pix_fmt', 'yuv420p'],
    operation: { method_name: 'resize', output_format: 'webm', params: { width: 320 } },
    async check({ input, output }) {
      expect(await videoFacts(input)).toMatchObject({ field_order: 'bb' });
      const after = await interlaceCounts(output);
      expect(after.progressive).toBeGreaterThan(after.interlaced * 4);
    },
  },
  {
    name: '23.976 fps (MKV, millisecond timestamps) stays exactly 24000/1001 (resize)',
    input: 'film.mkv',
    make: [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=24000/1001',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
    ],
    operation: { method_name: 'resize', params: { width: 160 } },
    async check({ input, output }) {
      const source = await videoFacts(input);
      expect(await videoFacts(output)).toMatchObject({
        r_frame_rate: '24000/1001',
        avg_frame_rate: '24000/1001',
        nb_read_packets: source.nb_read_packets,
      });
    },
  },
  {
    name: 'variable frame rate (30 fps, then 10 fps) stays variable, each frame at its own time (compress)',
    input: 'vfr.mp4',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30', '-t', '3', '-vf', "select='lt(t,1)+not(mod(n,3))'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    operation: { method_name: 'compress' },
    async check({ input, output }) {
      const before = await frameTimes(input);
      const after = await frameTimes(output);
      expect(before).toHaveLength(50);
      // FFmpeg's MP4 default (constant rate) would have made 88 frames of duplicates.
      expect(after).toHaveLength(before.length);
      after.forEach((time, frame) => expect(Math.abs(time - before[frame])).toBeLessThan(0.002));
    },
  },
  {
    name: 'anamorphic PAL (720x576, SAR 16:15) resized keeps its displayed 4:3 shape in square pixels',
    input: 'anamorphic.mp4',
    // prettier-ignore
    make: ['-f', 'lavfi', '-i', 'testsrc2=s=720x576:r=25', '-t', '1', '-vf', 'setsar=16/15', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    operation: { method_name: 'resize', params: { height: 288 } },
    async check({ output }) {
      const facts = await videoFacts(output);
      expect(facts).toMatchObject({ width: 384, height: 288 });
      expect(['1:1', undefined]).toContain(facts.sample_aspect_ratio);
    },
  },
  {
    name: 'an odd-sized source resized to a width that rounds cleanly keeps its shape within 1 %',
    input: 'odd.mp4',
    make: [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=321x241:r=25',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv444p',
    ],
    operation: { method_name: 'resize', params: { width: 98 } },
    async check({ output }) {
      const facts = await videoFacts(output);
      expect(facts).toMatchObject({ width: 98, height: 74 });
      expect(Math.abs(98 / 74 / (321 / 241) - 1)).toBeLessThan(0.01);
    },
  },
];

describe('faithful picture (real ffmpeg)', () => {
  let dir: string;
  let jobs = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-faithful-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function makeInput(name: string, args: string[]): Promise<string> {
    const input = path.join(dir, name);
    await ffmpeg(['-loglevel', 'error', ...args, `file:${input}`]);
    return input;
  }

  /** The worker's path: parse through the registry, plan from a real probe, run the plan's one FFmpeg step. */
  async function runOperation(input: string, operationInput: Row['operation']): Promise<string> {
    const operation = findOperation(operationInput.method_name);
    if (!operation) throw new Error(`no operation "${operationInput.method_name}"`);
    jobs += 1;
    const workDir = path.join(dir, `job-${jobs}`);
    await mkdir(workDir);
    const plan = operation.plan(operation.parse(operationInput), await probeMedia(input), {
      inputPath: input,
      workDir,
      sourceName: path.basename(input),
      defaults: { whisperModel: 'base' },
    });
    const step = plan.steps[0] as FfmpegStep;
    expect(step.kind).toBe('ffmpeg');
    await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec });
    const primary = plan.outputs.find((output) => output.primary === true);
    if (!primary) throw new Error('the plan has no primary output');
    return path.join(workDir, primary.path);
  }

  it.each(ROWS)(
    '$name',
    async (row) => {
      const input = await makeInput(row.input, row.make);
      const output = await runOperation(input, row.operation);
      await row.check({ input, output });
    },
    120_000,
  );

  it("transcribe's subtitle mux re-encode (interlaced MPEG-2, which MP4 cannot copy) deinterlaces too", async () => {
    // prettier-ignore
    const input = await makeInput('interlaced-mpeg2.ts', [
      '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=50', '-t', '2',
      '-vf', 'tinterlace=mode=interleave_top,setfield=tff',
      '-c:v', 'mpeg2video', '-q:v', '4', '-flags', '+ildct+ilme', '-top', '1',
    ]);
    const subtitlesPath = path.join(dir, 'mux.srt');
    await writeFile(subtitlesPath, '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
    const probe = await probeMedia(input);
    expect(probe.video).toMatchObject({ codec: 'mpeg2video', fieldOrder: 'tt' });
    const outputPath = path.join(dir, 'muxed.mp4');
    const plan = planSubtitleMux(probe, { inputPath: input, outputPath, subtitlesPath }, { language: 'en' });
    await runFfmpeg({ args: plan.args, durationSec: plan.expectedDurationSec });
    const after = await interlaceCounts(outputPath);
    expect(after.progressive).toBeGreaterThan(after.interlaced * 4);
    expect(await videoFacts(outputPath)).toMatchObject({ pix_fmt: 'yuv420p', color_range: 'tv' });
  }, 120_000);

  it.each([
    [
      'width 16 on a 2000x16 strip (was 16x2, squashed 15x)',
      'strip.mp4',
      '2000x16',
      { width: 16 },
      /16x0\.128 px \(16x2 in even pixels\)/,
    ],
    ['the default 1280x720 box on a 2000x16 strip', 'strip-default.mp4', '2000x16', {}, /1280x10\.24 px/],
    [
      'width 100 on 321x241, which even rounding would stretch 1.2 %',
      'odd-100.mp4',
      '321x241',
      { width: 100 },
      /nearest width that works is 98/,
    ],
  ])(
    'refuses %s with RESIZE_IMPOSSIBLE before FFmpeg runs',
    async (_label, name, size, params, message) => {
      // prettier-ignore
      const input = await makeInput(name, ['-f', 'lavfi', '-i', `testsrc2=s=${size}:r=25`, '-t', '0.2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p']);
      const error = await runOperation(input, { method_name: 'resize', params }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ code: 'RESIZE_IMPOSSIBLE', status: 422, retryable: false });
      expect((error as Error).message).toMatch(message);
    },
    60_000,
  );
});
