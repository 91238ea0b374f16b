import { AppError } from '@mediaflow/domain';
import { audioStreamsOf, languageKey, selectAudioTrack, withAudioTrack } from './audio-track';
import { normaliseProbe } from './probe-normalise';
import type { MediaProbe } from './probe-types';

// The shape `ffprobe -show_streams -print_format json` gives a movie-rip MKV:
// a non-default English commentary first, the default French main track
// second, an English SRT, and a QuickTime-style timecode on the video.
const movieRip = {
  format: { format_name: 'matroska,webm', duration: '3.0', nb_streams: 5 },
  streams: [
    {
      index: 0,
      codec_type: 'video',
      codec_name: 'h264',
      width: 320,
      height: 240,
      disposition: { default: 1 },
      tags: { timecode: '01:00:00:00' },
    },
    {
      index: 1,
      codec_type: 'audio',
      codec_name: 'aac',
      channels: 2,
      channel_layout: 'stereo',
      sample_rate: '48000',
      disposition: { default: 0 },
      tags: { language: 'eng', title: 'Commentary' },
    },
    {
      index: 2,
      codec_type: 'audio',
      codec_name: 'dts',
      channels: 6,
      channel_layout: '5.1(side)',
      sample_rate: '48000',
      disposition: { default: 1 },
      tags: { language: 'fre', title: 'Principal\u0007' },
    },
    {
      index: 3,
      codec_type: 'subtitle',
      codec_name: 'subrip',
      disposition: { default: 0, forced: 1 },
      tags: { language: 'eng' },
    },
    {
      index: 4,
      codec_type: 'audio',
      codec_name: 'ac3',
      channels: 2,
      sample_rate: '48000',
      disposition: { default: 0 },
      tags: { language: 'und' },
    },
  ],
};

describe('the probe lists every track', () => {
  const probe = normaliseProbe(movieRip);

  it('lists every audio stream in file order, with language, title and default flag', () => {
    expect(probe.audioStreams).toEqual([
      {
        index: 1,
        codec: 'aac',
        channels: 2,
        sampleRate: 48000,
        channelLayout: 'stereo',
        language: 'eng',
        title: 'Commentary',
      },
      // A control character in a title becomes a space, then is trimmed.
      {
        index: 2,
        codec: 'dts',
        channels: 6,
        sampleRate: 48000,
        channelLayout: '5.1(side)',
        language: 'fre',
        title: 'Principal',
        isDefault: true,
      },
      // "und" is no language; a missing layout is left out.
      { index: 4, codec: 'ac3', channels: 2, sampleRate: 48000 },
    ]);
  });

  it('chooses the track a player would: the default one, not the first', () => {
    expect(probe.audio?.index).toBe(2);
    const noDefault = {
      ...movieRip,
      streams: movieRip.streams.map((stream) => ({ ...stream, disposition: { default: 0 } })),
    };
    expect(normaliseProbe(noDefault).audio?.index).toBe(1);
  });

  it('lists subtitles with their flags, and reads the timecode', () => {
    expect(probe.subtitleStreams).toEqual([{ index: 3, codec: 'subrip', language: 'eng', isForced: true }]);
    expect(probe.timecode).toBe('01:00:00:00');
  });

  it('turns a 639-1 language into the 639-2 code MP4 can carry, and drops what is not a code', () => {
    const tagged = (language: string): unknown => ({
      format: { format_name: 'matroska,webm', duration: '1' },
      streams: [{ index: 0, codec_type: 'audio', codec_name: 'aac', channels: 2, tags: { language } }],
    });
    expect(normaliseProbe(tagged('en')).audio?.language).toBe('eng');
    expect(normaliseProbe(tagged('FRE')).audio?.language).toBe('fre');
    expect(normaliseProbe(tagged('en-US')).audio?.language).toBeUndefined();
    expect(normaliseProbe(tagged('xx')).audio?.language).toBeUndefined();
  });

  it('reads a QuickTime tmcd track, and distrusts a malformed timecode', () => {
    const tmcd = {
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2' },
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'prores', width: 320, height: 240 },
        { index: 1, codec_type: 'data', codec_tag_string: 'tmcd', tags: { timecode: '10:00:00;12' } },
      ],
    };
    expect(normaliseProbe(tmcd).timecode).toBe('10:00:00;12');
    const hostile = { ...tmcd, streams: [{ ...tmcd.streams[0], tags: { timecode: '01:00:00:00 -f lavfi' } }] };
    expect(normaliseProbe(hostile).timecode).toBeUndefined();
  });
});

