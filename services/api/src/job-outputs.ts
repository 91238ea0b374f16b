import path from 'node:path';
import { AppError, parseS3Uri } from '@mediaflow/domain';
import type { Job, JobOutput, ObjectRef } from '@mediaflow/domain';
import { contentTypeForExtension } from '@mediaflow/storage';

/**
 * A job's outputs as a manifest of files and directories under its folder
 * (`<OUTPUT_PREFIX><job_id>/` in OUTPUT_BUCKET), and how a relative path
 * requested over HTTP maps to one stored object. GET /jobs/{id}/files,
 * GET /play and GET /download all resolve through here, so they cannot
 * disagree about what a job exposes.
 */

/** Where jobs' folders live: `<prefix><job_id>/` in `bucket`. */
export interface OutputLocation {
  bucket: string;
  /** OUTPUT_PREFIX: "" or ending with "/". */
  prefix: string;
}

/** One object a request resolved to. */
export interface ResolvedFile {
  /** The outputs[] entry that covers it: the file itself, or its directory. */
  output: JobOutput;
  ref: ObjectRef;
  contentType: string;
  /** The path relative to the job's folder, e.g. `stream/media_0.m3u8`. */
  relativePath: string;
}

const S3_SCHEME = 's3://';
const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

// A segment starts with a letter, digit or one of `_~+=@,-` (so never "." or
// "..") and goes on with those, combining marks and dots. Letters and digits
// of any script, because outputs are named after Unicode uploads
// (`видео_compress.mp4`). Everything a worker writes fits; `%`, `\`, spaces,
// control and format characters and "/" (a decoded %2F) do not.
const SEGMENT = /^[\p{L}\p{N}_~+=@,-][\p{L}\p{M}\p{N}._~+=@,-]{0,254}$/u;
const MAX_SEGMENTS = 16;
const MAX_PATH_LENGTH = 1024;

/**
 * The relative path a `*path` route parameter names. Express has already
 * split the URL at "/" and percent-decoded each segment, so a decoded `%2F`,
 * `%2e%2e` or `%00` shows up here inside a segment and is refused.
 *
 * @param segments `req.params.path` of a `*path` route: an array of decoded segments.
 * @returns The segments joined with "/", e.g. `stream/chunk-stream0-00001.m4s`.
 * @throws AppError INVALID_FILE_PATH (400) for no segments, an empty, "." or
 *   ".." segment, a backslash, a control character, any character outside
 *   letters, marks and digits (any script) and `. _ ~ + = @ , -`, a leading dot, more than 16 segments or
 *   more than 1024 characters.
 */
export function parseFilePath(segments: unknown): string {
  const invalid = (reason: string): AppError => new AppError('INVALID_FILE_PATH', `invalid file path: ${reason}`);
  if (!Array.isArray(segments) || segments.length === 0) throw invalid('no path');
  if (segments.length > MAX_SEGMENTS) throw invalid(`more than ${MAX_SEGMENTS} segments`);
  for (const segment of segments as unknown[]) {
    if (typeof segment !== 'string' || segment === '') throw invalid('empty segment');
    if (!SEGMENT.test(segment)) throw invalid('a segment is ".", "..", starts with "." or has a disallowed character');
  }
  const joined = (segments as string[]).join('/');
  if (joined.length > MAX_PATH_LENGTH) throw invalid(`longer than ${MAX_PATH_LENGTH} characters`);
  return joined;
}

/** `a b/c.m3u8` → `a%20b/c.m3u8`: each segment encoded, the slashes kept. */
export function encodePath(relativePath: string): string {
  return relativePath.split('/').map(encodeURIComponent).join('/');
}

/** The URL of a job's file for API-key holders, e.g. `/jobs/<id>/files/stream/master.m3u8`. */
export function fileUrl(jobId: string, relativePath: string): string {
  return `/jobs/${encodeURIComponent(jobId)}/files/${encodePath(relativePath)}`;
}

/**
 * An output's path relative to the job's folder. Current records store it
 * so; records from before the manifest hold an s3:// URI, whose key is cut
 * after `<job_id>/` (the folder, whatever OUTPUT_PREFIX was then), or, for a
 * key outside any job folder, reduced to its file name.
 */
export function relativePathOf(job: Pick<Job, 'job_id'>, output: Pick<JobOutput, 'path'>): string {
  if (!output.path.startsWith(S3_SCHEME)) return output.path;
  const key = output.path.slice(output.path.indexOf('/', S3_SCHEME.length) + 1);
  const folder = `${job.job_id}/`;
  const at = key.indexOf(folder);
  if (at === 0 || (at > 0 && key[at - 1] === '/')) return key.slice(at + folder.length);
  return path.posix.basename(key);
}

export function isDirectoryOutput(job: Pick<Job, 'job_id'>, output: Pick<JobOutput, 'path'>): boolean {
  return relativePathOf(job, output).endsWith('/');
}

