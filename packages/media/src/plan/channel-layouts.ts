/**
 * The channel-layout policy: which layout each audio encoder is fed, so that
 * every layout FFmpeg can decode encodes, and encodes to a layout players
 * recognise.
 *
 * FFmpeg 5.1 negotiates layouts on its own only for encoders that list them
 * (libmp3lame, alac). libopus and the native AAC encoder list none, so a
 * 5.1(side) source (common in movie rips: side rather than back surrounds)
 * reaches them unchanged: libopus refuses it ("Invalid channel layout"), and
 * AAC writes it with no standard channel configuration, which some players
 * reject. So:
 *
 * 1. A layout the encoder takes as it is stays as it is.
 * 2. Otherwise the source is remapped (`aformat=channel_layouts=<layout>`,
 *    swresample's rematrixing) to the encoder's layout nearest to it: the one
 *    with the smallest difference in speakers per group (front, front-wide,
 *    centre, LFE, surround — side, back and back-centre alike —, top), ties
 *    going to the one that loses fewer of the source's speakers, then to the
 *    one whose channel count is closest, then to the smaller.
 *    5.1(side) → 5.1, 7.1(wide) → 5.1 for AAC, anything → stereo for MP3.
 * 3. A stream that states only a channel count is taken to have FFmpeg's
 *    default layout for that count (what FFmpeg itself assumes when
 *    decoding: 6 channels = 5.1), then treated as in 1–2.
 * 4. A count with no default layout (9–15 channels, say) cannot be
 *    rematrixed, since nothing says which channel is where: its first two
 *    channels become stereo (`pan`).
 *
 * Stream copies keep their layout: only encodes go through this.
 */

/** The audio encoders the builders use. */
export type AudioEncoderName = 'aac' | 'libopus' | 'libmp3lame' | 'pcm_s16le';

/** Speaker positions of FFmpeg 5.1's standard layouts, as `ffmpeg -layouts` prints them. */
// prettier-ignore
export const STANDARD_LAYOUTS: Readonly<Record<string, readonly string[]>> = {
  mono: ['FC'],
  stereo: ['FL', 'FR'],
  '2.1': ['FL', 'FR', 'LFE'],
  '3.0': ['FL', 'FR', 'FC'],
  '3.0(back)': ['FL', 'FR', 'BC'],
  '4.0': ['FL', 'FR', 'FC', 'BC'],
  quad: ['FL', 'FR', 'BL', 'BR'],
  'quad(side)': ['FL', 'FR', 'SL', 'SR'],
  '3.1': ['FL', 'FR', 'FC', 'LFE'],
  '5.0': ['FL', 'FR', 'FC', 'BL', 'BR'],
  '5.0(side)': ['FL', 'FR', 'FC', 'SL', 'SR'],
  '4.1': ['FL', 'FR', 'FC', 'LFE', 'BC'],
  '5.1': ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR'],
  '5.1(side)': ['FL', 'FR', 'FC', 'LFE', 'SL', 'SR'],
  '6.0': ['FL', 'FR', 'FC', 'BC', 'SL', 'SR'],
  '6.0(front)': ['FL', 'FR', 'FLC', 'FRC', 'SL', 'SR'],
  hexagonal: ['FL', 'FR', 'FC', 'BL', 'BR', 'BC'],
  '6.1': ['FL', 'FR', 'FC', 'LFE', 'BC', 'SL', 'SR'],
  '6.1(back)': ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR', 'BC'],
  '6.1(front)': ['FL', 'FR', 'LFE', 'FLC', 'FRC', 'SL', 'SR'],
  '7.0': ['FL', 'FR', 'FC', 'BL', 'BR', 'SL', 'SR'],
  '7.0(front)': ['FL', 'FR', 'FC', 'FLC', 'FRC', 'SL', 'SR'],
  '7.1': ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR', 'SL', 'SR'],
  '7.1(wide)': ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR', 'FLC', 'FRC'],
  '7.1(wide-side)': ['FL', 'FR', 'FC', 'LFE', 'FLC', 'FRC', 'SL', 'SR'],
  octagonal: ['FL', 'FR', 'FC', 'BL', 'BR', 'BC', 'SL', 'SR'],
  hexadecagonal: ['FL', 'FR', 'FC', 'BL', 'BR', 'BC', 'SL', 'SR', 'TFL', 'TFC', 'TFR', 'TBL', 'TBC', 'TBR', 'WL', 'WR'],
  downmix: ['DL', 'DR'],
  '22.2': [
    'FL', 'FR', 'FC', 'LFE', 'BL', 'BR', 'FLC', 'FRC', 'BC', 'SL', 'SR', 'TC', 'TFL', 'TFC', 'TFR', 'TBL', 'TBC',
    'TBR', 'LFE2', 'TSL', 'TSR', 'BFC', 'BFL', 'BFR',
  ],
};

/**
 * FFmpeg's assumption for a stream that states only its channel count
 * (av_channel_layout_default: the first standard layout with that count).
 */
const DEFAULT_FOR_COUNT: Readonly<Record<number, string>> = {
  1: 'mono',
  2: 'stereo',
  3: '2.1',
  4: '4.0',
  5: '5.0',
  6: '5.1',
  7: '6.1',
  8: '7.1',
  16: 'hexadecagonal',
  24: '22.2',
};

/**
 * The layouts each encoder takes; "any" for one that stores whatever it is
 * given. Checked against FFmpeg 5.1 by encoding every standard layout.
 */
