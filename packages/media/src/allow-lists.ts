/**
 * What an upload may be. Strangers choose the bytes, so FFmpeg is only
 * allowed to use the demuxers and decoders that phones, cameras, browsers,
 * screen recorders and mainstream editors actually produce. Everything else
 * is attack surface without users; widening these lists is a code review,
 * not a configuration switch.
 *
 * Deliberately absent:
 * - Demuxers that open other files or URLs by name: hls/applehttp, concat
 *   and ffconcat, dash, image2 (image sequences), sdp, rtsp, rtp, subfile,
 *   lavfi, mpl2-style playlists. Behind them, an upload can make FFmpeg read
 *   any file the worker can read and encode it into the output.
 * - avi: not made by any current device or browser, and its GAB2 subtitle
 *   path (a nested, content-probed demuxer) carried the 2017 "AVI + HLS"
 *   local-file disclosure.
 * - Raw and legacy formats that are all header and no structure (yuv4mpeg,
 *   rawvideo, image pipes, tty/bin/xbin text art, data) and streaming-era
 *   containers with few uploads today (flv, asf/wmv, rm, mpeg-ps).
 */

/**
 * Demuxer names as FFmpeg spells them. A demuxer matches when any of its
 * comma-separated names is listed ("mov" matches "mov,mp4,m4a,3gp,3g2,mj2"),
 * which is how FFmpeg's own `format_whitelist` compares them.
 */
export const ALLOWED_CONTAINERS: readonly string[] = [
  'mov', // mov, mp4, m4a, 3gp, 3g2, mj2: phones, cameras, editors
  'matroska', // matroska, webm: browsers (MediaRecorder), OBS, editors
  'mpegts', // ts, mts, m2ts: AVCHD camcorders, broadcast captures
  'ogg', // ogg, ogv, oga, opus
  'wav',
  'mp3',
  'aac', // ADTS
  'flac',
  // One file, decoded as video (animated GIF → video). Not gif_pipe or
  // image2: those are image-sequence readers that open other files by name.
  'gif',
];

/** Decoders for the video stream an operation uses, by ffprobe codec_name. */
export const ALLOWED_VIDEO_CODECS: readonly string[] = [
  'h264',
  'hevc',
  'av1',
  'vp8',
  'vp9',
  'mpeg4',
  'mpeg1video',
  'mpeg2video',
  'h263', // 3GP
  'mjpeg', // still-camera MOV
  'prores',
  'dnxhd',
  'theora',
  'ffv1', // lossless archival masters (MKV)
  'gif', // animated GIF, read as video
];

/**
 * Decoders for audio streams, by ffprobe codec_name. Every audio stream of an
 * upload must be on it, since a conversion carries them all.
 */
export const ALLOWED_AUDIO_CODECS: readonly string[] = [
  'aac',
  'mp3',
  'mp2',
  'opus',
  'vorbis',
  'flac',
  'alac',
  'ac3',
  'eac3',
  'dts', // DTS and DTS-HD (core decoded) in movie rips
  'truehd', // Dolby TrueHD in Blu-ray rips
  'amr_nb', // 3GP voice
  'amr_wb',
  'pcm_u8',
  'pcm_s16le',
  'pcm_s16be',
  'pcm_s24le',
  'pcm_s24be',
  'pcm_s32le',
  'pcm_s32be',
  'pcm_f32le',
  'pcm_f32be',
  'pcm_alaw',
  'pcm_mulaw',
];

/**
 * Subtitle codecs a conversion carries, by ffprobe codec_name; any other
 * subtitle stream is left out of the output (with a job warning) rather than
 * refused, since nothing decodes it. The text ones are decoded only to be
 * re-encoded as another text format.
 */
export const ALLOWED_SUBTITLE_CODECS: readonly string[] = [
  'subrip', // SRT
  'ass',
  'ssa',
  'webvtt',
  'mov_text', // MP4/MOV timed text
  'hdmv_pgs_subtitle', // Blu-ray (image)
  'dvd_subtitle', // VobSub (image)
  'dvb_subtitle', // broadcast (image)
];

/**
 * The value of FFmpeg's `-format_whitelist` input option. FFmpeg copies it
 * into every nested input a demuxer opens, so no demuxer outside the list
 * runs at any depth.
 */
export const FORMAT_WHITELIST = ALLOWED_CONTAINERS.join(',');

/** Whether an ffprobe format_name ("matroska,webm") names an allowed demuxer. */
export function isAllowedContainer(formatName: string, allowed: readonly string[] = ALLOWED_CONTAINERS): boolean {
  return formatName.split(',').some((name) => allowed.includes(name.trim()));
}
