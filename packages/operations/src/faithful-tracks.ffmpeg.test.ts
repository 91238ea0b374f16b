import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { STANDARD_LAYOUTS, assertMediaWithinLimits, channelLayoutFor, probeMedia, runFfmpeg } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import type { ExecutionPlan, FfmpegStep } from './execution-plan';
import { findOperation } from './registry';

const run = promisify(execFile);

/**
 * Tracks survive: the audio track a player would pick (or the job's
 * audio_track) is the one used; a conversion keeps every track with its
 * labels, lossless audio and timecode; every channel layout encodes; DTS,
 * FFV1 and animated GIF are accepted. Each row makes its input with FFmpeg
 * (lavfi) at test time, runs the operation the way the worker does
 * (registry → plan from a real probe that passed the limits → the plan's
 * FFmpeg steps), and checks the output with ffprobe and decoded samples:
 * which track was used is told by its tone (commentary 300 Hz, main 1000 Hz).
 */

// ---------------------------------------------------------------- helpers

const COMMENTARY_HZ = 300;
const MAIN_HZ = 1000;

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * The tone of one audio track: decode it to 16 kHz mono 16-bit PCM and count
 * zero crossings (two per period) over the middle of the clip, away from
 * encoder priming and fades.
 */
async function dominantHz(file: string, audioTrack = 0): Promise<number> {
  const rate = 16_000;
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      `file:${file}`,
      '-map',
      `0:a:${audioTrack}`,
      '-ac',
      '1',
      '-ar',
      String(rate),
      '-f',
      's16le',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const samples = new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.byteLength / 2));
  const from = Math.floor(samples.length * 0.2);
  const to = Math.floor(samples.length * 0.8);
  let crossings = 0;
  for (let i = from + 1; i < to; i += 1) {
    if ((samples[i - 1] ?? 0) < 0 !== (samples[i] ?? 0) < 0) crossings += 1;
  }
  return crossings / 2 / ((to - from) / rate);
}

interface RawStream {
  index: number;
  codec_type: string;
  codec_name?: string;
  codec_tag_string?: string;
  channels?: number;
  channel_layout?: string;
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
}

/** Every stream as ffprobe states it, for what MediaProbe does not carry (data tracks, handler names). */
async function rawStreams(file: string): Promise<RawStream[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', `file:${file}`]);
  return (JSON.parse(stdout) as { streams: RawStream[] }).streams;
}

/** A tone as one lavfi input. */
const tone = (hz: number): string[] => ['-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=48000`];
/** The same tone on every channel of a layout, as one lavfi input. */
const layoutTone = (layout: string, hz = 440): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=${hz}:sample_rate=48000,aformat=channel_layouts=${layout}`,
];
const picture = (size = '320x240', rate = 25): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`];

// ---------------------------------------------------------------- running operations

