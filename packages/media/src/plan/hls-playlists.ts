import { AppError } from '@mediaflow/domain';

/**
 * Pure HLS playlist work for the finalise_hls step: reading the media
 * playlists FFmpeg's dash muxer writes, giving them one target duration, and
 * writing the master playlist from measured segment sizes. References are to
 * RFC 8216 (HTTP Live Streaming) unless stated.
 */

/** A video variant of the master playlist (the same shape as the plan's HlsVariantSpec). */
export interface HlsVariantInfo {
  /** Media playlist file name inside the package directory. */
  playlist: string;
  /** Pixels. */
  width: number;
  height: number;
  /** Frames per second, e.g. 23.976. */
  frameRate: number;
  /** RFC 6381 codec string, e.g. "avc1.64001f". */
  videoCodec: string;
}

/** The audio rendition (the same shape as the plan's HlsAudioSpec). */
export interface HlsAudioInfo {
  playlist: string;
  /** RFC 6381 codec string, e.g. "mp4a.40.2". */
  codec: string;
  /** BCP 47 language, "und" when unknown. */
  language: string;
  channels: number;
}

export interface MediaPlaylistSegment {
  /** As written in the playlist (relative to it). */
  uri: string;
  /** The EXTINF duration, seconds. */
  durationSec: number;
}

/** What the finalise step needs from a media playlist. */
export interface MediaPlaylist {
  /** EXT-X-TARGETDURATION as written, seconds; undefined when absent. */
  targetDuration?: number;
  /** EXT-X-MAP URI (the CMAF init segment), when present. */
  mapUri?: string;
  segments: MediaPlaylistSegment[];
  /** Whether EXT-X-ENDLIST is present (the playlist is complete). */
  endList: boolean;
}

/** A segment with its size on disk. */
export interface MeasuredSegment {
  durationSec: number;
  bytes: number;
}

/** Measured bit rates of one rendition, bits per second. */
export interface RenditionRates {
  /** Peak segment bit rate (see peakSegmentBitrate). */
  peakBps: number;
  /** Total size over total duration. */
  averageBps: number;
}

/** Floating-point slack when comparing EXTINF values FFmpeg printed with six decimals. */
const EPSILON = 1e-6;

/**
 * Reads a media playlist (§4.3.2: EXTINF then the segment's URI line; §4.3.2.5
 * EXT-X-MAP; §4.3.3.1 EXT-X-TARGETDURATION; §4.3.3.4 EXT-X-ENDLIST). Tags it
 * does not need are skipped.
 * @param text the playlist, UTF-8.
 * @throws AppError INTERNAL when the text is not an M3U playlist or an EXTINF has no duration or no URI.
 */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new AppError('INTERNAL', 'HLS media playlist does not start with #EXTM3U');
  const playlist: MediaPlaylist = { segments: [], endList: false };
  let pendingDuration: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXTINF:')) {
      const duration = Number(line.slice('#EXTINF:'.length).split(',')[0]);
      if (!Number.isFinite(duration) || duration < 0) {
        throw new AppError('INTERNAL', `HLS media playlist has a bad EXTINF: "${line}"`);
      }
      pendingDuration = duration;
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      playlist.targetDuration = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXT-X-MAP:')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1];
      if (uri !== undefined) playlist.mapUri = uri;
    } else if (line === '#EXT-X-ENDLIST') {
      playlist.endList = true;
    } else if (!line.startsWith('#')) {
      if (pendingDuration === undefined) {
        throw new AppError('INTERNAL', `HLS media playlist lists "${line}" without an EXTINF`);
      }
      playlist.segments.push({ uri: line, durationSec: pendingDuration });
      pendingDuration = undefined;
    }
  }
  if (pendingDuration !== undefined)
    throw new AppError('INTERNAL', 'HLS media playlist ends with an EXTINF and no URI');
  return playlist;
}

/**
 * One target duration for every media playlist of a package: the largest
 * EXTINF over all of them, rounded up, so that no EXTINF is above it at all.
 * RFC 8216 §4.3.3.1 only needs each EXTINF rounded to the nearest integer to
 * be at most the target, but some players and validators compare the raw
 * value; AAC segments end on a 1024-sample frame and 23.976 fps video on a
 * frame, so "4 s" segments run to 4.004–4.01 s and get a 5 s target. One value
 * everywhere (which dashenc does not ensure: it decides per playlist) keeps
 * players' buffering uniform across rendition switches.
 * @returns whole seconds, at least 1.
 */
export function commonTargetDuration(playlists: readonly Pick<MediaPlaylist, 'segments'>[]): number {
  let longest = 0;
  for (const playlist of playlists) {
    for (const segment of playlist.segments) longest = Math.max(longest, segment.durationSec);
  }
  return Math.max(1, Math.ceil(longest - EPSILON));
}

/**
 * A media playlist with `targetDuration` as its EXT-X-TARGETDURATION,
 * EXT-X-PLAYLIST-TYPE:VOD added when it is complete (§4.3.3.5: nothing will be
 * added or changed), and EXT-X-PROGRAM-DATE-TIME dropped: dashenc stamps the
 * encoding machine's wall clock, which means nothing for on-demand media
 * and tells everyone when the job ran. Everything else is kept as written.
 * @param targetDuration whole seconds.
 */
