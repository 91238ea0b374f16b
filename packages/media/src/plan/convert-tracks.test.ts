import type { AudioStreamInfo, MediaProbe, SubtitleStreamInfo } from '../probe-types';
import { planCompress } from './compress';
import { planConvertFormat } from './convert-format';
import { planExtractAudio } from './extract-audio';
import { planSubtitleMux } from './subtitle-mux';
import { planTranscriptionAudio } from './transcription-audio';

// Which tracks a conversion keeps and how, read off the argv; the real
// FFmpeg runs are in @mediaflow/operations' faithful-tracks.ffmpeg.test.ts.

const io = { inputPath: '/work/job/source.mkv', outputPath: '/work/job/out.bin' };

const commentary: AudioStreamInfo = {
  index: 1,
  codec: 'aac',
  channels: 2,
  sampleRate: 48000,
  channelLayout: 'stereo',
  language: 'eng',
  title: 'Commentary',
};
const main: AudioStreamInfo = {
  index: 2,
  codec: 'dts',
  channels: 6,
  sampleRate: 48000,
  channelLayout: '5.1(side)',
  language: 'fre',
  title: 'Principal',
  isDefault: true,
};
const srt: SubtitleStreamInfo = { index: 3, codec: 'subrip', language: 'eng', isDefault: true };
const pgs: SubtitleStreamInfo = { index: 4, codec: 'hdmv_pgs_subtitle', language: 'fre', isForced: true };

function movieRip(overrides: Partial<MediaProbe> = {}): MediaProbe {
  return {
    formatName: 'matroska,webm',
    durationSec: 3,
    sizeBytes: 1000,
    streamCount: 5,
    video: { index: 0, codec: 'h264', width: 320, height: 240, fps: 25, pixFmt: 'yuv420p' },
    audio: main,
    audioStreams: [commentary, main],
    subtitleStreams: [srt, pgs],
    timecode: '01:00:00:00',
    ...overrides,
  };
}