/**
 * The job's outputs[], plus its `log_path` as a `log` entry when outputs[]
 * has none: a failed job's record keeps its log only there, and the API view
 * no longer shows `log_path`.
 */
export function effectiveOutputs(job: Job): JobOutput[] {
  if (job.log_path === undefined || job.outputs.some((output) => output.kind === 'log')) return job.outputs;
  return [...job.outputs, { kind: 'log', path: job.log_path, content_type: LOG_CONTENT_TYPE }];
}

/**
 * The outputs with the job's result first: the primary output, then a
 * multi-step job's later steps before earlier ones, the list's order kept
 * otherwise. Asked for a kind ("video"), a client means the result's, not
 * the first step's.
 */
export function resultFirst(outputs: readonly JobOutput[]): JobOutput[] {
  const stepOf = (output: JobOutput): number => output.step ?? Number.MAX_SAFE_INTEGER;
  return [...outputs].sort((a, b) => Number(b.primary ?? false) - Number(a.primary ?? false) || stepOf(b) - stepOf(a));
}

/** `s3://bucket/key` or, for a directory, `s3://bucket/prefix/`. */
function parseObjectUri(uri: string): ObjectRef {
  if (!uri.endsWith('/')) return parseS3Uri(uri);
  const ref = parseS3Uri(uri.slice(0, -1));
  return { bucket: ref.bucket, key: `${ref.key}/` };
}

/**
 * Where an output is stored: its `object`, else the s3:// URI an old record
 * holds in `path`, else its relative path under the job's folder.
 */
export function objectOf(job: Pick<Job, 'job_id'>, output: JobOutput, location: OutputLocation): ObjectRef {
  if (output.object !== undefined) return parseObjectUri(output.object);
  if (output.path.startsWith(S3_SCHEME)) return parseObjectUri(output.path);
  return { bucket: location.bucket, key: `${location.prefix}${job.job_id}/${output.path}` };
}

/**
 * The object a relative path names, if an outputs[] entry covers it: the
 * entry's own file (served with the entry's content type), or a file under a
 * directory entry (content type from its extension). A file entry wins over
 * a directory that also contains it, so `stream/master.m3u8` keeps the type
 * its `hls` entry declares.
 *
 * @param relativePath From {@link parseFilePath}.
 * @returns undefined when no entry covers the path.
 */
export function resolveJobFile(job: Job, relativePath: string, location: OutputLocation): ResolvedFile | undefined {
  const outputs = effectiveOutputs(job);
  for (const output of outputs) {
    if (relativePathOf(job, output) === relativePath && !relativePath.endsWith('/')) {
      return { output, ref: objectOf(job, output, location), contentType: output.content_type, relativePath };
    }
  }
  for (const output of outputs) {
    const directory = relativePathOf(job, output);
    if (!directory.endsWith('/') || relativePath.length <= directory.length || !relativePath.startsWith(directory)) {
      continue;
    }
    const base = objectOf(job, output, location);
    const prefix = base.key.endsWith('/') ? base.key : `${base.key}/`;
    return {
      output,
      ref: { bucket: base.bucket, key: `${prefix}${relativePath.slice(directory.length)}` },
      contentType: contentTypeForExtension(path.posix.extname(relativePath)),
      relativePath,
    };
  }
  return undefined;
}

/**
 * A completed job's outputs never change, so all of them are served; of a
 * failed or cancelled job only its log, which says why.
 *
 * @throws AppError JOB_NOT_COMPLETED (409) for anything else.
 */
export function assertServable(job: Job, output: JobOutput): void {
  assertNotExpired(job);
  if (job.status === 'completed') return;
  if ((job.status === 'failed' || job.status === 'cancelled') && output.kind === 'log') return;
  // A failed multi-step job keeps its finished steps' files (a retry resumes from them): they are results.
  if (job.status === 'failed' && output.step !== undefined) return;
  throw new AppError('JOB_NOT_COMPLETED', `job ${job.job_id} is ${job.status}`, {
    details: { status: job.status },
  });
}

/**
 * Retention removed the job's objects; its record stays to say so.
 *
 * @throws AppError JOB_EXPIRED (410) when the job has `expired_at`.
 */
export function assertNotExpired(job: Pick<Job, 'job_id' | 'expired_at'>): void {
  if (job.expired_at === undefined) return;
  throw new AppError('JOB_EXPIRED', `the outputs of job ${job.job_id} expired at ${job.expired_at}`, {
    details: { expired_at: job.expired_at },
  });
}

/** HLS playlists and DASH manifests: the files players resolve relative segment URIs against. */
export function isManifest(file: Pick<ResolvedFile, 'relativePath' | 'contentType'>): boolean {
  const extension = path.posix.extname(file.relativePath).toLowerCase();
  const type = file.contentType.split(';')[0].trim().toLowerCase();
  return (
    extension === '.m3u8' ||
    extension === '.mpd' ||
    type === 'application/vnd.apple.mpegurl' ||
    type === 'application/x-mpegurl' ||
    type === 'application/dash+xml'
  );
}
