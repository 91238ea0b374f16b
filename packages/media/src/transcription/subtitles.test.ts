import { formatTimestamp, parseSrt, toCues, toSrt, toTranscriptJson, toWebVtt } from './subtitles';
import type { Transcript } from './transcriber';

describe('formatTimestamp', () => {
  it.each([
    [0, ',', '00:00:00,000'],
    [1.234, ',', '00:00:01,234'],
    [1.234, '.', '00:00:01.234'],
    [59.9995, ',', '00:01:00,000'],
    [3661.5, '.', '01:01:01.500'],
    [100 * 3600 + 0.007, ',', '100:00:00,007'],
    [-3, ',', '00:00:00,000'],
  ] as const)('%p with %p → %p', (seconds, separator, expected) => {
    expect(formatTimestamp(seconds, separator)).toBe(expected);
  });
});

describe('toCues', () => {
  it('drops empty segments and trims text', () => {
    expect(
      toCues([
        { start: 0, end: 1, text: '  Hello there. ' },
        { start: 1, end: 2, text: '   ' },
        { start: 2, end: 3, text: '' },
        { start: 3, end: 4, text: 'Bye.' },
      ]),
    ).toEqual([
      { start: 0, end: 1, text: 'Hello there.' },
      { start: 3, end: 4, text: 'Bye.' },
    ]);
  });

  it('ends no cue after the media, and drops one that starts after it', () => {
    const segments = [
      { start: 0, end: 4, text: 'first' },
      { start: 10.5, end: 11.4, text: 'past the end of the audio' },
      { start: 11.2, end: 12, text: 'after it' },
    ];
    expect(toCues(segments, 11.18)).toEqual([
      { start: 0, end: 4, text: 'first' },
      { start: 10.5, end: 11.18, text: 'past the end of the audio' },
    ]);
    expect(toSrt(segments, 11.18)).toContain('00:00:10,500 --> 00:00:11,180');
    expect(toWebVtt(segments, 11.18)).not.toContain('after it');
    // No duration known: no bound.
    expect(toCues(segments, 0)).toHaveLength(3);
  });

  it('clamps an overlapping cue to start where the previous one ended', () => {
    const cues = toCues([
      { start: 0, end: 2.5, text: 'one' },
      { start: 2.0, end: 4, text: 'two' },
      { start: 1.0, end: 5, text: 'three' },
    ]);
    expect(cues).toEqual([
      { start: 0, end: 2.5, text: 'one' },
      { start: 2.5, end: 4, text: 'two' },
      { start: 4, end: 5, text: 'three' },
    ]);
  });

  it('gives a zero or negative length cue a visible duration and keeps later cues after it', () => {
    const cues = toCues([
      { start: 5, end: 5, text: 'blink' },
      { start: 5.05, end: 6, text: 'next' },
      { start: 7, end: 6.5, text: 'backwards' },
    ]);
    expect(cues).toEqual([
      { start: 5, end: 5.1, text: 'blink' },
      { start: 5.1, end: 6, text: 'next' },
      { start: 7, end: 7.1, text: 'backwards' },
    ]);
  });

  it('is monotonic and non-overlapping for any input order', () => {
    const cues = toCues(
      Array.from({ length: 50 }, (_, i) => ({
        start: (i * 7919) % 31,
        end: ((i * 7919) % 31) + (i % 4),
        text: `w${i}`,
      })),
    );
    expect(cues).toHaveLength(50);
    for (const [index, cue] of cues.entries()) {
      expect(cue.end).toBeGreaterThan(cue.start);
      if (index > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[index - 1].end);
    }
  });

  it('rounds to milliseconds and drops segments without finite times', () => {
    expect(
      toCues([
        { start: 0.12345, end: 0.98765, text: 'a' },
        { start: Number.NaN, end: 2, text: 'b' },
        { start: 3, end: Number.POSITIVE_INFINITY, text: 'c' },
      ]),
    ).toEqual([{ start: 0.123, end: 0.988, text: 'a' }]);
  });

  it('keeps text from breaking the formats: no blank lines, no arrows', () => {
    expect(toCues([{ start: 0, end: 1, text: 'line one\n\nline --> two' }])[0].text).toBe('line one line -> two');
  });
});

