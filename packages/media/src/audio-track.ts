import { AppError } from '@mediaflow/domain';
import { subtitleLanguageCode } from './plan/subtitle-language';
import type { AudioStreamInfo, MediaProbe } from './probe-types';

/**
 * A job's choice of audio track (`params.audio_track`): a 0-based index
 * among the source's audio streams (not among all streams), or an ISO 639
 * language code ("fr", "fra" or "fre" all mean French).
 */
export type AudioTrackSelector = number | string;

/** Every audio stream of a probe; a hand-built probe without `audioStreams` has just its `audio`. */
export function audioStreamsOf(probe: Pick<MediaProbe, 'audio' | 'audioStreams'>): readonly AudioStreamInfo[] {
  return probe.audioStreams ?? (probe.audio ? [probe.audio] : []);
}

/**
 * The audio stream a job uses: the one `selector` names, or without one the
 * probe's `audio` (the track a player would pick: flagged default, else
 * first). A language picks the default track among those in that language,
 * else the first of them.
 * @throws AppError AUDIO_TRACK_NOT_FOUND when the selector names no audio stream of the source (its details list the tracks there are).
 */
export function selectAudioTrack(
  probe: Pick<MediaProbe, 'audio' | 'audioStreams'>,
  selector: AudioTrackSelector | undefined,
): AudioStreamInfo | undefined {
  if (selector === undefined) return probe.audio;
  const streams = audioStreamsOf(probe);
  const found =
    typeof selector === 'number'
      ? streams[selector]
      : pickDefault(streams.filter((stream) => sameLanguage(stream.language, selector)));
  if (found) return found;
  const what = typeof selector === 'number' ? `audio_track ${selector}` : `audio_track "${selector}"`;
  const there =
    streams.length === 0
      ? 'the source has no audio'
      : `the source has ${streams.length} audio track${streams.length === 1 ? '' : 's'}: ${streams.map(describe).join(', ')}`;
  throw new AppError('AUDIO_TRACK_NOT_FOUND', `${what} names no audio track; ${there}`, {
    details: {
      audio_tracks: streams.map((stream, position) => ({
        audio_track: position,
        ...(stream.language ? { language: stream.language } : {}),
        ...(stream.title ? { title: stream.title } : {}),
        default: stream.isDefault === true,
      })),
    },
  });
}

/**
 * The probe with `audio` replaced by the job's choice, so every builder that
 * reads `probe.audio` uses the chosen track without knowing about selectors.
 * @throws AppError AUDIO_TRACK_NOT_FOUND (see selectAudioTrack).
 */
export function withAudioTrack(probe: MediaProbe, selector: AudioTrackSelector | undefined): MediaProbe {
  if (selector === undefined) return probe;
  const audio = selectAudioTrack(probe, selector);
  return audio ? { ...probe, audio } : probe;
}

// The twenty languages whose ISO 639-2 bibliographic code (Matroska's usual
// spelling) differs from the terminology code (MP4's, and ISO 639-3's).
// prettier-ignore
const BIBLIOGRAPHIC_TO_TERMINOLOGY: Readonly<Record<string, string>> = {
  alb: 'sqi', arm: 'hye', baq: 'eus', bur: 'mya', chi: 'zho', cze: 'ces', dut: 'nld', fre: 'fra', geo: 'kat',
  ger: 'deu', gre: 'ell', ice: 'isl', mac: 'mkd', mao: 'mri', may: 'msa', per: 'fas', rum: 'ron', slo: 'slk',
  tib: 'bod', wel: 'cym',
};

/** "fr", "fra" and "fre" → "fra"; undefined for a missing or undetermined language. */
export function languageKey(code: string | undefined): string | undefined {
  const terminology = subtitleLanguageCode(code);
  if (terminology === 'und') return undefined;
  return BIBLIOGRAPHIC_TO_TERMINOLOGY[terminology] ?? terminology;
}

function sameLanguage(a: string | undefined, b: string): boolean {
  const key = languageKey(a);
  return key !== undefined && key === languageKey(b);
}

function pickDefault(streams: readonly AudioStreamInfo[]): AudioStreamInfo | undefined {
  return streams.find((stream) => stream.isDefault) ?? streams[0];
}

/** `0 (eng "Commentary")`, `1 (fra, default)`: enough to pick another one. */
function describe(stream: AudioStreamInfo, position: number): string {
  const labels = [
    ...(stream.language ? [stream.language] : []),
    ...(stream.title ? [JSON.stringify(stream.title)] : []),
    ...(stream.isDefault ? ['default'] : []),
  ];
  return labels.length === 0 ? String(position) : `${position} (${labels.join(' ')})`;
}
