import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import {
  averageSegmentBitrate,
  buildMasterPlaylist,
  commonTargetDuration,
  parseMediaPlaylist,
  peakSegmentBitrate,
  rewriteMediaPlaylist,
} from '@mediaflow/media';
import type { MediaPlaylist, MeasuredSegment, RenditionRates } from '@mediaflow/media';
import type { FinaliseHlsStep } from '@mediaflow/operations';

interface LoadedPlaylist {
  name: string;
  text: string;
  parsed: MediaPlaylist;
}

/**
 * Finishes the HLS side of a package FFmpeg's dash muxer wrote: gives every
 * media playlist (variants and audio) one EXT-X-TARGETDURATION, measures each
 * rendition's peak and average bit rate from the segment files' sizes, and
 * overwrites the master playlist with those figures plus RESOLUTION, CODECS
 * and FRAME-RATE from the plan (RFC 8216 §4.3.3.1, §4.3.4.2). The pure parts
 * live in @mediaflow/media (hls-playlists.ts); this is the file I/O.
 *
 * @param step the plan's step: `dir` relative to `workDir`, playlist names relative to `dir`.
 * @param workDir absolute path of the job's work directory.
 * @returns a few lines for the job log (target duration, per-rendition rates in kbit/s).
 * @throws AppError EMPTY_OUTPUT when a playlist or a segment it lists is missing or the playlist lists no segment;
 *   INTERNAL when a playlist cannot be parsed or names a file outside the package directory.
 */
export async function runFinaliseHlsStep(step: FinaliseHlsStep, workDir: string): Promise<string> {
  const dir = path.join(workDir, step.dir);
  const names = [...step.variants.map((variant) => variant.playlist), ...(step.audio ? [step.audio.playlist] : [])];
  const playlists = await Promise.all(names.map(async (name) => loadPlaylist(dir, name)));
  const targetDuration = commonTargetDuration(playlists.map((playlist) => playlist.parsed));

  const rates = new Map<string, RenditionRates>();
  const log: string[] = [`# finalise_hls: target duration ${targetDuration} s`];
  for (const playlist of playlists) {
    const segments = await measureSegments(dir, playlist);
    const rendition = {
      peakBps: peakSegmentBitrate(segments, targetDuration),
      averageBps: averageSegmentBitrate(segments),
    };
    rates.set(playlist.name, rendition);
    const unlisted = await unlistedSegments(dir, playlist);
    log.push(
      `# ${playlist.name}: ${segments.length} segments, peak ${kbps(rendition.peakBps)} kbit/s, ` +
        `average ${kbps(rendition.averageBps)} kbit/s` +
        (unlisted > 0 ? `, ${unlisted} segment files on disk not in the playlist` : ''),
    );
    await writeFile(path.join(dir, playlist.name), rewriteMediaPlaylist(playlist.text, targetDuration), 'utf8');
  }

  const rated = <T extends { playlist: string }>(spec: T): T & RenditionRates => ({
    ...spec,
    ...rates.get(spec.playlist)!,
  });
  const master = buildMasterPlaylist({
    variants: step.variants.map(rated),
    ...(step.audio ? { audio: rated(step.audio) } : {}),
  });
  await writeFile(path.join(dir, checkedName(step.masterName)), master, 'utf8');
  log.push(`# ${step.masterName}: ${step.variants.length} variants${step.audio ? ' + audio' : ''}`);
  return log.join('\n');
}

async function loadPlaylist(dir: string, name: string): Promise<LoadedPlaylist> {
  let text: string;
  try {
    text = await readFile(path.join(dir, checkedName(name)), 'utf8');
  } catch (error) {
    throw new AppError('EMPTY_OUTPUT', `the HLS playlist ${name} was not written`, { cause: error });
  }
  const parsed = parseMediaPlaylist(text);
  if (parsed.segments.length === 0) throw new AppError('EMPTY_OUTPUT', `the HLS playlist ${name} lists no segment`);
  return { name, text, parsed };
}

/** Each listed segment's EXTINF and size on disk (bytes). */
async function measureSegments(dir: string, playlist: LoadedPlaylist): Promise<MeasuredSegment[]> {
  return Promise.all(
    playlist.parsed.segments.map(async (segment) => {
      try {
        const info = await stat(path.join(dir, checkedName(segment.uri)));
        return { durationSec: segment.durationSec, bytes: info.size };
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw new AppError('EMPTY_OUTPUT', `${playlist.name} lists ${segment.uri}, which was not written`, {
          cause: error,
        });
      }
    }),
  );
}

/**
 * Media segment files of the same representation that the playlist leaves out.
 * Only logged: dashenc names them `seg-<representation>-<number>.m4s` after the
 * init segment's `init-<representation>.m4s`, which is how they are matched.
 */
async function unlistedSegments(dir: string, playlist: LoadedPlaylist): Promise<number> {
  const representation = /^init-(\d+)\.m4s$/.exec(playlist.parsed.mapUri ?? '')?.[1];
  if (representation === undefined) return 0;
  const listed = new Set(playlist.parsed.segments.map((segment) => segment.uri));
  const prefix = `seg-${representation}-`;
  const files = await readdir(dir);
  return files.filter((file) => file.startsWith(prefix) && !listed.has(file)).length;
}

/**
 * A playlist or segment name must be a plain file name in the package
 * directory: the URIs come from FFmpeg's output, and a slip there must not
 * make this step read or overwrite anything else.
 */
function checkedName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) {
    throw new AppError('INTERNAL', `HLS package entry "${name}" is not a plain file name`);
  }
  return name;
}

function kbps(bitsPerSecond: number): string {
  return (bitsPerSecond / 1000).toFixed(0);
}