describe('toSrt', () => {
  const segments = [
    { start: 0, end: 1.5, text: ' Hello world.' },
    { start: 1.2, end: 3.25, text: ' How are you?' },
    { start: 4, end: 4, text: '' },
    { start: 3661, end: 3662.001, text: 'Much later.' },
  ];

  it('numbers cues from 1 with comma milliseconds', () => {
    expect(toSrt(segments)).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nHello world.\n\n' +
        '2\n00:00:01,500 --> 00:00:03,250\nHow are you?\n\n' +
        '3\n01:01:01,000 --> 01:01:02,001\nMuch later.\n',
    );
  });

  it('round-trips through parseSrt', () => {
    expect(parseSrt(toSrt(segments))).toEqual([
      { index: 1, start: 0, end: 1.5, text: 'Hello world.' },
      { index: 2, start: 1.5, end: 3.25, text: 'How are you?' },
      { index: 3, start: 3661, end: 3662.001, text: 'Much later.' },
    ]);
  });

  it('is empty when nothing was said', () => {
    expect(toSrt([])).toBe('');
    expect(toSrt([{ start: 0, end: 5, text: ' ' }])).toBe('');
    expect(parseSrt('')).toEqual([]);
  });
});

describe('toWebVtt', () => {
  it('starts with the WEBVTT header, uses dot milliseconds and escapes markup', () => {
    expect(
      toWebVtt([
        { start: 0.5, end: 1.234, text: 'Fish & <chips>' },
        { start: 1, end: 2, text: 'More' },
      ]),
    ).toBe(
      'WEBVTT\n\n00:00:00.500 --> 00:00:01.234\nFish &amp; &lt;chips&gt;\n\n00:00:01.234 --> 00:00:02.000\nMore\n',
    );
  });

  it('is just the header when nothing was said', () => {
    expect(toWebVtt([])).toBe('WEBVTT\n');
  });
});

describe('toTranscriptJson', () => {
  const transcript: Transcript = {
    language: 'en',
    languageProbability: 0.98,
    durationSec: 12.5,
    model: 'base',
    segments: [
      { start: 0, end: 2, text: ' First.' },
      { start: 1.5, end: 3, text: ' Second.' },
      { start: 3, end: 4, text: '' },
    ],
  };

  it('carries the metadata and the same cues as the subtitles', () => {
    expect(JSON.parse(toTranscriptJson(transcript))).toEqual({
      model: 'base',
      language: 'en',
      language_probability: 0.98,
      duration_sec: 12.5,
      text: 'First. Second.',
      segments: [
        { id: 1, start: 0, end: 2, text: 'First.' },
        { id: 2, start: 2, end: 3, text: 'Second.' },
      ],
    });
  });

  it('leaves out a probability it does not have', () => {
    const withoutProbability: Transcript = { ...transcript };
    delete withoutProbability.languageProbability;
    expect(JSON.parse(toTranscriptJson(withoutProbability))).not.toHaveProperty('language_probability');
  });
});

describe('parseSrt', () => {
  it('reads CRLF files, a BOM and multi-line cues', () => {
    const srt =
      '\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\nline one\r\nline two\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nthree\r\n';
    expect(parseSrt(srt)).toEqual([
      { index: 1, start: 1, end: 2.5, text: 'line one\nline two' },
      { index: 2, start: 3, end: 4, text: 'three' },
    ]);
  });

  it.each([
    ['a dot in the timing', '1\n00:00:01.000 --> 00:00:02,000\nx\n'],
    ['no index', '00:00:01,000 --> 00:00:02,000\nx\n'],
    ['minutes out of range', '1\n00:61:01,000 --> 00:62:02,000\nx\n'],
  ])('rejects %s', (_name, srt) => {
    expect(() => parseSrt(srt)).toThrow('not an SRT cue');
  });
});
