import { ENCODER_LAYOUTS, STANDARD_LAYOUTS, channelLayoutArgs, channelLayoutFor } from './channel-layouts';

// The channel-layout policy as a table: every standard FFmpeg 5.1 layout,
// what AAC, libopus and MP3 are fed. "=" means the encoder takes it as it is.
// The real encoders are run on every row in faithful-tracks.ffmpeg.test.ts.
// prettier-ignore
const TABLE: [source: string, aac: string, libopus: string, mp3: string][] = [
  ['mono',           '=',      '=',      '='],
  ['stereo',         '=',      '=',      '='],
  ['2.1',            'stereo', 'stereo', 'stereo'],
  ['3.0',            '=',      '=',      'stereo'],
  ['3.0(back)',      '4.0',    'quad',   'stereo'],
  ['4.0',            '=',      '5.0',    'stereo'],
  ['quad',           '5.0',    '=',      'stereo'],
  ['quad(side)',     '5.0',    'quad',   'stereo'],
  ['3.1',            '3.0',    '3.0',    'stereo'],
  ['5.0',            '=',      '=',      'stereo'],
  ['5.0(side)',      '5.0',    '5.0',    'stereo'],
  ['4.1',            '5.1',    '5.1',    'stereo'],
  ['5.1',            '=',      '=',      'stereo'],
  ['5.1(side)',      '5.1',    '5.1',    'stereo'],
  ['6.0',            '5.0',    '6.1',    'stereo'],
  ['6.0(front)',     '5.0',    'quad',   'stereo'],
  ['hexagonal',      '5.0',    '6.1',    'stereo'],
  ['6.1',            '7.1',    '=',      'stereo'],
  ['6.1(back)',      '7.1',    '6.1',    'stereo'],
  ['6.1(front)',     '5.1',    '5.1',    'stereo'],
  ['7.0',            '7.1',    '7.1',    'stereo'],
  ['7.0(front)',     '5.0',    '5.0',    'stereo'],
  ['7.1',            '=',      '=',      'stereo'],
  ['7.1(wide)',      '5.1',    '5.1',    'stereo'],
  ['7.1(wide-side)', '5.1',    '5.1',    'stereo'],
  ['octagonal',      '7.1',    '7.1',    'stereo'],
  ['hexadecagonal',  '7.1',    '7.1',    'stereo'],
  ['downmix',        'stereo', 'stereo', 'stereo'],
  ['22.2',           '7.1',    '7.1',    'stereo'],
];

describe('channelLayoutFor', () => {
  it('the table covers every standard layout', () => {
    expect(TABLE.map(([source]) => source).sort()).toEqual(Object.keys(STANDARD_LAYOUTS).sort());
  });

  it.each(TABLE)('%s → AAC %s, Opus %s, MP3 %s', (source, aac, libopus, mp3) => {
    const channels = STANDARD_LAYOUTS[source]?.length ?? 0;
    for (const [encoder, expected] of [
      ['aac', aac],
      ['libopus', libopus],
      ['libmp3lame', mp3],
    ] as const) {
      const choice = channelLayoutFor({ channels, channelLayout: source }, encoder);
      if (expected === '=') {
        expect(choice).toEqual({ layout: source });
      } else {
        expect(choice).toEqual({ layout: expected, filter: `aformat=channel_layouts=${expected}` });
      }
      // Whatever is chosen, the encoder takes it.
      expect(ENCODER_LAYOUTS[encoder]).toContain(choice.layout);
    }
    // WAV stores any layout.
    expect(channelLayoutFor({ channels, channelLayout: source }, 'pcm_s16le')).toEqual({ layout: source });
  });

  it.each([
    // A count FFmpeg has a default layout for: decoded as that layout, then as above.
    [6, 'aac', { layout: '5.1' }],
    [6, 'libmp3lame', { layout: 'stereo', filter: 'aformat=channel_layouts=stereo' }],
    [3, 'libopus', { layout: 'stereo', filter: 'aformat=channel_layouts=stereo' }],
    [1, 'aac', { layout: 'mono' }],
    // No default layout: nothing to rematrix with, so the first two channels.
    [10, 'aac', { layout: 'stereo', filter: 'pan=stereo|c0=c0|c1=c1' }],
    [10, 'libopus', { layout: 'stereo', filter: 'pan=stereo|c0=c0|c1=c1' }],
    [10, 'pcm_s16le', { layout: '10 channels' }],
  ] as const)('a stream stating only %i channels, for %s', (channels, encoder, expected) => {
    expect(channelLayoutFor({ channels }, encoder)).toEqual(expected);
  });

  it('reads a custom layout by its speakers', () => {
    // The back centre spreads over 5.1's back pair rather than losing the LFE to 4.0.
    expect(channelLayoutFor({ channels: 4, channelLayout: 'FL+FR+LFE+BC' }, 'aac')).toEqual({
      layout: '5.1',
      filter: 'aformat=channel_layouts=5.1',
    });
    expect(channelLayoutFor({ channels: 4, channelLayout: 'FL+FR+LFE+BC' }, 'pcm_s16le')).toEqual({
      layout: 'FL+FR+LFE+BC',
    });
  });

  it('states the layout outright when FFmpeg named one this table does not know', () => {
    expect(channelLayoutFor({ channels: 6, channelLayout: '5.1(future)' }, 'aac')).toEqual({
      layout: '5.1',
      filter: 'aformat=channel_layouts=5.1',
    });
  });

  it('channelLayoutArgs: -af only when there is something to do', () => {
    expect(channelLayoutArgs({ channels: 6, channelLayout: '5.1(side)' }, 'libopus')).toEqual([
      '-af',
      'aformat=channel_layouts=5.1',
    ]);
    expect(channelLayoutArgs({ channels: 2, channelLayout: 'stereo' }, 'aac')).toEqual([]);
  });
});
