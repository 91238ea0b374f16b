import type { VideoStreamInfo } from '../probe-types';
import { colourPlan, colourTagArgs } from './colour';
import type { ColourPlan } from './colour';
import { deinterlaceFilters, frameTimingArgs } from './scan';

/**
 * What every re-encode of a video stream does so the output looks like the
 * source: deinterlace, bring colour to 8-bit SDR without changing its look,
 * keep frame timing, and state the colour. Operations add their own filters
 * (scale, hue, …) after `filters`; a stream copy needs none of this.
 */
export interface PicturePlan {
  /** Run first, in this order: deinterlacing, then colour conversion. */
  filters: string[];
  /** Output options for the video encoder: frame timing and colour tags. */
  outputArgs: string[];
  colour: ColourPlan;
  deinterlaced: boolean;
}

export function picturePlan(video: VideoStreamInfo): PicturePlan {
  const deinterlace = deinterlaceFilters(video);
  const colour = colourPlan(video);
  return {
    // Deinterlace before any conversion: 4:2:2 → 4:2:0 and scaling would mix the two fields' lines.
    filters: [...deinterlace, ...colour.filters],
    outputArgs: [...frameTimingArgs(), ...colourTagArgs(colour.output)],
    colour,
    deinterlaced: deinterlace.length > 0,
  };
}
