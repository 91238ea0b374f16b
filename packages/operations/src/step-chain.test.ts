import { AppError } from '@mediaflow/domain';
import { OPERATIONS } from './registry';
import { STEP_IO } from './step-chain';
import { validateSubmission } from './validation';

const SOURCE = 's3://mediaflow-input/uploads/a/clip.webm';
const BUCKETS = ['mediaflow-input'];

function errorOf(body: unknown): AppError {
  try {
    validateSubmission(body, BUCKETS);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the submission to be refused');
}

describe('multi-step submissions', () => {
  it('normalises every step and repeats the first as the operation', () => {
    const result = validateSubmission(
      {
        sources: [SOURCE, 's3://mediaflow-input/uploads/a/clip2.webm'],
        steps: [
          { method_name: 'concat' },
          { method_name: 'black_and_white', output_format: 'webm' },
          { method_name: 'transcribe' },
        ],
      },
      BUCKETS,
    );
    expect(result.steps?.map((step) => step.method_name)).toEqual(['concat', 'grayscale', 'transcribe']);
    expect(result.steps?.[0]).toEqual(result.operation);
    expect(result.steps?.[1]?.output_format).toBe('webm');
    expect(result.steps?.[2]?.output_format).toBe('srt');
    expect(result.sources).toHaveLength(2);
  });

  it('leaves steps out for a one-operation body', () => {
    expect(validateSubmission({ source: SOURCE, method_name: 'compress' }, BUCKETS).steps).toBeUndefined();
  });

  it('refuses a step that cannot read its predecessor, naming both', () => {
    const error = errorOf({
      source: SOURCE,
      steps: [{ method_name: 'compress' }, { method_name: 'extract_audio' }, { method_name: 'grayscale' }],
    });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.message).toContain('steps[2] (grayscale)');
    expect(error.message).toContain('steps[1] (extract_audio)');
    expect(error.details).toEqual({
      step: 2,
      method_name: 'grayscale',
      previous_step: 1,
      previous_method_name: 'extract_audio',
      produces: 'audio',
      accepts: ['video'],
    });
    expect(
      errorOf({ source: SOURCE, steps: [{ method_name: 'transcribe' }, { method_name: 'compress' }] }).message,
    ).toContain('primary output is srt');
    // Subtitles embedded (output_format mp4) need a video to go into; an SRT can come from audio alone.
    const audioThenSubtitled = errorOf({
      source: SOURCE,
      steps: [{ method_name: 'extract_audio' }, { method_name: 'transcribe', output_format: 'mp4' }],
    });
    expect(audioThenSubtitled.details).toMatchObject({ step: 1, produces: 'audio', accepts: ['video'] });
    expect(
      validateSubmission(
        { source: SOURCE, steps: [{ method_name: 'extract_audio' }, { method_name: 'transcribe' }] },
        BUCKETS,
      ).steps,
    ).toHaveLength(2);
  });

  it('names the step whose operation is unknown or whose params are wrong', () => {
    const unknown = errorOf({ source: SOURCE, steps: [{ method_name: 'compress' }, { method_name: 'sharpen' }] });
    expect(unknown.code).toBe('UNKNOWN_OPERATION');
    expect(unknown.message).toContain('steps[1]');
    const params = errorOf({
      source: SOURCE,
      steps: [{ method_name: 'compress' }, { method_name: 'compress', params: { crf: 99 } }],
    });
    expect(params.code).toBe('VALIDATION_FAILED');
    expect(params.message).toContain('steps[1]');
    expect(params.details).toEqual([expect.objectContaining({ path: 'steps.1.params.crf' })]);
  });

  it('refuses steps together with method_name, neither, and empty or too many steps', () => {
    expect(errorOf({ source: SOURCE, method_name: 'compress', steps: [{ method_name: 'compress' }] }).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(errorOf({ source: SOURCE, params: {}, steps: [{ method_name: 'compress' }] }).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(errorOf({ source: SOURCE }).message).toContain('`method_name` (or `steps`) is required');
    expect(errorOf({ source: SOURCE, steps: [] }).code).toBe('VALIDATION_FAILED');
    expect(
      errorOf({ source: SOURCE, steps: Array.from({ length: 9 }, () => ({ method_name: 'compress' })) }).code,
    ).toBe('VALIDATION_FAILED');
    expect(errorOf({ source: SOURCE, steps: [{ method_name: 'compress', source: SOURCE }] }).code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('lets only a first step that takes several sources have them', () => {
    const sources = [SOURCE, 's3://mediaflow-input/uploads/a/clip2.webm'];
    expect(errorOf({ sources, steps: [{ method_name: 'compress' }, { method_name: 'concat' }] }).code).toBe(
      'MULTIPLE_SOURCES_NOT_SUPPORTED',
    );
  });

  it('knows what every registered operation reads and writes', () => {
    for (const operation of OPERATIONS) expect(STEP_IO[operation.name]).toBeDefined();
  });
});

describe('the meeting_recording preset', () => {
  const sources = [SOURCE, 's3://mediaflow-input/uploads/a/clip2.webm'];

  it('is concat to MP4, then transcribe to the subtitled MP4 as primary output, taking language and model', () => {
    const result = validateSubmission(
      { sources, preset: 'meeting_recording', params: { language: 'en', model: 'tiny.en' } },
      BUCKETS,
    );
    expect(result.steps?.map((step) => [step.method_name, step.output_format])).toEqual([
      ['concat', 'mp4'],
      ['transcribe', 'mp4'],
    ]);
    expect(result.steps?.[1]?.params).toEqual({ language: 'en', model: 'tiny.en' });
    expect(result.preset).toBe('meeting_recording');
  });

  it('refuses an unknown preset, steps beside it, and other params', () => {
    expect(errorOf({ sources, preset: 'podcast' }).message).toContain('unknown preset');
    expect(errorOf({ sources, preset: 'meeting_recording', steps: [{ method_name: 'compress' }] }).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(errorOf({ sources, preset: 'meeting_recording', params: { crf: 20 } }).details).toEqual([
      { path: 'params.crf', message: 'not a preset param' },
    ]);
    expect(errorOf({ sources, preset: 'meeting_recording', method_name: 'compress' }).code).toBe('VALIDATION_FAILED');
  });

  it('names the fields the client sent, not the steps the preset expands to', () => {
    expect(
      errorOf({ sources, preset: 'meeting_recording', params: { model: 'huge', language: 'English' } }).details,
    ).toEqual(
      expect.arrayContaining([
        { path: 'params.model', message: expect.stringContaining('model must be one of') as unknown },
        { path: 'params.language', message: expect.stringContaining('ISO 639') as unknown },
      ]),
    );
    const clash = errorOf({ sources, preset: 'meeting_recording', method_name: 'concat', output_format: 'mkv' });
    expect(clash.message).toBe(
      'a preset chooses its own operations and formats: leave out `method_name` and `output_format`',
    );
    expect(clash.details).toEqual([
      { path: 'method_name', message: 'not allowed together with preset' },
      { path: 'output_format', message: 'not allowed together with preset' },
    ]);
  });
});
