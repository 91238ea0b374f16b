import { parseHelperEvent } from './whisper-protocol';

describe('parseHelperEvent', () => {
  it('reads a result with its segments', () => {
    expect(
      parseHelperEvent({
        id: 'r1',
        type: 'result',
        language: 'en',
        language_probability: 0.97,
        duration_sec: 21.8,
        segments: [{ start: 0, end: 2.5, text: 'Hello.' }],
      }),
    ).toEqual({
      type: 'result',
      id: 'r1',
      language: 'en',
      languageProbability: 0.97,
      durationSec: 21.8,
      segments: [{ start: 0, end: 2.5, text: 'Hello.' }],
    });
  });

  it('reads progress, model loads, errors, ready and fatal lines', () => {
    expect(parseHelperEvent({ id: 'r1', type: 'progress', processed_sec: 3, duration_sec: 10 })).toEqual({
      type: 'progress',
      id: 'r1',
      processedSec: 3,
      durationSec: 10,
    });
    expect(parseHelperEvent({ id: 'r1', type: 'model_loaded', model_dir: '/m/base', load_sec: 0.7 })).toEqual({
      type: 'model_loaded',
      id: 'r1',
      modelDir: '/m/base',
      loadSec: 0.7,
    });
    expect(parseHelperEvent({ id: null, type: 'error', code: 'BAD_REQUEST', message: 'no' })).toEqual({
      type: 'error',
      id: null,
      code: 'BAD_REQUEST',
      message: 'no',
    });
    expect(parseHelperEvent({ type: 'ready', pid: 42, faster_whisper: '1.2.1' })).toEqual({
      type: 'ready',
      pid: 42,
      versions: { faster_whisper: '1.2.1' },
    });
    expect(parseHelperEvent({ type: 'fatal', code: 'RUNTIME_MISSING', message: 'x' })).toEqual({
      type: 'fatal',
      code: 'RUNTIME_MISSING',
      message: 'x',
    });
  });

  it.each([
    ['not an object', 'result'],
    ['an unknown type', { id: 'a', type: 'hello' }],
    [
      'a result with a bad segment',
      { id: 'a', type: 'result', language: 'en', duration_sec: 1, segments: [{ start: 0 }] },
    ],
    ['a result without segments', { id: 'a', type: 'result', language: 'en', duration_sec: 1 }],
    ['progress with a string time', { id: 'a', type: 'progress', processed_sec: '1', duration_sec: 2 }],
    ['a numeric id', { id: 7, type: 'progress', processed_sec: 1, duration_sec: 2 }],
  ])('rejects %s', (_name, value) => {
    expect(parseHelperEvent(value)).toBeUndefined();
  });
});