export const ENCODER_LAYOUTS: Readonly<Record<AudioEncoderName, readonly string[] | 'any'>> = {
  // The layouts FFmpeg's encoder writes with a standard AAC channel
  // configuration (1-7); any other layout is written with none.
  aac: ['mono', 'stereo', '3.0', '4.0', '5.0', '5.1', '7.1'],
  // Opus channel mapping family 1 (Vorbis channel order), as libopus takes it.
  libopus: ['mono', 'stereo', '3.0', 'quad', '5.0', '5.1', '6.1', '7.1'],
  libmp3lame: ['mono', 'stereo'],
  // WAV stores a channel mask, so any layout.
  pcm_s16le: 'any',
};

export interface ChannelLayoutChoice {
  /** The layout the encoder gets, in FFmpeg's name; "<n> channels" for an unknown layout kept as it is. */
  layout: string;
  /** The audio filter that makes it; absent when the decoded audio already has that layout. */
  filter?: string;
}

/**
 * The layout an encoder is fed for a source stream, and the filter that gets
 * it there (see the module comment for the policy). Pure.
 */
export function channelLayoutFor(
  source: { channels: number; channelLayout?: string },
  encoder: AudioEncoderName,
): ChannelLayoutChoice {
  const accepted = ENCODER_LAYOUTS[encoder];
  const stated = source.channelLayout !== undefined ? positionsOf(source.channelLayout) : undefined;
  // FFmpeg decodes a count-only stream with its default layout for that count.
  const assumed = stated ? undefined : DEFAULT_FOR_COUNT[source.channels];
  const name = stated ? (source.channelLayout as string) : assumed;
  const positions = stated ?? (assumed ? STANDARD_LAYOUTS[assumed] : undefined);

  if (name === undefined || positions === undefined) {
    // Nothing says where the channels are, so they cannot be rematrixed.
    if (accepted === 'any' || source.channels <= 0) return { layout: `${source.channels} channels` };
    if (source.channels === 1) return { layout: 'mono', filter: 'pan=mono|c0=c0' };
    return { layout: 'stereo', filter: 'pan=stereo|c0=c0|c1=c1' };
  }
  // A name FFmpeg printed that is not in the table above: say the layout outright rather than trust the guess.
  const unrecognised = source.channelLayout !== undefined && !stated;
  if (accepted === 'any' || accepted.includes(name)) {
    return unrecognised && accepted !== 'any'
      ? { layout: name, filter: `aformat=channel_layouts=${name}` }
      : { layout: name };
  }

  const score = (candidate: string): number[] => {
    const { differ, lost } = compare(positions, STANDARD_LAYOUTS[candidate] ?? []);
    return [differ, lost, Math.abs(countOf(candidate) - positions.length), countOf(candidate)];
  };
  const nearest = [...accepted].sort((a, b) => {
    const [x, y] = [score(a), score(b)];
    return x.reduce((order, value, at) => order || value - (y[at] ?? 0), 0);
  })[0];
  // Every encoder above accepts at least mono and stereo, so there is always one.
  const layout = nearest ?? 'stereo';
  return { layout, filter: `aformat=channel_layouts=${layout}` };
}

/** The filter args for one output's only audio stream (`-af`), or none. */
export function channelLayoutArgs(
  source: { channels: number; channelLayout?: string },
  encoder: AudioEncoderName,
): string[] {
  const { filter } = channelLayoutFor(source, encoder);
  return filter === undefined ? [] : ['-af', filter];
}

type SpeakerGroup = 'front' | 'wide' | 'centre' | 'lfe' | 'surround' | 'top';

// prettier-ignore
const GROUP_OF: Readonly<Record<string, SpeakerGroup>> = {
  FL: 'front', FR: 'front', DL: 'front', DR: 'front',
  FLC: 'wide', FRC: 'wide', WL: 'wide', WR: 'wide',
  FC: 'centre',
  LFE: 'lfe', LFE2: 'lfe',
  SL: 'surround', SR: 'surround', BL: 'surround', BR: 'surround', BC: 'surround',
};

/**
 * Per speaker group, how many speakers one layout has and the other lacks
 * (`differ`, both ways), and how many of the source's have no place in the
 * candidate (`lost`): 4.1 → 5.1 loses nothing, 4.1 → 4.0 loses the LFE.
 */
function compare(source: readonly string[], candidate: readonly string[]): { differ: number; lost: number } {
  const count = (positions: readonly string[]): Record<SpeakerGroup, number> => {
    const counts: Record<SpeakerGroup, number> = { front: 0, wide: 0, centre: 0, lfe: 0, surround: 0, top: 0 };
    for (const position of positions) counts[GROUP_OF[position] ?? 'top'] += 1;
    return counts;
  };
  const from = count(source);
  const to = count(candidate);
  let differ = 0;
  let lost = 0;
  for (const group of Object.keys(from) as SpeakerGroup[]) {
    differ += Math.abs(from[group] - to[group]);
    lost += Math.max(0, from[group] - to[group]);
  }
  return { differ, lost };
}

function countOf(layout: string): number {
  return STANDARD_LAYOUTS[layout]?.length ?? 0;
}

/** A standard name's speakers, or a custom layout's ("FL+FR+LFE"); undefined when neither. */
function positionsOf(layout: string): readonly string[] | undefined {
  const standard = STANDARD_LAYOUTS[layout];
  if (standard) return standard;
  return /^[A-Z][A-Z0-9]*(\+[A-Z][A-Z0-9]*)*$/.test(layout) ? layout.split('+') : undefined;
}
