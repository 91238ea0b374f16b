import { AppError } from '@mediaflow/domain';
import type { AudioStreamInfo, MediaProbe } from '@mediaflow/media';
import type { FfmpegStep, MuxSubtitlesStep } from './execution-plan';
import type { PlanContext } from './operation-definition';
import { findOperation } from './registry';
import { validateSubmission } from './validation';

// params.audio_track through the registry: the schemas that take it, the
// submit-time validation, and the job error when the source has no such
// track; and what a conversion leaves out reaching the plan's warnings.

const SOURCE = 's3://mediaflow-input/uploads/a/film.mkv';
const context: PlanContext = {
  inputPath: '/work/job/source.mkv',
  workDir: '/work/job/out',
  sourceName: 'film.mkv',
  defaults: { whisperModel: 'base' },
};

const commentary: AudioStreamInfo = { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, language: 'eng' };
const main: AudioStreamInfo = {
  index: 2,
  codec: 'aac',
  channels: 2,
  sampleRate: 48000,
  language: 'fra',
  isDefault: true,
};
const probe: MediaProbe = {
  formatName: 'matroska,webm',
  durationSec: 10,
  sizeBytes: 1000,
  streamCount: 3,
  video: { index: 0, codec: 'h264', width: 640, height: 360, fps: 25 },
  audio: main,
  audioStreams: [commentary, main],
  subtitleStreams: [],
};

const TAKING_AUDIO_TRACK = [
  ['compress', {}],
  ['extract_audio', {}],
  ['resize', {}],
  ['convert_format', { output_format: 'mkv' }],
  ['grayscale', {}],
  ['transcribe', {}],
  ['adaptive_stream', {}],
] as const;

function mapsOf(args: readonly string[]): string[] {
  return args.flatMap((arg, at) => (arg === '-map' ? [args[at + 1] ?? ''] : []));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('params.audio_track', () => {
  it.each(TAKING_AUDIO_TRACK)('%s accepts an index or a language, and nothing else', (name, fields) => {
    const submit = (audioTrack: unknown): unknown =>
      validateSubmission({ source: SOURCE, method_name: name, ...fields, params: { audio_track: audioTrack } }, [
        'mediaflow-input',
      ]).operation.params.audio_track;
    expect(submit(1)).toBe(1);
    expect(submit('fra')).toBe('fra');
    expect(submit('fr')).toBe('fr');
    for (const bad of [-1, 1.5, 64, 'French', 'FR', '', true]) {
      expect(thrown(() => submit(bad))).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    }
  });

  it.each(TAKING_AUDIO_TRACK)(
    '%s: a track the source lacks fails the job with AUDIO_TRACK_NOT_FOUND',
    (name, fields) => {
      const operation = findOperation(name);
      if (!operation) throw new Error(`no ${name}`);
      for (const audioTrack of [2, 'deu']) {
        const error = thrown(() =>
          operation.plan(
            operation.parse({ method_name: name, ...fields, params: { audio_track: audioTrack } }),
            probe,
            context,
          ),
        );
        expect(error).toBeInstanceOf(AppError);
        expect(error).toMatchObject({ code: 'AUDIO_TRACK_NOT_FOUND', status: 422 });
      }
    },
  );

  it.each([
    [undefined, '0:2'],
    [0, '0:1'],
    ['en', '0:1'],
    ['fre', '0:2'],
  ] as const)('extract_audio with audio_track %j maps %s', (audioTrack, map) => {
    const operation = findOperation('extract_audio');
    const params = audioTrack === undefined ? {} : { audio_track: audioTrack };
    const plan = operation?.plan(operation.parse({ method_name: 'extract_audio', params }), probe, context);
    expect(mapsOf((plan?.steps[0] as FfmpegStep).args)).toEqual([map]);
  });

  it('transcribe hears the chosen track and muxes that one into the subtitled copy', () => {
    const operation = findOperation('transcribe');
    const plan = operation?.plan(
      operation.parse({ method_name: 'transcribe', params: { audio_track: 0 } }),
      probe,
      context,
    );
    const extract = plan?.steps.find((step) => step.id === 'extract-audio') as FfmpegStep;
    expect(mapsOf(extract.args)).toEqual(['0:1']);
    const mux = plan?.steps.find((step) => step.kind === 'mux_subtitles') as MuxSubtitlesStep;
    expect(mux.audioStreamIndex).toBe(1);

    const byDefault = operation?.plan(operation.parse({ method_name: 'transcribe' }), probe, context);
    const defaultExtract = byDefault?.steps.find((step) => step.id === 'extract-audio') as FfmpegStep;
    expect(mapsOf(defaultExtract.args)).toEqual(['0:2']);
    expect(
      (byDefault?.steps.find((step) => step.kind === 'mux_subtitles') as MuxSubtitlesStep).audioStreamIndex,
    ).toBeUndefined();
  });

  it('adaptive_stream packages the chosen track', () => {
    const operation = findOperation('adaptive_stream');
    const plan = operation?.plan(
      operation.parse({ method_name: 'adaptive_stream', params: { audio_track: 'eng', renditions: [240] } }),
      probe,
      context,
    );
    const maps = mapsOf((plan?.steps[0] as FfmpegStep).args);
    expect(maps).toContain('0:1');
    expect(maps).not.toContain('0:2');
  });

  it('a conversion keeps both tracks and flags the chosen one default', () => {
    const operation = findOperation('convert_format');
    const plan = operation?.plan(
      operation.parse({ method_name: 'convert_format', output_format: 'mkv', params: { audio_track: 0 } }),
      probe,
      context,
    );
    const args = (plan?.steps[0] as FfmpegStep).args;
    expect(mapsOf(args)).toEqual(['0:0', '0:1', '0:2']);
    expect(args[args.indexOf('-disposition:a:0') + 1]).toBe('default');
    expect(args[args.indexOf('-disposition:a:1') + 1]).toBe('0');
  });

  it("a conversion's warnings reach the execution plan (the worker writes them into the job log)", () => {
    const operation = findOperation('convert_format');
    const withPgs: MediaProbe = {
      ...probe,
      subtitleStreams: [{ index: 3, codec: 'hdmv_pgs_subtitle', language: 'eng' }],
    };
    const toMp4 = operation?.plan(
      operation.parse({ method_name: 'convert_format', output_format: 'mp4' }),
      withPgs,
      context,
    );
    expect(toMp4?.warnings).toEqual([
      'subtitle stream 3 (eng) left out: MP4 cannot hold image subtitles ("hdmv_pgs_subtitle"); convert to MKV to keep them',
    ]);
    const toMkv = operation?.plan(
      operation.parse({ method_name: 'convert_format', output_format: 'mkv' }),
      withPgs,
      context,
    );
    expect(toMkv?.warnings).toBeUndefined();
    expect(mapsOf((toMkv?.steps[0] as FfmpegStep).args)).toContain('0:3');
  });
});