describe('selectAudioTrack', () => {
  const probe = normaliseProbe(movieRip);

  it('without a selector: the default track', () => {
    expect(selectAudioTrack(probe, undefined)?.index).toBe(2);
  });

  it.each([
    [0, 1],
    [1, 2],
    [2, 4],
    ['en', 1],
    ['eng', 1],
    // Matroska's bibliographic "fre", asked for in either spelling.
    ['fr', 2],
    ['fra', 2],
    ['fre', 2],
  ] as const)('audio_track %j is stream %i', (selector, index) => {
    expect(selectAudioTrack(probe, selector)?.index).toBe(index);
  });

  it('prefers the default track among several in the language', () => {
    const twoFrench = normaliseProbe({
      format: { format_name: 'matroska,webm', duration: '1' },
      streams: [
        { index: 0, codec_type: 'audio', codec_name: 'aac', channels: 2, tags: { language: 'fra' } },
        {
          index: 1,
          codec_type: 'audio',
          codec_name: 'aac',
          channels: 2,
          tags: { language: 'fra' },
          disposition: { default: 1 },
        },
      ],
    });
    expect(selectAudioTrack(twoFrench, 'fr')?.index).toBe(1);
  });

  it.each([3, 'deu', 'und'] as const)(
    'audio_track %j names no track: AUDIO_TRACK_NOT_FOUND listing the tracks',
    (selector) => {
      let thrown: unknown;
      try {
        selectAudioTrack(probe, selector);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      const error = thrown as AppError;
      expect(error).toMatchObject({ code: 'AUDIO_TRACK_NOT_FOUND', status: 422, retryable: false });
      expect(error.message).toContain(
        'the source has 3 audio tracks: 0 (eng "Commentary"), 1 (fre "Principal" default), 2',
      );
      expect(error.details).toEqual({
        audio_tracks: [
          { audio_track: 0, language: 'eng', title: 'Commentary', default: false },
          { audio_track: 1, language: 'fre', title: 'Principal', default: true },
          { audio_track: 2, default: false },
        ],
      });
    },
  );

  it('a source without audio has no track to choose', () => {
    const silent: MediaProbe = { formatName: 'mov', durationSec: 1, sizeBytes: 1, streamCount: 1, audioStreams: [] };
    expect(() => selectAudioTrack(silent, 0)).toThrow(/the source has no audio/);
    expect(selectAudioTrack(silent, undefined)).toBeUndefined();
  });

  it('withAudioTrack swaps probe.audio, and leaves the probe alone without a selector', () => {
    expect(withAudioTrack(probe, 0).audio?.index).toBe(1);
    expect(withAudioTrack(probe, undefined)).toBe(probe);
  });

  it('a hand-built probe without audioStreams has its one audio stream', () => {
    const audio = { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 };
    const handBuilt: MediaProbe = { formatName: 'mov', durationSec: 1, sizeBytes: 1, streamCount: 2, audio };
    expect(audioStreamsOf(handBuilt)).toEqual([audio]);
    expect(selectAudioTrack(handBuilt, 0)).toBe(audio);
  });
});

describe('languageKey', () => {
  it.each([
    ['fr', 'fra'],
    ['FRE', 'fra'],
    ['ger', 'deu'],
    ['de', 'deu'],
    ['chi', 'zho'],
    ['eng', 'eng'],
    ['und', undefined],
    [undefined, undefined],
    ['français', undefined],
  ])('%j → %j', (code, key) => {
    expect(languageKey(code)).toBe(key);
  });
});
