import type { VideoColour, VideoStreamInfo } from '../probe-types';

/**
 * Colour decisions for re-encoded video. Every encoder here writes 8-bit
 * 4:2:0 SDR (`-pix_fmt yuv420p`), so each source is brought to that without
 * changing how it looks, and the output states its colour explicitly, so a
 * player never has to guess (players guess BT.601 for small pictures and
 * BT.709 for large ones, so an untagged resize across 720p would shift hues).
 *
 * | source                         | pixels                                     | output tags                |
 * | ------------------------------ | ------------------------------------------ | -------------------------- |
 * | SDR YUV, limited range         | untouched                                  | as tagged, else guessed    |
 * | SDR YUV, full range ("pc")     | rescaled to limited range                  | as tagged, else guessed    |
 * | RGB (PNG, QuickTime Animation) | converted with the BT.709 matrix           | BT.709 matrix              |
 * | BT.2020 SDR                    | gamut-mapped to BT.709 (zscale)            | BT.709                     |
 * | HDR: PQ (HDR10) or HLG         | tone-mapped to SDR BT.709 (zscale+tonemap) | BT.709                     |
 *
 * Limited range because some players and hardware decoders ignore H.264's
 * full-range flag and would show a full-range output washed out or crushed.
 *
 * HDR needs zimg (the zscale filter). Debian's FFmpeg 5.1, which the image
 * installs, is built with it (`--enable-libzimg`). A build without it fails
 * an HDR job with FFMPEG_FAILED ("No such filter: 'zscale'") rather than
 * writing a washed-out picture; stream copies (convert_format) keep HDR
 * untouched either way.
 */

/** A re-encode's colour as its output states it: all four fields, always. */
export interface OutputColour {
  range: 'tv';
  primaries: string;
  transfer: string;
  matrix: string;
}

export type ColourConversion =
  'none' | 'full-to-limited' | 'rgb-to-yuv' | 'wide-gamut-to-bt709' | 'pq-to-sdr' | 'hlg-to-sdr';

export interface ColourPlan {
  conversion: ColourConversion;
  /** Video filters, in order, that bring decoded frames to the output's colour; empty when none are needed. */
  filters: string[];
  output: OutputColour;
}

/**
 * Luminance (cd/m²) HDR video puts diffuse white at (ITU-R BT.2408), mapped
 * to SDR white. Measured: a BT.2408 PQ or HLG grey card comes back within a
 * code value of its SDR original; 100 (zscale's habit) makes it 30 % too bright.
 */
export const HDR_REFERENCE_WHITE_NITS = 203;

const PQ = 'smpte2084';
const HLG = 'arib-std-b67';

// SDR values passed through as output tags: FFmpeg names its -color_* options accept.
const SDR_PRIMARIES = new Set(['bt709', 'bt470m', 'bt470bg', 'smpte170m', 'smpte240m', 'film']);
const SDR_TRANSFERS = new Set([
  'bt709',
  'gamma22',
  'gamma28',
  'smpte170m',
  'smpte240m',
  'iec61966-2-1',
  'iec61966-2-4',
  'bt1361e',
  'bt2020-10',
  'bt2020-12',
]);
const YUV_MATRICES = new Set(['bt709', 'fcc', 'bt470bg', 'smpte170m', 'smpte240m']);
const BT2020_MATRICES = new Set(['bt2020nc', 'bt2020c']);

// What zscale accepts as input, by FFmpeg name → zscale name (they differ for
// two transfers; zscale 5.1 misspells smpte240m's matrix, so that one is left out).
const ZSCALE_PRIMARIES = new Set([
  'bt709',
  'bt470m',
  'bt470bg',
  'smpte170m',
  'smpte240m',
  'film',
  'bt2020',
  'smpte431',
  'smpte432',
]);
const ZSCALE_MATRICES = new Set(['bt709', 'fcc', 'bt470bg', 'smpte170m', 'bt2020nc', 'bt2020c']);
const ZSCALE_TRANSFERS: Readonly<Record<string, string>> = {
  bt709: 'bt709',
  smpte170m: 'smpte170m',
  gamma22: 'bt470m',
  gamma28: 'bt470bg',
  'bt2020-10': 'bt2020-10',
  'bt2020-12': 'bt2020-12',
  'iec61966-2-1': 'iec61966-2-1',
  [PQ]: PQ,
  [HLG]: HLG,
};