describe('faithful tracks (real ffmpeg)', () => {
  let dir: string;
  let jobs = 0;
  const inputs: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-tracks-'));
    const at = (name: string): string => path.join(dir, name);
    const srt = at('subs.srt');
    await writeFile(
      srt,
      '1\n00:00:00,500 --> 00:00:01,500\nHello there\n\n2\n00:00:01,600 --> 00:00:02,500\nGeneral Kenobi\n',
    );
    await Promise.all([
      // A movie rip: commentary first but not default, the main track second and default, English SRT.
      ffmpeg([
        ...picture(),
        ...tone(COMMENTARY_HZ),
        ...tone(MAIN_HZ),
        '-i',
        `file:${srt}`,
        '-t',
        '3',
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-map',
        '2:a',
        '-map',
        '3:s',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-c:s',
        'srt',
        '-metadata:s:a:0',
        'language=eng',
        '-metadata:s:a:0',
        'title=Commentary',
        '-metadata:s:a:1',
        'language=fre',
        '-metadata:s:a:1',
        'title=Principal',
        '-metadata:s:s:0',
        'language=eng',
        '-disposition:v:0',
        'default',
        '-disposition:a:0',
        '0',
        '-disposition:a:1',
        'default',
        '-disposition:s:0',
        '0',
        `file:${(inputs.movieRip = at('movie-rip.mkv'))}`,
      ]),
      // An editor's master: ProRes, 24-bit PCM, a timecode track.
      ffmpeg([
        ...picture(),
        ...tone(MAIN_HZ),
        '-t',
        '2',
        '-c:v',
        'prores_ks',
        '-profile:v',
        '0',
        '-c:a',
        'pcm_s24le',
        '-ac',
        '2',
        '-timecode',
        '01:00:00:00',
        `file:${(inputs.master = at('master.mov'))}`,
      ]),
      // A film with 5.1(side) FLAC (side rather than back surrounds).
      ffmpeg([
        ...picture(),
        ...layoutTone('5.1(side)', MAIN_HZ),
        '-t',
        '2',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'flac',
        `file:${(inputs.side51 = at('side51.mkv'))}`,
      ]),
      // An archival rip: FFV1 video and DTS 5.1 (FFmpeg's DTS encoder is experimental).
      ffmpeg([
        ...picture('160x120'),
        ...layoutTone('5.1', MAIN_HZ),
        '-t',
        '2',
        '-c:v',
        'ffv1',
        '-c:a',
        'dca',
        '-strict',
        '-2',
        `file:${(inputs.dtsFfv1 = at('dts-ffv1.mkv'))}`,
      ]),
      // An animated GIF: 2 s at 10 fps.
      ffmpeg([...picture('160x120', 10), '-t', '2', '-f', 'gif', `file:${(inputs.gif = at('animation.gif'))}`]),
    ]);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface Planned {
    plan: ExecutionPlan;
    /** The input's probe, which passed the worker's limits. */
    input: MediaProbe;
    /** The argv of the first FFmpeg step run. */
    args: string[];
    workDir: string;
  }

  /**
   * Parse through the registry, probe and check the input as the worker does,
   * plan, and run the plan's FFmpeg steps (only those, or the named ones: no
   * speech recognition here).
   */
  async function runPlan(
    input: string,
    operationInput: { method_name: string } & Record<string, unknown>,
    stepIds?: readonly string[],
  ): Promise<Planned> {
    const operation = findOperation(operationInput.method_name);
    if (!operation) throw new Error(`no operation "${operationInput.method_name}"`);
    jobs += 1;
    const workDir = path.join(dir, `job-${jobs}`);
    await mkdir(workDir);
    const probe = await probeMedia(input);
    assertMediaWithinLimits(probe);
    const plan = operation.plan(operation.parse(operationInput), probe, {
      inputPath: input,
      workDir,
      sourceName: path.basename(input),
      defaults: { whisperModel: 'base' },
    });
    const steps = plan.steps.filter(
      (step): step is FfmpegStep => step.kind === 'ffmpeg' && (!stepIds || stepIds.includes(step.id)),
    );
    for (const step of steps) {
      for (const created of step.createDirs ?? []) await mkdir(path.join(workDir, created), { recursive: true });
      await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec });
    }
    return { plan, input: probe, args: steps[0]?.args ?? [], workDir };
  }

  interface Ran extends Planned {
    outputPath: string;
    output: MediaProbe;
  }

  /** runPlan, then probe the primary output (or the file `outputOf` names). */
  async function runOperation(
    input: string,
    operationInput: { method_name: string } & Record<string, unknown>,
    options: { outputOf?: (plan: ExecutionPlan) => string; steps?: readonly string[] } = {},
  ): Promise<Ran> {
    const planned = await runPlan(input, operationInput, options.steps);
    const relative = options.outputOf
      ? options.outputOf(planned.plan)
      : (planned.plan.outputs.find((output) => output.primary === true)?.path ?? '');
    const outputPath = path.join(planned.workDir, relative);
    return { ...planned, outputPath, output: await probeMedia(outputPath) };
  }

  function expectHz(measured: number, expected: number): void {
    expect(Math.abs(measured - expected)).toBeLessThan(expected * 0.03);
  }

  // ---------------------------------------------------------------- which track

  describe('the audio track a player would pick, or the one the job names', () => {
    it('the probe lists both tracks and picks the default one, though it comes second', async () => {
      const probe = await probeMedia(inputs.movieRip ?? '');
      expect(probe.audioStreams?.map((track) => [track.language, track.title, track.isDefault === true])).toEqual([
        ['eng', 'Commentary', false],
        ['fre', 'Principal', true],
      ]);
      expect(probe.audio?.index).toBe(2);
      expect(probe.subtitleStreams).toEqual([{ index: 3, codec: 'subrip', language: 'eng' }]);
    });

    type Row = [what: string, hz: number, request: { method_name: string } & Record<string, unknown>];
    const rows: Row[] = [
      ['compress', MAIN_HZ, { method_name: 'compress', params: { crf: 35 } }],
      ['extract_audio', MAIN_HZ, { method_name: 'extract_audio', output_format: 'mp3' }],
      ['resize', MAIN_HZ, { method_name: 'resize', params: { width: 160 } }],
      ['grayscale', MAIN_HZ, { method_name: 'grayscale' }],
      ['extract_audio, audio_track 0', COMMENTARY_HZ, { method_name: 'extract_audio', params: { audio_track: 0 } }],
      ['extract_audio, audio_track 1', MAIN_HZ, { method_name: 'extract_audio', params: { audio_track: 1 } }],
      [
        "extract_audio, audio_track 'fra' (the file says 'fre')",
        MAIN_HZ,
        { method_name: 'extract_audio', output_format: 'opus', params: { audio_track: 'fra' } },
      ],
      ["compress, audio_track 'eng'", COMMENTARY_HZ, { method_name: 'compress', params: { audio_track: 'eng' } }],
      [
        "resize, audio_track 'en'",
        COMMENTARY_HZ,
        { method_name: 'resize', output_format: 'webm', params: { height: 120, audio_track: 'en' } },
      ],
      [
        'grayscale, audio_track 0',
        COMMENTARY_HZ,
        { method_name: 'grayscale', output_format: 'mkv', params: { audio_track: 0 } },
      ],
    ];

    it.each(rows)('%s uses the %i Hz track', async (_what, hz, request) => {
      const { output, outputPath } = await runOperation(inputs.movieRip ?? '', request);
      expect(output.audioStreams).toHaveLength(1);
      expectHz(await dominantHz(outputPath), hz);
    });

    it.each([
      [undefined, MAIN_HZ],
      [0, COMMENTARY_HZ],
      ['fra', MAIN_HZ],
    ] as const)('transcribe (audio_track %j) hears the %s Hz track', async (audioTrack, hz) => {
      const params = audioTrack === undefined ? {} : { audio_track: audioTrack };
      const { plan, outputPath, output } = await runOperation(
        inputs.movieRip ?? '',
        { method_name: 'transcribe', params },
        { steps: ['extract-audio'], outputOf: () => 'transcription-audio.wav' },
      );
      expect(output.audio).toMatchObject({ codec: 'pcm_s16le', channels: 1, sampleRate: 16_000 });
      expectHz(await dominantHz(outputPath), hz);
      // The subtitled copy is muxed with the same track (the step carries it when the job chose one).
      const mux = plan.steps.find((step) => step.kind === 'mux_subtitles');
      expect(mux && 'audioStreamIndex' in mux ? mux.audioStreamIndex : undefined).toBe(
        audioTrack === 0 ? 1 : audioTrack === 'fra' ? 2 : undefined,
      );
    });

    it("adaptive_stream (audio_track 'eng') packages the commentary", async () => {
      const { plan, workDir } = await runPlan(inputs.movieRip ?? '', {
        method_name: 'adaptive_stream',
        params: {
          renditions: [144],
          segment_seconds: 2,
          poster: false,
          storyboard: false,
          formats: ['dash'],
          audio_track: 'eng',
        },
      });
      // The DASH manifest references the CMAF segments as they are, so FFmpeg reads the package through it.
      const manifest = plan.outputs.find((output) => output.kind === 'dash')?.path ?? '';
      expectHz(await dominantHz(path.join(workDir, manifest)), COMMENTARY_HZ);
    }, 60_000);

    it.each([
      [5, 'compress'],
      ['deu', 'extract_audio'],
    ] as const)(
      'audio_track %j on a file without it: AUDIO_TRACK_NOT_FOUND before FFmpeg runs',
      async (audioTrack, name) => {
        await expect(
          runOperation(inputs.movieRip ?? '', { method_name: name, params: { audio_track: audioTrack } }),
        ).rejects.toMatchObject({ code: 'AUDIO_TRACK_NOT_FOUND', status: 422 });
      },
    );
  });

  // ---------------------------------------------------------------- conversions keep tracks

  describe('a conversion keeps every track the container can hold', () => {
    it('MKV → MKV: both audio tracks, the subtitle, languages, titles and default flags', async () => {
      const { output, outputPath, plan } = await runOperation(inputs.movieRip ?? '', {
        method_name: 'convert_format',
        output_format: 'mkv',
      });
      expect(plan.warnings).toBeUndefined();
      expect(
        output.audioStreams?.map((track) => [track.codec, track.language, track.title, track.isDefault === true]),
      ).toEqual([
        ['aac', 'eng', 'Commentary', false],
        ['aac', 'fre', 'Principal', true],
      ]);
      expect(output.subtitleStreams).toEqual([{ index: 3, codec: 'subrip', language: 'eng' }]);
      expect(output.video?.codec).toBe('h264');
      expectHz(await dominantHz(outputPath, 0), COMMENTARY_HZ);
      expectHz(await dominantHz(outputPath, 1), MAIN_HZ);
    });

    it('MKV → MKV with audio_track 0: the commentary becomes the default', async () => {
      const { output } = await runOperation(inputs.movieRip ?? '', {
        method_name: 'convert_format',
        output_format: 'mkv',
        params: { audio_track: 0 },
      });
      expect(output.audioStreams?.map((track) => track.isDefault === true)).toEqual([true, false]);
      expect(output.audio?.title).toBe('Commentary');
    });

    it.each([
      ['mp4', 'mov_text'],
      ['webm', 'webvtt'],
    ] as const)(
      'MKV → %s: both audio tracks, the SRT as %s, languages and the default flag',
      async (container, subtitleCodec) => {
        const { output, outputPath } = await runOperation(inputs.movieRip ?? '', {
          method_name: 'convert_format',
          output_format: container,
        });
        expect(output.audioStreams?.map((track) => [track.language, track.isDefault === true])).toEqual([
          ['eng', false],
          ['fre', true],
        ]);
        expect(output.subtitleStreams?.map((track) => [track.codec, track.language])).toEqual([[subtitleCodec, 'eng']]);
        // MP4 has no title field; the handler name carries it.
        if (container === 'mp4') {
          const handlers = (await rawStreams(outputPath))
            .filter((s) => s.codec_type === 'audio')
            .map((s) => s.tags?.handler_name);
          expect(handlers).toEqual(['Commentary', 'Principal']);
        }
        expectHz(await dominantHz(outputPath, 1), MAIN_HZ);
      },
    );

    it('MOV → MOV: 24-bit PCM stays 24-bit PCM, and the timecode track stays', async () => {
      const { output, outputPath, args } = await runOperation(inputs.master ?? '', {
        method_name: 'convert_format',
        output_format: 'mov',
      });
      expect(args[args.indexOf('-c:a') + 1]).toBe('copy');
      expect(output.video?.codec).toBe('prores');
      expect(output.audio).toMatchObject({ codec: 'pcm_s24le', channels: 2 });
      expect(output.timecode).toBe('01:00:00:00');
      const tmcd = (await rawStreams(outputPath)).filter((s) => s.codec_tag_string === 'tmcd');
      expect(tmcd).toHaveLength(1);
      expect(tmcd[0]?.tags?.timecode).toBe('01:00:00:00');
      expectHz(await dominantHz(outputPath), MAIN_HZ);
    });

    it.each([
      ['mkv', 'pcm_s24le'],
      ['mp4', 'aac'],
    ] as const)('MOV → %s: %s audio and the timecode', async (container, audioCodec) => {
      const { output } = await runOperation(inputs.master ?? '', {
        method_name: 'convert_format',
        output_format: container,
      });
      expect(output.audio?.codec).toBe(audioCodec);
      expect(output.timecode).toBe('01:00:00:00');
    });
  });

  // ---------------------------------------------------------------- channel layouts

  describe('channel layouts: 5.1(side) works with every output format', () => {
    type Row = [
      what: string,
      codec: string,
      channels: number,
      layout: string,
      request: { method_name: string } & Record<string, unknown>,
    ];
    const rows: Row[] = [
      ['extract_audio → Opus', 'opus', 6, '5.1', { method_name: 'extract_audio', output_format: 'opus' }],
      ['extract_audio → M4A (AAC)', 'aac', 6, '5.1', { method_name: 'extract_audio', output_format: 'm4a' }],
      ['extract_audio → MP3', 'mp3', 2, 'stereo', { method_name: 'extract_audio', output_format: 'mp3' }],
      ['extract_audio → WAV', 'pcm_s16le', 6, '5.1(side)', { method_name: 'extract_audio', output_format: 'wav' }],
      ['convert_format → WebM', 'opus', 6, '5.1', { method_name: 'convert_format', output_format: 'webm' }],
      ['convert_format → MP4', 'aac', 6, '5.1', { method_name: 'convert_format', output_format: 'mp4' }],
      [
        'convert_format → MKV (copied)',
        'flac',
        6,
        '5.1(side)',
        { method_name: 'convert_format', output_format: 'mkv' },
      ],
      ['compress', 'aac', 6, '5.1', { method_name: 'compress', params: { crf: 35 } }],
    ];

    it.each(rows)('%s: %s, %i channels, %s', async (_what, codec, channels, layout, request) => {
      const { output, outputPath } = await runOperation(inputs.side51 ?? '', request);
      expect(output.audio).toMatchObject({ codec, channels, channelLayout: layout });
      expectHz(await dominantHz(outputPath), MAIN_HZ);
    });

    it('every standard layout, to Opus, AAC and MP3 through the policy, encodes to the layout it says', async () => {
      // One FFmpeg run for all of them (a process per layout and encoder is minutes on a busy machine):
      // every layout as its own input, and per encoder one Matroska output holding a track per layout,
      // each with the filter channelLayoutFor gives. Matroska keeps what each encoder wrote.
      const layouts = Object.keys(STANDARD_LAYOUTS);
      const encoders = ['libopus', 'aac', 'libmp3lame'] as const;
      const outputs = encoders.map((encoder) => path.join(dir, `every-layout-${encoder}.mka`));
      const args = layouts.flatMap((layout) => [
        '-f',
        'lavfi',
        '-t',
        '0.3',
        '-i',
        `anullsrc=channel_layout=${layout}:sample_rate=48000`,
      ]);
      for (const [e, encoder] of encoders.entries()) {
        for (const [n, layout] of layouts.entries()) {
          const { filter } = channelLayoutFor(
            { channels: STANDARD_LAYOUTS[layout]?.length ?? 0, channelLayout: layout },
            encoder,
          );
          args.push('-map', `${n}:a`, ...(filter ? [`-filter:a:${n}`, filter] : []));
        }
        args.push('-c:a', encoder, `file:${outputs[e]}`);
      }
      await ffmpeg(args);

      for (const [e, encoder] of encoders.entries()) {
        const written = (await rawStreams(outputs[e] ?? '')).map((stream) => stream.channel_layout);
        const expected = layouts.map(
          (layout) =>
            channelLayoutFor({ channels: STANDARD_LAYOUTS[layout]?.length ?? 0, channelLayout: layout }, encoder)
              .layout,
        );
        expect([encoder, written]).toEqual([encoder, expected]);
      }
    }, 120_000);

    it('ten unlabelled channels (no layout to rematrix) still encode: their first two, as stereo', async () => {
      const input = path.join(dir, 'ten-channels.mkv');
      const splits = Array.from({ length: 10 }, (_, i) => `[a${i}]`).join('');
      await ffmpeg([
        ...tone(MAIN_HZ),
        '-t',
        '1',
        '-filter_complex',
        `[0:a]asplit=10${splits};${splits}amerge=inputs=10`,
        '-c:a',
        'pcm_s16le',
        `file:${input}`,
      ]);
      const probe = await probeMedia(input);
      expect(probe.audio).toMatchObject({ channels: 10 });
      expect(probe.audio?.channelLayout).toBeUndefined();
      for (const format of ['opus', 'm4a', 'mp3']) {
        const { output, outputPath } = await runOperation(input, {
          method_name: 'extract_audio',
          output_format: format,
        });
        expect(output.audio).toMatchObject({ channels: 2 });
        expectHz(await dominantHz(outputPath), MAIN_HZ);
      }
    }, 60_000);
  });

  // ---------------------------------------------------------------- formats

  describe('one truth about formats: what the copy table copies is accepted', () => {
    it('DTS and FFV1 in MKV pass the probe and the limits, and MKV → MKV copies both', async () => {
      const { input, output, args } = await runOperation(inputs.dtsFfv1 ?? '', {
        method_name: 'convert_format',
        output_format: 'mkv',
      });
      expect(input.video?.codec).toBe('ffv1');
      expect(input.audio?.codec).toBe('dts');
      expect(args[args.indexOf('-c:v') + 1]).toBe('copy');
      expect(args[args.indexOf('-c:a') + 1]).toBe('copy');
      expect(output.video?.codec).toBe('ffv1');
      expect(output.audio?.codec).toBe('dts');
    });

    it('DTS and FFV1 compress to H.264 and AAC 5.1', async () => {
      const { output, outputPath } = await runOperation(inputs.dtsFfv1 ?? '', { method_name: 'compress' });
      expect(output.video).toMatchObject({ codec: 'h264', width: 160, height: 120 });
      expect(output.audio).toMatchObject({ codec: 'aac', channels: 6, channelLayout: '5.1' });
      expectHz(await dominantHz(outputPath), MAIN_HZ);
    });

    it.each([
      ['compress', 'h264', 'mp4', { method_name: 'compress' }],
      ['convert_format → WebM', 'vp9', 'webm', { method_name: 'convert_format', output_format: 'webm' }],
      ['grayscale', 'h264', 'mp4', { method_name: 'grayscale' }],
    ] as const)('an animated GIF is accepted as video: %s gives %s', async (_what, codec, container, request) => {
      const { input, output, outputPath } = await runOperation(inputs.gif ?? '', request);
      expect(input.formatName).toBe('gif');
      expect(input.video).toMatchObject({ codec: 'gif', width: 160, height: 120 });
      expect(output.formatName).toContain(container);
      expect(output.video).toMatchObject({ codec, width: 160, height: 120 });
      expect(output.audio).toBeUndefined();
      expect(Math.abs(output.durationSec - 2)).toBeLessThanOrEqual(0.2);
      // Every frame of the animation, none dropped or duplicated: 2 s at 10 fps.
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        outputPath,
      ]);
      expect(Number(stdout.trim())).toBe(20);
    });
  });
});
