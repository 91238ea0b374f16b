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
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
}

export interface MediaProbe {
  formatName: string;
  /** 0 when neither the container nor any stream states a duration. */
  durationSec: number;
  sizeBytes: number;
  bitRate?: number;
  streamCount: number;
  /** The first video stream that is not an attached picture (cover art). */
  video?: VideoStreamInfo;
  /** The first audio stream. */
  audio?: AudioStreamInfo;
}
