/** What the rest of the system needs to know about a media file, normalised from ffprobe. */
export interface VideoStreamInfo {
  /** Absolute stream index in the file, for `-map 0:<index>`. */
  index: number;
  codec: string;
  /** Stored (coded) width, before rotation and sample aspect ratio are applied. */
  width: number;
  height: number;
  fps?: number;
  pixFmt?: string;
  /** Display rotation in degrees, normalised to 0..359 (0 when the file has none). */
  rotation?: number;
  /** Sample (pixel) aspect ratio when it is not 1:1, e.g. 4/3 for anamorphic video. */
  sampleAspectRatio?: number;
  /** Colour signalling the file states; absent when it states none. */
  colour?: VideoColour;
  /** Present only when the file says the video is interlaced: the order of its fields. */
  fieldOrder?: FieldOrder;
}

/**
 * A video's colour signalling in FFmpeg's names; a field is absent when the
 * file leaves it unspecified (ffprobe's "unknown").
 */
export interface VideoColour {
  /** "tv" (limited: 16-235 for 8-bit luma) or "pc" (full: 0-255). */
  range?: 'tv' | 'pc';
  /** e.g. "bt709", "smpte170m", "bt470bg", "bt2020". */
  primaries?: string;
  /** e.g. "bt709", "smpte2084" (HDR10's PQ), "arib-std-b67" (HLG). */
  transfer?: string;
  /** e.g. "bt709", "smpte170m", "bt2020nc"; "gbr" for RGB. */
  matrix?: string;
}

/**
 * An interlaced video's field order in FFmpeg's names: the field coded first,
 * then the one displayed first: "tt" (top, top), "bb", "tb" (top coded,
 * bottom shown first), "bt".
 */
export type FieldOrder = 'tt' | 'bb' | 'tb' | 'bt';

export interface AudioStreamInfo {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
  /** FFmpeg's layout name ("5.1(side)", "stereo", "FL+FR+LFE"); absent when the file states only a channel count. */
  channelLayout?: string;
  /** Track labels a player shows (absent when the file sets none). */
  language?: string;
  title?: string;
  /** The file flags this track to be played when the viewer picks none. */
  isDefault?: boolean;
}

export interface SubtitleStreamInfo {
  /** Absolute stream index in the file, for `-map 0:<index>`. */
  index: number;
  /** ffprobe codec_name: "subrip", "ass", "mov_text", "hdmv_pgs_subtitle", … */
  codec: string;
  /** ISO 639-2 code as the file states it ("eng", "fre"); absent when untagged or "und". */
  language?: string;
  title?: string;
  isDefault?: boolean;
  /** Shown even when subtitles are off (foreign-language lines in a dubbed film). */
  isForced?: boolean;
}

export interface MediaProbe {
  formatName: string;
  /**
   * Seconds. What the container states when its packets bear that out;
   * otherwise (no stated duration, a bit-rate estimate, a header that
   * disagrees with the data) what the audio and video packets span. 0 only
   * when neither is known.
   */
  durationSec: number;
  sizeBytes: number;
  bitRate?: number;
  streamCount: number;
  /** The first video stream that is not an attached picture (cover art). */
  video?: VideoStreamInfo;
  /**
   * The audio stream a player would pick: the first flagged default, else the
   * first. A job's `audio_track` replaces it (see withAudioTrack).
   */
  audio?: AudioStreamInfo;
  /**
   * Every audio stream, in file order; `audio_track: 1` is the second. The
   * probe always fills it; a hand-built probe without it has just `audio`.
   */
  audioStreams?: AudioStreamInfo[];
  /** Every subtitle stream, in file order. */
  subtitleStreams?: SubtitleStreamInfo[];
  /**
   * The video's start timecode (SMPTE "HH:MM:SS:FF", ";" before the frames
   * for drop-frame), from the video stream or a QuickTime tmcd track.
   */
  timecode?: string;
  /** What a pass over every packet found (probeMedia always runs one; see probe-extent.ts). */
  extent?: MediaExtent;
  /**
   * Audio and video streams the file declares but that hold no packets (an
   * audio track recorded without a microphone, a muxer that never got
   * data). `video` and `audio` point at one only when no stream has data
   * (assertSourceComplete refuses such a file); `audioStreams` keeps them,
   * so `audio_track` numbers match what players list.
   */
  emptyStreams?: EmptyStream[];
}

/**
 * Durations as the file states them and as its packets show them. The
 * container's header is a promise; the packets are what is there.
 */
export interface MediaExtent {
  /** Seconds the audio and video packets span, from the earliest start to the latest end. */
  measuredSec: number;
  /** Seconds the packets of every stream (subtitles, timecode and data too) span: what the declared duration is checked against. */
  allStreamsSec: number;
  /** Seconds each audio or video stream's packets span, by absolute stream index; absent when it has none. */
  streamSec: Record<number, number>;
  /** The duration the container (else its longest stream) states, in seconds; 0 when it states none. */
  declaredSec: number;
  /** FFmpeg estimated the declared duration from the bit rate (ADTS AAC, MP3 without a Xing header): it proves nothing. */
  declaredIsEstimate: boolean;
}

export interface EmptyStream {
  kind: 'video' | 'audio';
  /** Absolute stream index in the file. */
  index: number;
  codec: string;
}