export function rewriteMediaPlaylist(text: string, targetDuration: number): string {
  const lines = text.split(/\r?\n/);
  const complete = lines.some((line) => line.trim() === '#EXT-X-ENDLIST');
  const hasType = lines.some((line) => line.startsWith('#EXT-X-PLAYLIST-TYPE:'));
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) continue;
    if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      out.push(`#EXT-X-TARGETDURATION:${targetDuration}`);
      if (complete && !hasType) out.push('#EXT-X-PLAYLIST-TYPE:VOD');
      continue;
    }
    out.push(line);
  }
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

/**
 * The peak segment bit rate of a rendition, in the sense §4.3.4.2 BANDWIDTH
 * uses, computed as draft-pantos-hls-rfc8216bis §4.4.4.2 defines it: the
 * largest bit rate of any contiguous run of segments whose total duration lies
 * between 0.5 and 1.5 times the target duration (bits / seconds of the run).
 * For full-length segments that is simply the largest segment's bits/EXTINF;
 * the window keeps a short final segment (an IDR frame and little else) from
 * posing as the peak. The init segment is not counted. When no run qualifies
 * (the whole rendition is shorter than half a target), the average.
 * @param segments EXTINF seconds and sizes in bytes. @param targetDuration seconds.
 * @returns bits per second, rounded up.
 */
export function peakSegmentBitrate(segments: readonly MeasuredSegment[], targetDuration: number): number {
  const low = 0.5 * targetDuration - EPSILON;
  const high = 1.5 * targetDuration + EPSILON;
  let peak = 0;
  for (let start = 0; start < segments.length; start += 1) {
    let seconds = 0;
    let bytes = 0;
    for (let end = start; end < segments.length; end += 1) {
      seconds += segments[end].durationSec;
      bytes += segments[end].bytes;
      if (seconds > high) break;
      if (seconds >= low && seconds > 0) peak = Math.max(peak, (bytes * 8) / seconds);
    }
  }
  return peak > 0 ? Math.ceil(peak) : averageSegmentBitrate(segments);
}

/**
 * The average segment bit rate (§4.3.4.2 AVERAGE-BANDWIDTH): all segment
 * bytes × 8 over all EXTINF seconds.
 * @returns bits per second, rounded up; 0 for no duration.
 */
export function averageSegmentBitrate(segments: readonly MeasuredSegment[]): number {
  let seconds = 0;
  let bytes = 0;
  for (const segment of segments) {
    seconds += segment.durationSec;
    bytes += segment.bytes;
  }
  return seconds > 0 ? Math.ceil((bytes * 8) / seconds) : 0;
}

/** The audio group's ID in the master playlist. */
const AUDIO_GROUP = 'audio';

/**
 * The master playlist (§4.3.4) of a package. Each video variant states
 * BANDWIDTH and AVERAGE-BANDWIDTH (its video's measured rates plus the
 * audio's: §4.3.4.2 has BANDWIDTH cover every rendition played with the
 * variant), CODECS (video and audio, RFC 6381), RESOLUTION and FRAME-RATE,
 * and refers to the audio group (§4.3.4.1 EXT-X-MEDIA) when there is audio.
 * An audio-only package has one variant: the audio playlist itself.
 * EXT-X-INDEPENDENT-SEGMENTS (§4.3.5.1) holds: every segment starts with a
 * keyframe (forced at each segment boundary; audio frames are all sync samples).
 * @throws AppError INTERNAL when there is neither a variant nor audio.
 */
export function buildMasterPlaylist(input: {
  variants: readonly (HlsVariantInfo & RenditionRates)[];
  audio?: HlsAudioInfo & RenditionRates;
}): string {
  const { variants, audio } = input;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (variants.length === 0) {
    if (!audio) throw new AppError('INTERNAL', 'an HLS master playlist needs a variant or an audio rendition');
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${audio.peakBps},AVERAGE-BANDWIDTH=${audio.averageBps},CODECS="${audio.codec}"`,
      audio.playlist,
    );
    return `${lines.join('\n')}\n`;
  }
  if (audio) {
    const language = audio.language && audio.language !== 'und' ? `,LANGUAGE="${audio.language}"` : '';
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME="audio"${language},DEFAULT=YES,AUTOSELECT=YES,` +
        `CHANNELS="${audio.channels}",URI="${audio.playlist}"`,
    );
  }
  for (const variant of variants) {
    const codecs = audio ? `${variant.videoCodec},${audio.codec}` : variant.videoCodec;
    const attributes = [
      `BANDWIDTH=${variant.peakBps + (audio?.peakBps ?? 0)}`,
      `AVERAGE-BANDWIDTH=${variant.averageBps + (audio?.averageBps ?? 0)}`,
      `CODECS="${codecs}"`,
      `RESOLUTION=${variant.width}x${variant.height}`,
      `FRAME-RATE=${variant.frameRate.toFixed(3)}`,
      ...(audio ? [`AUDIO="${AUDIO_GROUP}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.playlist);
  }
  return `${lines.join('\n')}\n`;
}
