import type { OpenApiDocument } from './api-client';
import { UsageError } from './exit-codes';
import { coerceParams, operationsFromOpenApi, parseParamArgs } from './params';

// The shape /openapi.json gives the SubmitJob request (one variant per operation).
const document: OpenApiDocument = {
  components: {
    schemas: {
      SubmitJob: {
        oneOf: [
          {
            properties: {
              method_name: { type: 'string', enum: ['compress'] },
              output_format: { type: 'string', const: 'mp4' },
              params: {
                properties: {
                  crf: { type: 'integer' },
                  preset: { type: 'string', enum: ['veryfast', 'slow'] },
                  audio_track: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
                },
              },
            },
          },
          {
            properties: {
              method_name: { type: 'string', enum: ['grayscale', 'black_and_white'] },
              output_format: { type: 'string', enum: ['mp4', 'webm'] },
            },
          },
          {
            properties: {
              method_name: { type: 'string', enum: ['adaptive_stream'] },
              params: {
                properties: {
                  formats: { type: 'array', items: { type: 'string', enum: ['hls', 'dash'] } },
                  renditions: { type: 'array', items: { type: 'integer' } },
                  segment_seconds: { type: 'number' },
                  poster: { type: 'boolean' },
                },
              },
            },
          },
        ],
      },
    },
  },
};

describe('parseParamArgs', () => {
  it('splits at the first "=", keeps empty values, and the last repeat wins', () => {
    expect(parseParamArgs(['crf=23', 'filter=a=b', 'language=', 'crf=24'])).toEqual({
      crf: '24',
      filter: 'a=b',
      language: '',
    });
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const params = parseParamArgs(['__proto__=x']);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.keys(params)).toEqual(['__proto__']);
  });

  it.each(['crf', '=23', ' =1'])('refuses %j', (arg) => {
    expect(() => parseParamArgs([arg])).toThrow(UsageError);
  });
});

describe('operationsFromOpenApi', () => {
  it('lists every operation and alias with its params and formats', () => {
    const operations = operationsFromOpenApi(document);
    expect([...operations.keys()]).toEqual(['compress', 'grayscale', 'black_and_white', 'adaptive_stream']);
    expect(operations.get('black_and_white')).toEqual({
      name: 'grayscale',
      params: {},
      outputFormats: ['mp4', 'webm'],
    });
    expect(operations.get('compress')?.outputFormats).toEqual(['mp4']);
  });

  it('finds the operations one level down, beside the preset and steps variants', () => {
    const variants = document.components?.schemas?.SubmitJob?.oneOf ?? [];
    const nested: OpenApiDocument = {
      components: {
        schemas: {
          SubmitJob: {
            anyOf: [
              { oneOf: variants },
              { properties: { preset: { type: 'string', enum: ['meeting_recording'] } } },
              { properties: { steps: { type: 'array' } } },
            ],
          },
        },
      },
    };
    expect([...operationsFromOpenApi(nested).keys()]).toEqual([
      'compress',
      'grayscale',
      'black_and_white',
      'adaptive_stream',
    ]);
  });

  it('is empty for a document without the SubmitJob schema', () => {
    expect(operationsFromOpenApi({}).size).toBe(0);
  });
});

describe('coerceParams', () => {
  const schemaOf = (name: string): Parameters<typeof coerceParams>[1] =>
    operationsFromOpenApi(document).get(name)?.params;

  it('types numbers, booleans and lists as the schema says', () => {
    expect(coerceParams({ crf: '23', preset: 'slow' }, schemaOf('compress'))).toEqual({ crf: 23, preset: 'slow' });
    expect(
      coerceParams(
        { formats: 'hls,dash', renditions: '720, 360', segment_seconds: '2.5', poster: 'FALSE' },
        schemaOf('adaptive_stream'),
      ),
    ).toEqual({ formats: ['hls', 'dash'], renditions: [720, 360], segment_seconds: 2.5, poster: false });
  });

  it('prefers a number in an anyOf, and keeps text that is no number', () => {
    expect(coerceParams({ audio_track: '1' }, schemaOf('compress'))).toEqual({ audio_track: 1 });
    expect(coerceParams({ audio_track: 'fr' }, schemaOf('compress'))).toEqual({ audio_track: 'fr' });
  });

  it('sends what fits no type, unknown keys, and everything without a schema as typed', () => {
    expect(coerceParams({ crf: 'abc', extra: '5' }, schemaOf('compress'))).toEqual({ crf: 'abc', extra: '5' });
    expect(coerceParams({ crf: '23', constructor: 'x' }, undefined)).toEqual({ crf: '23', constructor: 'x' });
  });
});
