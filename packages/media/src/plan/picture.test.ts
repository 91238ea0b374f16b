import type { MediaProbe, VideoStreamInfo } from '../probe-types';
import { colourPlan, colourTagArgs, HDR_REFERENCE_WHITE_NITS } from './colour';
import type { ColourConversion, OutputColour } from './colour';
import { planCompress } from './compress';
import { planConvertFormat } from './convert-format';
import { planGrayscale } from './grayscale';
import { picturePlan } from './picture';
import { planResize } from './resize';
import { deinterlaceFilters, frameTimingArgs } from './scan';
import { planSubtitleMux } from './subtitle-mux';

const hd = { width: 1920, height: 1080 };
const ntsc = { width: 720, height: 480 };
const pal = { width: 720, height: 576 };

const BT709: OutputColour = { range: 'tv', primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' };
const BT601_525: OutputColour = { range: 'tv', primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m' };

describe('colourPlan', () => {
  it.each<[string, Pick<VideoStreamInfo, 'width' | 'height' | 'pixFmt' | 'colour'>, ColourConversion, OutputColour]>([
    [
      'tagged BT.709 keeps its tags',
      { ...hd, colour: { range: 'tv', primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' } },
      'none',
      BT709,
    ],
    [
      'tagged BT.601 SD stays BT.601',
      { ...ntsc, colour: { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m' } },
      'none',
      BT601_525,
    ],
    ['untagged HD: BT.709, what players assume for it', { ...hd, pixFmt: 'yuv420p' }, 'none', BT709],
    ['untagged NTSC SD: BT.601 525-line', { ...ntsc, pixFmt: 'yuv420p' }, 'none', BT601_525],
    [
      'untagged PAL SD: BT.601 625-line primaries',
      { ...pal, pixFmt: 'yuv420p' },
      'none',
      { ...BT601_525, primaries: 'bt470bg' },
    ],
    ['untagged 1280x720 counts as HD', { width: 1280, height: 720 }, 'none', BT709],
    [
      'partly tagged: the gaps guessed by size',
      { ...ntsc, colour: { matrix: 'bt709' } },
      'none',
      { ...BT601_525, matrix: 'bt709' },
    ],
    [
      'full range (yuvj420p): rescaled to limited',
      { ...hd, pixFmt: 'yuvj420p', colour: { range: 'pc' } },
      'full-to-limited',
      BT709,
    ],
    [
      'full range VP9 tagged pc',
      { ...hd, pixFmt: 'yuv420p', colour: { range: 'pc', matrix: 'bt709' } },
      'full-to-limited',
      BT709,
    ],
    [
      'RGB (QuickTime Animation): BT.709 matrix chosen',
      { ...ntsc, pixFmt: 'rgb24' },
      'rgb-to-yuv',
      { ...BT601_525, matrix: 'bt709' },
    ],
    ['RGB planar (gbrp) tagged gbr', { ...hd, pixFmt: 'gbrp', colour: { matrix: 'gbr' } }, 'rgb-to-yuv', BT709],
    ['a palette GIF (pal8) is RGB too', { ...hd, pixFmt: 'pal8' }, 'rgb-to-yuv', BT709],
    [
      'HDR10 (PQ, BT.2020, 10-bit): tone-mapped',
      {
        ...hd,
        pixFmt: 'yuv420p10le',
        colour: { range: 'tv', primaries: 'bt2020', transfer: 'smpte2084', matrix: 'bt2020nc' },
      },
      'pq-to-sdr',
      BT709,
    ],
    [
      'HLG: tone-mapped',
      { ...hd, pixFmt: 'yuv420p10le', colour: { primaries: 'bt2020', transfer: 'arib-std-b67', matrix: 'bt2020nc' } },
      'hlg-to-sdr',
      BT709,
    ],
    [
      'PQ with only the transfer tagged: BT.2020 assumed',
      { ...hd, colour: { transfer: 'smpte2084' } },
      'pq-to-sdr',
      BT709,
    ],
    [
      'BT.2020 SDR: gamut-mapped to BT.709',
      { ...hd, pixFmt: 'yuv420p10le', colour: { primaries: 'bt2020', transfer: 'bt2020-10', matrix: 'bt2020nc' } },
      'wide-gamut-to-bt709',
      BT709,
    ],
    [
      'an unknown tag value is not passed on',
      { ...hd, colour: { primaries: 'smpte432', transfer: 'log100', matrix: 'ycgco' } },
      'none',
      BT709,
    ],
  ])('%s', (_label, video, conversion, output) => {
    const plan = colourPlan(video);
    expect(plan.conversion).toBe(conversion);
    expect(plan.output).toEqual(output);
    expect(plan.filters.length === 0).toBe(conversion === 'none');
    // Every conversion ends in the 8-bit 4:2:0 all the encoders write.
    if (conversion !== 'none') expect(plan.filters.at(-1)).toBe('format=yuv420p');
  });

  it('tone-maps PQ in linear light with diffuse white at 203 cd/m², mobius, to limited-range BT.709', () => {
    const plan = colourPlan({
      ...hd,
      colour: { range: 'tv', primaries: 'bt2020', transfer: 'smpte2084', matrix: 'bt2020nc' },
    });
    expect(HDR_REFERENCE_WHITE_NITS).toBe(203);
    expect(plan.filters).toEqual([
      'zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:rin=tv:t=linear:npl=203',
      'format=gbrpf32le',
      'zscale=p=bt709',
      'tonemap=tonemap=mobius:desat=0',
      'zscale=t=bt709:m=bt709:r=tv',
      'format=yuv420p',
    ]);
  });

  it('reads HLG and a full-range HDR source with their own input settings', () => {
    const plan = colourPlan({ ...hd, colour: { range: 'pc', transfer: 'arib-std-b67' } });
    expect(plan.filters[0]).toBe('zscale=tin=arib-std-b67:pin=bt2020:min=bt2020nc:rin=pc:t=linear:npl=203');
  });

  it('gamut-maps BT.2020 SDR with zscale names (gamma28 is bt470bg there)', () => {
    expect(colourPlan({ ...hd, colour: { primaries: 'bt2020', transfer: 'bt2020-10' } }).filters).toEqual([
      'zscale=tin=bt2020-10:pin=bt2020:min=bt2020nc:rin=tv:p=bt709:t=bt709:m=bt709:r=tv',
      'format=yuv420p',
    ]);
    expect(colourPlan({ ...hd, colour: { matrix: 'bt2020nc', transfer: 'gamma28' } }).filters[0]).toContain(
      'tin=bt470bg',
    );
  });

  it('rescales full range explicitly, so the limited-range tag is true', () => {
    expect(colourPlan({ ...hd, colour: { range: 'pc' } }).filters).toEqual([
      'scale=in_range=pc:out_range=tv',
      'format=yuv420p',
    ]);
  });

  it('writes all four colour options', () => {
    expect(colourTagArgs(BT709)).toEqual([
      '-color_range',
      'tv',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
      '-colorspace',
      'bt709',
    ]);
  });
});

describe('deinterlaceFilters', () => {
  it.each([
    [undefined, []],
    ['tt', ['bwdif=mode=send_frame:parity=tff:deint=all']],
    ['bt', ['bwdif=mode=send_frame:parity=tff:deint=all']],
    ['bb', ['bwdif=mode=send_frame:parity=bff:deint=all']],
    ['tb', ['bwdif=mode=send_frame:parity=bff:deint=all']],
  ] as const)('field order %s → %j', (fieldOrder, filters) => {
    expect(deinterlaceFilters(fieldOrder === undefined ? {} : { fieldOrder })).toEqual(filters);
  });

  it('keeps each frame’s own timestamp (VFR stays VFR, 24000/1001 stays exact)', () => {
    expect(frameTimingArgs()).toEqual(['-fps_mode', 'vfr']);
  });
});

describe('picturePlan', () => {
  it('deinterlaces before converting colour', () => {
    const plan = picturePlan({ index: 0, codec: 'h264', ...pal, fieldOrder: 'tt', colour: { range: 'pc' } });
    expect(plan.filters).toEqual([
      'bwdif=mode=send_frame:parity=tff:deint=all',
      'scale=in_range=pc:out_range=tv',
      'format=yuv420p',
    ]);
    expect(plan.deinterlaced).toBe(true);
    expect(plan.outputArgs.slice(0, 2)).toEqual(['-fps_mode', 'vfr']);
  });
});

// Every video-producing builder gets the picture plan on a re-encode and
// nothing on a stream copy: the argv is checked, not re-derived.
describe('every video-producing builder', () => {
  const hdr: VideoStreamInfo = {
    index: 0,
    codec: 'hevc',
    ...hd,
    pixFmt: 'yuv420p10le',
    fieldOrder: 'tt',
    colour: { range: 'tv', primaries: 'bt2020', transfer: 'smpte2084', matrix: 'bt2020nc' },
  };
  const probe: MediaProbe = { formatName: 'mov', durationSec: 3, sizeBytes: 1000, streamCount: 1, video: hdr };
  const io = { inputPath: '/work/in.mov', outputPath: '/work/out.mp4' };
  const expected = picturePlan(hdr);

  function filterOf(args: string[]): string {
    return args[args.indexOf('-vf') + 1] ?? '';
  }

  it.each<[string, string[], string | undefined]>([
    ['compress', planCompress({ params: { preset: 'veryfast', crf: 28 } }, probe, io).args, undefined],
    [
      'resize',
      planResize({ output_format: 'mp4', params: { width: 1280 } }, probe, io).args,
      'scale=1280:720,setsar=1',
    ],
    ['grayscale', planGrayscale({ output_format: 'webm' }, probe, io).args, 'hue=s=0'],
    ['convert_format (re-encode to WebM)', planConvertFormat({ output_format: 'webm' }, probe, io).args, undefined],
    [
      'transcribe’s subtitle mux (re-encode)',
      planSubtitleMux({ ...probe, video: { ...hdr, codec: 'prores' } }, { ...io, subtitlesPath: '/work/t.srt' }).args,
      undefined,
    ],
  ])('%s', (_label, args, operationFilter) => {
    const chain = filterOf(args);
    expect(chain.startsWith(expected.filters.join(','))).toBe(true);
    if (operationFilter !== undefined) expect(chain.endsWith(operationFilter)).toBe(true);
    const encoder = args.indexOf('-c:v');
    expect(args.slice(encoder).join(' ')).toContain(expected.outputArgs.join(' '));
  });

  it('a stream copy gets no filters and no colour options: its stream is kept as it is', () => {
    const args = planConvertFormat({ output_format: 'mkv' }, probe, io).args;
    expect(args).toContain('copy');
    expect(args).not.toContain('-vf');
    expect(args).not.toContain('-color_trc');
    expect(args).not.toContain('-fps_mode');
  });
});