const BT709: OutputColour = { range: 'tv', primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' };

// Pixel formats that hold RGB rather than YUV samples; pal8 (GIF) is a palette of RGB colours.
const RGB_PIXEL_FORMAT = /^(?:rgb|bgr|argb|abgr|0rgb|0bgr|gbr|x2rgb|x2bgr|pal8)/;

type ColourSource = Pick<VideoStreamInfo, 'width' | 'height' | 'pixFmt' | 'colour'>;

/**
 * How a source's colour becomes an 8-bit SDR output's: the filters and the
 * output tags (see the table above). Pure: decided from the probe alone.
 */
export function colourPlan(video: ColourSource): ColourPlan {
  const colour = video.colour ?? {};
  if (colour.transfer === PQ || colour.transfer === HLG) {
    return {
      conversion: colour.transfer === PQ ? 'pq-to-sdr' : 'hlg-to-sdr',
      filters: toneMapFilters(colour),
      output: BT709,
    };
  }
  if (colour.primaries === 'bt2020' || (colour.matrix !== undefined && BT2020_MATRICES.has(colour.matrix))) {
    return { conversion: 'wide-gamut-to-bt709', filters: gamutMapFilters(colour), output: BT709 };
  }
  if (colour.matrix === 'gbr' || RGB_PIXEL_FORMAT.test(video.pixFmt ?? '')) {
    // RGB has no YUV matrix to keep: choose BT.709, and say so.
    return {
      conversion: 'rgb-to-yuv',
      filters: ['scale=out_color_matrix=bt709:out_range=tv', 'format=yuv420p'],
      output: { ...sdrTags(colour, video), matrix: 'bt709' },
    };
  }
  const output = sdrTags(colour, video);
  if (colour.range === 'pc') {
    return { conversion: 'full-to-limited', filters: ['scale=in_range=pc:out_range=tv', 'format=yuv420p'], output };
  }
  return { conversion: 'none', filters: [], output };
}

/** The encoder options that write a plan's colour into the output (stream headers and container). */
export function colourTagArgs(output: OutputColour): string[] {
  // prettier-ignore
  return [
    '-color_range', output.range,
    '-color_primaries', output.primaries,
    '-color_trc', output.transfer,
    '-colorspace', output.matrix,
  ];
}

/**
 * An SDR source's own tags, each missing one filled with what players assume
 * for a picture of its size: BT.709 from 1280 wide or above 576 lines, else
 * BT.601 (625-line primaries for 576/288-line PAL, 525-line otherwise).
 */
export function sdrTags(colour: VideoColour, size: Pick<VideoStreamInfo, 'width' | 'height'>): OutputColour {
  const hd = size.width >= 1280 || size.height > 576;
  const pal = size.height === 576 || size.height === 288;
  const guessed = hd
    ? BT709
    : { range: 'tv' as const, primaries: pal ? 'bt470bg' : 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m' };
  return {
    range: 'tv',
    primaries: known(colour.primaries, SDR_PRIMARIES) ?? guessed.primaries,
    transfer: known(colour.transfer, SDR_TRANSFERS) ?? guessed.transfer,
    matrix: known(colour.matrix, YUV_MATRICES) ?? guessed.matrix,
  };
}

/** The zscale input options for a source, HDR and BT.2020 gaps filled with BT.2020 (what such sources are). */
function zscaleInput(colour: VideoColour, transfer: string): string {
  const primaries = known(colour.primaries, ZSCALE_PRIMARIES) ?? 'bt2020';
  const matrix = known(colour.matrix, ZSCALE_MATRICES) ?? 'bt2020nc';
  return `tin=${transfer}:pin=${primaries}:min=${matrix}:rin=${colour.range ?? 'tv'}`;
}

/**
 * HDR → SDR: linear light with diffuse white at 1.0, BT.709 primaries, then
 * mobius, which leaves everything up to near white as it is and rolls only
 * the highlights off (hable, the usual choice, darkens mid-grey by about a quarter),
 * then BT.709's curve and matrix in limited range, 8-bit 4:2:0. desat=0:
 * highlights keep their colour rather than fading to white. The peak comes
 * from the file's mastering/content-light metadata when it has them.
 */
function toneMapFilters(colour: VideoColour): string[] {
  const transfer = colour.transfer === HLG ? HLG : PQ;
  return [
    `zscale=${zscaleInput(colour, transfer)}:t=linear:npl=${HDR_REFERENCE_WHITE_NITS}`,
    'format=gbrpf32le',
    'zscale=p=bt709',
    'tonemap=tonemap=mobius:desat=0',
    'zscale=t=bt709:m=bt709:r=tv',
    'format=yuv420p',
  ];
}

/** BT.2020 SDR → BT.709: the same light levels, colours outside BT.709 clipped to it. */
function gamutMapFilters(colour: VideoColour): string[] {
  const transfer = ZSCALE_TRANSFERS[colour.transfer ?? ''] ?? 'bt709';
  return [`zscale=${zscaleInput(colour, transfer)}:p=bt709:t=bt709:m=bt709:r=tv`, 'format=yuv420p'];
}

function known(value: string | undefined, allowed: ReadonlySet<string>): string | undefined {
  return value !== undefined && allowed.has(value) ? value : undefined;
}
