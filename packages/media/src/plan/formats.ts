import type { AudioFormat, OutputFormat, VideoContainer } from '@mediaflow/domain';

interface FormatFacts {
  extension: string;
  contentType: string;
  /** FFmpeg muxer, so the output never depends on how the caller named the file. */
  muxer: string;
}

const FORMATS: Record<OutputFormat, FormatFacts> = {
  mp4: { extension: 'mp4', contentType: 'video/mp4', muxer: 'mp4' },
  mov: { extension: 'mov', contentType: 'video/quicktime', muxer: 'mov' },
  mkv: { extension: 'mkv', contentType: 'video/x-matroska', muxer: 'matroska' },
  webm: { extension: 'webm', contentType: 'video/webm', muxer: 'webm' },
  mp3: { extension: 'mp3', contentType: 'audio/mpeg', muxer: 'mp3' },
  m4a: { extension: 'm4a', contentType: 'audio/mp4', muxer: 'ipod' },
  wav: { extension: 'wav', contentType: 'audio/wav', muxer: 'wav' },
  // Ogg Opus: the "opus" muxer is the Ogg muxer restricted to one Opus stream.
  opus: { extension: 'opus', contentType: 'audio/ogg', muxer: 'opus' },
  srt: { extension: 'srt', contentType: 'application/x-subrip', muxer: 'srt' },
};

export type { FormatFacts };

export function formatFacts(format: VideoContainer | AudioFormat | OutputFormat): FormatFacts {
  return FORMATS[format];
}
