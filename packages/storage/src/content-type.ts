const CONTENT_TYPES: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  // Opus is written in an Ogg container.
  opus: 'audio/ogg',
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
  // Adaptive streaming: HLS playlists, DASH manifests, CMAF/fMP4 media segments.
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  m4s: 'video/iso.segment',
  // Thumbnails and posters.
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  json: 'application/json',
  log: 'text/plain; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The media type for a file extension, with or without its leading dot. */
export function contentTypeForExtension(extension: string): string {
  const normalised = extension.trim().replace(/^\./, '').toLowerCase();
  return Object.hasOwn(CONTENT_TYPES, normalised) ? CONTENT_TYPES[normalised] : DEFAULT_CONTENT_TYPE;
}
