import { AppError, WHISPER_MODELS } from '@mediaflow/domain';
import { OPERATIONS, acceptedOperationNames } from './registry';
import { validateSubmission } from './validation';

const SOURCE = 's3://mediaflow-input/uploads/a/clip.mp4';
const BUCKETS = ['mediaflow-input'];

function codeOf(body: unknown): string {
  try {
    validateSubmission(body, BUCKETS);
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'OK';
}

describe('validateSubmission', () => {
  it('fills in defaults', () => {
    expect(validateSubmission({ source: SOURCE, method_name: 'compress' }, BUCKETS)).toEqual({
      source: { bucket: 'mediaflow-input', key: 'uploads/a/clip.mp4' },
      operation: { method_name: 'compress', output_format: 'mp4', params: { crf: 28, preset: 'veryfast' } },
    });
    expect(validateSubmission({ source: SOURCE, method_name: 'extract_audio' }, BUCKETS).operation).toEqual({
      method_name: 'extract_audio',
      output_format: 'mp3',
      params: {},
    });
  });

  it('maps black_and_white to grayscale', () => {
    expect(validateSubmission({ source: SOURCE, method_name: 'black_and_white' }, BUCKETS).operation.method_name).toBe(
      'grayscale',
    );
  });

  it('resolves the alias to the whole grayscale operation: its defaults and its output_format rules', () => {
    expect(validateSubmission({ source: SOURCE, method_name: 'black_and_white' }, BUCKETS).operation).toEqual({
      method_name: 'grayscale',
      output_format: 'mp4',
      params: {},
    });
    expect(
      validateSubmission({ source: SOURCE, method_name: 'black_and_white', output_format: 'webm' }, BUCKETS).operation,
    ).toEqual({ method_name: 'grayscale', output_format: 'webm', params: {} });
    expect(codeOf({ source: SOURCE, method_name: 'black_and_white', output_format: 'mp3' })).toBe('VALIDATION_FAILED');
  });

  it('accepts every registered operation by name, storing the canonical name', () => {
    for (const operation of OPERATIONS) {
      for (const name of [operation.name, ...operation.aliases]) {
        // convert_format has no default container; the others need nothing beyond the name.
        const body = {
          source: SOURCE,
          method_name: name,
          ...(name === 'convert_format' ? { output_format: 'mkv' } : {}),
        };
        expect(validateSubmission(body, BUCKETS).operation.method_name).toBe(operation.name);
      }
    }
  });

  it('answers an unknown operation with the names it accepts', () => {
    let thrown: unknown;
    try {
      validateSubmission({ source: SOURCE, method_name: 'sharpen' }, BUCKETS);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'UNKNOWN_OPERATION' });
    const allowed = ((thrown as AppError).toBody().error.details as { allowed: string[] }).allowed;
    expect(allowed).toEqual(acceptedOperationNames());
    expect(allowed).toEqual(
      expect.arrayContaining(['compress', 'extract_audio', 'resize', 'convert_format', 'grayscale', 'transcribe']),
    );
    expect(allowed).toContain('black_and_white');
    for (const operation of OPERATIONS) expect(allowed).toContain(operation.name);
  });

  it('accepts transcribe with its params', () => {
    const { operation } = validateSubmission(
      { source: SOURCE, method_name: 'transcribe', params: { language: 'en', embed_subtitles: false } },
      BUCKETS,
    );
    expect(operation).toMatchObject({ method_name: 'transcribe', params: { language: 'en', embed_subtitles: false } });
  });

  it.each([
    [{ source: SOURCE, method_name: 'explode' }, 'UNKNOWN_OPERATION'],
    [{ source: '/etc/passwd', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 'file:///etc/passwd', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 'https://example.com/a.mp4', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 's3://other-bucket/a.mp4', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 's3://mediaflow-input/../secret', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 's3://mediaflow-input/a//b', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 's3://mediaflow-input/', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: 's3://mediaflow-input/a\u0000b', method_name: 'compress' }, 'INVALID_SOURCE'],
    [{ source: SOURCE, method_name: 'compress', params: { crf: 52 } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'compress', params: { crf: 20.5 } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'compress', params: { preset: 'placebo' } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'compress', params: { unknown: 1 } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'resize', params: { width: 8 } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'convert_format' }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'convert_format', output_format: 'avi' }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'extract_audio', output_format: 'flac' }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'transcribe', params: { language: 'english' } }, 'VALIDATION_FAILED'],
    [{ source: SOURCE }, 'VALIDATION_FAILED'],
    [{ source: SOURCE, method_name: 'compress', extra: 1 }, 'VALIDATION_FAILED'],
    [null, 'VALIDATION_FAILED'],
    [[], 'VALIDATION_FAILED'],
    ['compress', 'VALIDATION_FAILED'],
  ])('refuses %p with %s', (body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it('accepts every known Whisper model name for transcribe', () => {
    for (const model of WHISPER_MODELS) {
      const { operation } = validateSubmission(
        { source: SOURCE, method_name: 'transcribe', params: { model } },
        BUCKETS,
      );
      expect(operation).toMatchObject({ method_name: 'transcribe', params: { model } });
    }
    expect(WHISPER_MODELS).toEqual(expect.arrayContaining(['tiny', 'tiny.en', 'base', 'small', 'medium', 'large-v3']));
  });

  it.each(['huge', 'BASE', 'base ', '', '/models/base', './base', '../../etc/passwd', 'C:\\models\\base', 'base/..'])(
    'refuses transcribe with params.model %p: only known names, never paths, come from a job',
    (model) => {
      let thrown: unknown;
      try {
        validateSubmission({ source: SOURCE, method_name: 'transcribe', params: { model } }, BUCKETS);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      const details = (thrown as AppError).toBody().error.details as { path: string; message: string }[];
      expect(details.map((detail) => detail.path)).toEqual(['params.model']);
      expect(details[0]?.message).toContain('large-v3');
    },
  );

  it('lists the problems as details', () => {
    try {
      validateSubmission({ source: SOURCE, method_name: 'resize', params: { width: 'wide' } }, BUCKETS);
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      const details = (error as AppError).toBody().error.details as { path: string; message: string }[];
      expect(details.map((detail) => detail.path)).toEqual(['params.width']);
      expect(details[0]?.message).toMatch(/number/i);
    }
  });
});