/** Every value following `flag`. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, at) => (arg === flag ? [args[at + 1] ?? ''] : []));
}

function valueOf(args: string[], flag: string): string | undefined {
  return valuesOf(args, flag)[0];
}

describe('planConvertFormat keeps every track the container holds', () => {
  it('MKV: copies both audio tracks and both subtitles, with labels and flags', () => {
    const plan = planConvertFormat({ output_format: 'mkv' }, movieRip(), io);
    const { args } = plan;
    expect(valuesOf(args, '-map')).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4']);
    // DTS fits Matroska: one -c:a for both.
    expect(valueOf(args, '-c:a')).toBe('copy');
    expect(valueOf(args, '-c:s:0')).toBe('copy');
    expect(valueOf(args, '-c:s:1')).toBe('copy');
    expect(valuesOf(args, '-metadata:s:a:0')).toEqual(['language=eng', 'title=Commentary']);
    expect(valuesOf(args, '-metadata:s:a:1')).toEqual(['language=fre', 'title=Principal']);
    expect(valueOf(args, '-disposition:a:0')).toBe('0');
    expect(valueOf(args, '-disposition:a:1')).toBe('default');
    expect(valueOf(args, '-disposition:s:0')).toBe('default');
    expect(valueOf(args, '-disposition:s:1')).toBe('forced');
    expect(valueOf(args, '-disposition:v:0')).toBe('default');
    expect(valueOf(args, '-metadata:s:v:0')).toBe('timecode=01:00:00:00');
    // Global metadata is still dropped.
    expect(valueOf(args, '-map_metadata')).toBe('-1');
    expect(plan.copiedStreams).toEqual(['video', 'audio']);
    expect(plan.warnings).toBeUndefined();
  });

  it('MP4: copies the AAC, encodes the DTS to AAC 5.1, converts SRT to mov_text, leaves the PGS out with a warning', () => {
    const plan = planConvertFormat({ output_format: 'mp4' }, movieRip(), io);
    const { args } = plan;
    expect(valuesOf(args, '-map')).toEqual(['0:0', '0:1', '0:2', '0:3']);
    expect(args).not.toContain('-c:a');
    expect(valueOf(args, '-c:a:0')).toBe('copy');
    expect(valueOf(args, '-c:a:1')).toBe('aac');
    expect(valueOf(args, '-b:a:1')).toBe('128k');
    expect(valueOf(args, '-filter:a:1')).toBe('aformat=channel_layouts=5.1');
    expect(valueOf(args, '-filter:a:0')).toBeUndefined();
    expect(valueOf(args, '-c:s:0')).toBe('mov_text');
    // MP4 has no track title FFmpeg writes; the handler name is what players list.
    expect(valuesOf(args, '-metadata:s:a:0')).toEqual(['language=eng', 'handler_name=Commentary']);
    expect(valueOf(args, '-metadata:s:v:0')).toBe('timecode=01:00:00:00');
    expect(plan.copiedStreams).toEqual(['video']);
    expect(plan.warnings).toEqual([
      'subtitle stream 4 (fre) left out: MP4 cannot hold image subtitles ("hdmv_pgs_subtitle"); convert to MKV to keep them',
    ]);
  });

  it('WebM: Opus for both tracks (5.1(side) remapped to 5.1), WebVTT subtitles, no timecode', () => {
    const { args, warnings } = planConvertFormat({ output_format: 'webm' }, movieRip(), io);
    expect(valueOf(args, '-c:a:0')).toBe('libopus');
    expect(valueOf(args, '-c:a:1')).toBe('libopus');
    expect(valueOf(args, '-filter:a:0')).toBeUndefined();
    expect(valueOf(args, '-filter:a:1')).toBe('aformat=channel_layouts=5.1');
    expect(valueOf(args, '-c:s:0')).toBe('webvtt');
    expect(valuesOf(args, '-metadata:s:v:0')).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it('MOV: 24-bit PCM is copied, not encoded', () => {
    const pcm: AudioStreamInfo = {
      index: 1,
      codec: 'pcm_s24le',
      channels: 2,
      sampleRate: 48000,
      channelLayout: 'stereo',
      isDefault: true,
    };
    const probe = movieRip({
      video: { index: 0, codec: 'prores', width: 320, height: 240 },
      audio: pcm,
      audioStreams: [pcm],
      subtitleStreams: [],
    });
    const plan = planConvertFormat({ output_format: 'mov' }, probe, io);
    expect(valueOf(plan.args, '-c:v')).toBe('copy');
    expect(valueOf(plan.args, '-c:a')).toBe('copy');
    expect(valueOf(plan.args, '-metadata:s:v:0')).toBe('timecode=01:00:00:00');
    expect(plan.copiedStreams).toEqual(['video', 'audio']);
  });

  it("the probe's audio is the default track: the job's audio_track, once withAudioTrack swapped it in", () => {
    const { args } = planConvertFormat({ output_format: 'mkv' }, movieRip({ audio: commentary }), io);
    expect(valueOf(args, '-disposition:a:0')).toBe('default');
    expect(valueOf(args, '-disposition:a:1')).toBe('0');
  });

  it('leaves out a subtitle codec outside the allow-list, even for MKV', () => {
    const plan = planConvertFormat(
      { output_format: 'mkv' },
      movieRip({ subtitleStreams: [{ index: 3, codec: 'arib_caption' }] }),
      io,
    );
    expect(valuesOf(plan.args, '-map')).toEqual(['0:0', '0:1', '0:2']);
    expect(plan.warnings).toEqual(['subtitle stream 3 left out: the subtitle codec "arib_caption" is not supported']);
  });

  it('converts MP4 timed text to SRT for MKV, which cannot hold mov_text', () => {
    const { args } = planConvertFormat(
      { output_format: 'mkv' },
      movieRip({ subtitleStreams: [{ index: 3, codec: 'mov_text' }] }),
      io,
    );
    expect(valueOf(args, '-c:s:0')).toBe('srt');
    expect(valueOf(args, '-disposition:s:0')).toBe('0');
  });
});

describe('the chosen track and the channel-layout policy in the other builders', () => {
  it('compress encodes only the chosen track, a 5.1(side) one as AAC 5.1', () => {
    const { args } = planCompress({ params: { crf: 28, preset: 'veryfast' } }, movieRip(), io);
    expect(valuesOf(args, '-map')).toEqual(['0:0', '0:2']);
    expect(valueOf(args, '-c:a')).toBe('aac');
    expect(valueOf(args, '-af')).toBe('aformat=channel_layouts=5.1');
    expect(valuesOf(args, '-metadata:s:a:0')).toEqual(['language=fre', 'handler_name=Principal']);
    expect(args).not.toContain('-disposition:a:0');
  });

  it.each([
    ['opus', 'aformat=channel_layouts=5.1'],
    ['m4a', 'aformat=channel_layouts=5.1'],
    ['mp3', 'aformat=channel_layouts=stereo'],
    ['wav', undefined],
  ] as const)('extract_audio to %s: -af %s', (format, filter) => {
    const { args } = planExtractAudio({ output_format: format }, movieRip(), io);
    expect(valuesOf(args, '-map')).toEqual(['0:2']);
    expect(valueOf(args, '-af')).toBe(filter);
  });

  it('transcription reads the chosen track', () => {
    expect(valuesOf(planTranscriptionAudio(movieRip(), io).args, '-map')).toEqual(['0:2']);
  });

  it('transcription pans unplaceable channels before the mono downmix', () => {
    const odd: AudioStreamInfo = { index: 1, codec: 'pcm_s16le', channels: 10, sampleRate: 48000 };
    const { args } = planTranscriptionAudio(movieRip({ audio: odd, audioStreams: [odd] }), io);
    expect(valueOf(args, '-af')).toBe('pan=stereo|c0=c0|c1=c1');
    expect(valueOf(args, '-ac')).toBe('1');
  });

  it('the subtitle mux carries the track the transcription heard', () => {
    const muxIo = { ...io, subtitlesPath: '/work/job/t.srt' };
    expect(valuesOf(planSubtitleMux(movieRip(), muxIo).args, '-map')).toEqual(['0:0', '0:2', '1:0']);
    const chosen = planSubtitleMux(movieRip(), muxIo, { audioStreamIndex: 1 });
    expect(valuesOf(chosen.args, '-map')).toEqual(['0:0', '0:1', '1:0']);
    // DTS does not fit MP4: encoded to AAC in a layout it takes.
    expect(valueOf(planSubtitleMux(movieRip(), muxIo).args, '-af')).toBe('aformat=channel_layouts=5.1');
  });
});
