import type { VideoContainer } from '@mediaflow/domain';
import { ALLOWED_SUBTITLE_CODECS } from '../allow-lists';
import type { AudioStreamInfo, SubtitleStreamInfo } from '../probe-types';
import { channelLayoutFor } from './channel-layouts';
import type { AudioEncoderName } from './channel-layouts';
import { codecFitsContainer, subtitlePlan } from './container-codecs';

/** Mapped streams of one kind and the output options that go with them. */
export interface TrackOutput {
  /** `-map 0:<index>` pairs, in output order. */
  maps: string[];
  /** Codec, filter, metadata and disposition options. */
  args: string[];
  /** True when every stream mapped here is copied untouched (false when none is mapped). */
  copied: boolean;
  /** What was left out and why, for the job log. */
  warnings: string[];
}

/** How a stream that cannot be copied is encoded: FFmpeg args (with `:a` specifiers) and the encoder they name. */
export interface AudioEncoding {
  args: string[];
  encoder: AudioEncoderName;
}

/**
 * The audio half of a video output. Each stream is copied when the container
 * takes its codec (so lossless stays lossless), else encoded with
 * `fallback`, remapped to a layout that encoder takes (channelLayoutFor);
 * `encodeAll` encodes every stream (compress). One stream, or several
 * treated alike, get plain `-c:a`; otherwise each gets `-c:a:N`.
 *
 * Each output stream keeps its language and title. With `defaultIndex`
 * (a conversion keeping several tracks), the stream with that input index is
 * flagged default and the others are not, so players start with the one
 * the source or the job chose.
 */
export function audioTrackOutput(options: {
  streams: readonly AudioStreamInfo[];
  container: VideoContainer;
  fallback: AudioEncoding;
  encodeAll?: boolean;
  defaultIndex?: number;
}): TrackOutput {
  const { streams, container, fallback } = options;
  if (streams.length === 0) return { maps: [], args: ['-an'], copied: false, warnings: [] };

  const decisions = streams.map((stream) => {
    if (!options.encodeAll && codecFitsContainer('audio', stream.codec, container)) {
      return { codec: ['-c:a', 'copy'], filter: undefined, copied: true };
    }
    return { codec: fallback.args, filter: channelLayoutFor(stream, fallback.encoder).filter, copied: false };
  });

  const uniform = decisions.every(
    (decision) => decision.filter === undefined && decision.codec.join(' ') === decisions[0]?.codec.join(' '),
  );
  const args: string[] = [];
  if (streams.length === 1 || uniform) {
    args.push(...(decisions[0]?.codec ?? []));
    const filter = decisions[0]?.filter;
    if (streams.length === 1 && filter !== undefined) args.push('-af', filter);
  } else {
    for (const [n, decision] of decisions.entries()) {
      args.push(...withStreamIndex(decision.codec, n));
      if (decision.filter !== undefined) args.push(`-filter:a:${n}`, decision.filter);
    }
  }
  for (const [n, stream] of streams.entries()) {
    args.push(...labelArgs('a', n, stream, container));
    if (options.defaultIndex !== undefined) {
      args.push(`-disposition:a:${n}`, stream.index === options.defaultIndex ? 'default' : '0');
    }
  }
  return {
    maps: streams.flatMap((stream) => ['-map', `0:${stream.index}`]),
    args,
    copied: decisions.every((decision) => decision.copied),
    warnings: [],
  };
}

/**
 * The subtitle streams a conversion carries (see subtitlePlan): copied,
 * converted to the container's text format, or left out with a warning;
 * each with its language, title and default/forced flags.
 */
export function subtitleTrackOutput(streams: readonly SubtitleStreamInfo[], container: VideoContainer): TrackOutput {
  const maps: string[] = [];
  const args: string[] = [];
  const warnings: string[] = [];
  let copied = true;
  for (const stream of streams) {
    const plan = subtitlePlan(stream.codec, container, ALLOWED_SUBTITLE_CODECS);
    if (plan.action === 'drop') {
      warnings.push(
        `subtitle stream ${stream.index}${stream.language ? ` (${stream.language})` : ''} left out: ${plan.reason}`,
      );
      continue;
    }
    const n = maps.length / 2;
    maps.push('-map', `0:${stream.index}`);
    args.push(`-c:s:${n}`, plan.action === 'copy' ? 'copy' : plan.encoder);
    if (plan.action !== 'copy') copied = false;
    args.push(...labelArgs('s', n, stream, container));
    const flags = [...(stream.isDefault ? ['default'] : []), ...(stream.isForced ? ['forced'] : [])];
    args.push(`-disposition:s:${n}`, flags.length > 0 ? flags.join('+') : '0');
  }
  return { maps, args, copied: copied && maps.length > 0, warnings };
}

/**
 * A track's language and title. MP4 and MOV have no title field FFmpeg
 * writes; their track name is the handler name, which players list.
 */
function labelArgs(
  kind: 'a' | 's',
  n: number,
  stream: { language?: string; title?: string },
  container: VideoContainer,
): string[] {
  const args: string[] = [];
  if (stream.language) args.push(`-metadata:s:${kind}:${n}`, `language=${stream.language}`);
  if (stream.title) {
    const key = container === 'mp4' || container === 'mov' ? 'handler_name' : 'title';
    args.push(`-metadata:s:${kind}:${n}`, `${key}=${stream.title}`);
  }
  return args;
}

/** ['-c:a', 'aac', '-b:a', '128k'] → ['-c:a:1', 'aac', '-b:a:1', '128k']. */
function withStreamIndex(args: readonly string[], n: number): string[] {
  return args.map((arg) => (arg.startsWith('-') && arg.endsWith(':a') ? `${arg}:${n}` : arg));
}
