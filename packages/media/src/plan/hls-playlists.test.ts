import {
  averageSegmentBitrate,
  buildMasterPlaylist,
  commonTargetDuration,
  parseMediaPlaylist,
  peakSegmentBitrate,
  rewriteMediaPlaylist,
} from './hls-playlists';

/** The code of the error a call throws (AppError codes), undefined when it does not throw. */
function thrownCode(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

// What FFmpeg 5.1's dash muxer writes with -hls_playlist 1 (times shortened).
const DASHENC_PLAYLIST = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-TARGETDURATION:4',
  '#EXT-X-MEDIA-SEQUENCE:1',
  '#EXT-X-MAP:URI="init-0.m4s"',
  '#EXTINF:4.004000,',
  '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T10:00:00.000+0000',
  'seg-0-00001.m4s',
  '#EXTINF:4.004000,',
  '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T10:00:04.004+0000',
  'seg-0-00002.m4s',
  '#EXTINF:2.002000,',
  '#EXT-X-PROGRAM-DATE-TIME:2025-01-01T10:00:08.008+0000',
  'seg-0-00003.m4s',
  '#EXT-X-ENDLIST',
  '',
].join('\n');

describe('parseMediaPlaylist', () => {
  it('reads EXTINF durations, segment URIs, EXT-X-MAP and the end', () => {
    expect(parseMediaPlaylist(DASHENC_PLAYLIST)).toEqual({
      targetDuration: 4,
      mapUri: 'init-0.m4s',
      segments: [
        { uri: 'seg-0-00001.m4s', durationSec: 4.004 },
        { uri: 'seg-0-00002.m4s', durationSec: 4.004 },
        { uri: 'seg-0-00003.m4s', durationSec: 2.002 },
      ],
      endList: true,
    });
  });

  it('accepts CRLF and EXTINF titles', () => {
    const parsed = parseMediaPlaylist('#EXTM3U\r\n#EXTINF:3.5,title\r\na.m4s\r\n');
    expect(parsed.segments).toEqual([{ uri: 'a.m4s', durationSec: 3.5 }]);
    expect(parsed.endList).toBe(false);
  });

  it.each([
    ['not a playlist', 'hello'],
    ['a URI without EXTINF', '#EXTM3U\na.m4s\n'],
    ['a bad duration', '#EXTM3U\n#EXTINF:abc,\na.m4s\n'],
    ['a dangling EXTINF', '#EXTM3U\n#EXTINF:4,\n'],
  ])('rejects %s', (_name, text) => {
    expect(thrownCode(() => parseMediaPlaylist(text))).toBe('INTERNAL');
  });
});

describe('commonTargetDuration', () => {
  const playlist = (...durations: number[]): { segments: { uri: string; durationSec: number }[] } => ({
    segments: durations.map((durationSec, i) => ({ uri: `${i}`, durationSec })),
  });

  it('is the largest EXTINF over all playlists, rounded up', () => {
    expect(commonTargetDuration([playlist(4.004, 4.004, 2.002), playlist(3.925, 4.010667, 2.069)])).toBe(5);
    expect(commonTargetDuration([playlist(4, 4, 2), playlist(3.99, 1)])).toBe(4);
    expect(commonTargetDuration([playlist(6.006), playlist(4)])).toBe(7);
  });

  it('is at least 1', () => {
    expect(commonTargetDuration([playlist(0.2)])).toBe(1);
    expect(commonTargetDuration([])).toBe(1);
  });
});

describe('rewriteMediaPlaylist', () => {
  it('sets the target duration, marks VOD, drops wall-clock dates and keeps the rest', () => {
    expect(rewriteMediaPlaylist(DASHENC_PLAYLIST, 5)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:5',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MEDIA-SEQUENCE:1',
        '#EXT-X-MAP:URI="init-0.m4s"',
        '#EXTINF:4.004000,',
        'seg-0-00001.m4s',
        '#EXTINF:4.004000,',
        'seg-0-00002.m4s',
        '#EXTINF:2.002000,',
        'seg-0-00003.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('is idempotent', () => {
    const once = rewriteMediaPlaylist(DASHENC_PLAYLIST, 5);
    expect(rewriteMediaPlaylist(once, 5)).toBe(once);
  });

  it('does not call an unfinished playlist VOD', () => {
    expect(rewriteMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.m4s\n', 4)).not.toContain(
      'PLAYLIST-TYPE',
    );
  });
});

describe('segment bit rates', () => {
  it('peak of full-length segments is the largest bits/EXTINF', () => {
    const segments = [
      { durationSec: 4, bytes: 500_000 },
      { durationSec: 4, bytes: 1_000_000 },
      { durationSec: 4, bytes: 250_000 },
    ];
    expect(peakSegmentBitrate(segments, 4)).toBe(2_000_000);
    expect(averageSegmentBitrate(segments)).toBe(Math.ceil((1_750_000 * 8) / 12));
  });

  it('a short final segment is counted with its neighbour, not alone', () => {
    const segments = [
      { durationSec: 4, bytes: 400_000 },
      { durationSec: 0.1, bytes: 60_000 },
    ];
    // Alone the last one would be 4.8 Mbit/s; within a 0.5–1.5 × target window it is 4.1 s for 460 kB.
    expect(peakSegmentBitrate(segments, 4)).toBe(Math.ceil((460_000 * 8) / 4.1));
  });

  it('falls back to the average when the whole rendition is shorter than half a target', () => {
    expect(peakSegmentBitrate([{ durationSec: 1, bytes: 1000 }], 4)).toBe(8000);
    expect(averageSegmentBitrate([])).toBe(0);
  });
});

describe('buildMasterPlaylist', () => {
  const audio = {
    playlist: 'media_2.m3u8',
    codec: 'mp4a.40.2',
    language: 'und',
    channels: 2,
    peakBps: 140_000,
    averageBps: 130_000,
  };
  const variants = [
    {
      playlist: 'media_0.m3u8',
      width: 1280,
      height: 720,
      frameRate: 24000 / 1001,
      videoCodec: 'avc1.64001f',
      peakBps: 2_000_000,
      averageBps: 1_500_000,
    },
    {
      playlist: 'media_1.m3u8',
      width: 640,
      height: 360,
      frameRate: 24000 / 1001,
      videoCodec: 'avc1.64001e',
      peakBps: 700_000,
      averageBps: 500_000,
    },
  ];

  it('states measured bandwidth including the audio, codecs, resolution, frame rate and the audio group', () => {
    expect(buildMasterPlaylist({ variants, audio })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="media_2.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=2140000,AVERAGE-BANDWIDTH=1630000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=23.976,AUDIO="audio"',
        'media_0.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=840000,AVERAGE-BANDWIDTH=630000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=23.976,AUDIO="audio"',
        'media_1.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('names a known language', () => {
    expect(buildMasterPlaylist({ variants, audio: { ...audio, language: 'en' } })).toContain(
      'NAME="audio",LANGUAGE="en"',
    );
  });

  it('has no audio group without audio', () => {
    const text = buildMasterPlaylist({ variants });
    expect(text).not.toContain('EXT-X-MEDIA');
    expect(text).toContain('BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,CODECS="avc1.64001f",RESOLUTION=1280x720');
  });

  it('makes the audio playlist the one variant of an audio-only package', () => {
    expect(buildMasterPlaylist({ variants: [], audio })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2"',
        'media_2.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('refuses an empty package', () => {
    expect(thrownCode(() => buildMasterPlaylist({ variants: [] }))).toBe('INTERNAL');
  });
});
