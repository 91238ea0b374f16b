import { z } from 'zod';

/**
 * `params.audio_track`: which of the source's audio streams the job uses, as
 * a 0-based index among its audio streams (0 is the first audio stream,
 * whatever stream number it has in the file) or an ISO 639 language code
 * ("fr", "fra", "fre"). Absent: the track a player would pick (flagged
 * default, else the first). Whether the source has such a track is only
 * known once it is probed: a job naming none fails with AUDIO_TRACK_NOT_FOUND.
 */
export const audioTrackParam = z
  .union([
    z.number().int().min(0).max(63),
    z.string().regex(/^[a-z]{2,3}$/, 'audio_track must be an audio stream index or an ISO 639 code such as "fr"'),
  ])
  .optional();
