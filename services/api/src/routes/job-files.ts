import { Router } from 'express';

import { AppError } from '@mediaflow/domain';
import type { Job, Logger } from '@mediaflow/domain';
import type { ObjectStore } from '@mediaflow/storage';
import { principalOf } from '../auth/require-api-key';
import { serveObject } from '../http/serve-object';
import type { ServeObjectOptions } from '../http/serve-object';
import type { JobService } from '../job-service';
import {
  assertNotExpired,
  assertServable,
  effectiveOutputs,
  encodePath,
  isDirectoryOutput,
  isManifest,
  parseFilePath,
  relativePathOf,
  resolveJobFile,
  resultFirst,
} from '../job-outputs';
import type { OutputLocation, ResolvedFile } from '../job-outputs';
import { signPlaybackToken, verifyPlaybackToken } from '../playback-token';

/**
 * A job's files over HTTP, two ways:
 *
 * - `GET|HEAD /jobs/{job_id}/files/{path}` for API-key holders (owner check).
 * - `GET /jobs/{job_id}/playback` hands out `/play/<token>/<path>` URLs, and
 *   `GET|HEAD /play/{token}/{path}` serves them without an API key, so a
 *   browser's video player can fetch a package. The token is a path prefix:
 *   the relative segment URIs in playlists and MPDs inherit it.
 *
 * Caching. Every output of a completed job is immutable (a completed job is
 * never run again and a VOD package is written once), so playlists and MPDs
 * are cached like segments; there is no live playlist to refresh.
 * - /jobs/…/files: `private, max-age=31536000, immutable`. `private`, not
 *   `public`: the request carries an API key and the URL is the same for every
 *   key, so a shared cache storing it would hand the file to callers the owner
 *   check refuses. A failed or cancelled job's log may be rewritten by a
 *   retry: `private, no-cache`.
 * - /play: `public, max-age=<seconds until the token expires>, immutable`. The
 *   token in the URL is the authorisation, so a shared cache (a CDN) may keep
 *   the response, but never past the token's expiry. Errors are `no-store`.
 *
 * Delivery (PLAYBACK_DELIVERY). `proxy` streams every byte through the API.
 * `redirect` (S3 only; the local store falls back to proxying) answers a GET
 * of a segment, image or other file with 302 to a presigned S3 URL, so the
 * API carries no media bytes. Playlists and MPDs are always proxied: hls.js
 * and dash.js resolve relative URIs against the final (redirected) URL, which
 * would lose the `/play/<token>/` prefix. A file under a directory entry is
 * redirected without checking that it exists: S3 answers 403/404 itself.
 * For browsers, the bucket must allow CORS from the player's origin (after a
 * cross-origin redirect the request's Origin is `null`).
 */

export interface PlaybackSettings {
  /** HMAC-SHA256 key for tokens. */
  signingKey: Buffer;
  /** PLAYBACK_URL_TTL_SECONDS. */
  ttlSeconds: number;
  delivery: 'redirect' | 'proxy';
}

export interface JobFileDeps {
  jobs: JobService;
  store: ObjectStore;
  logger: Logger;
  location: OutputLocation;
  playback: PlaybackSettings;
  /** Unix milliseconds; tests may pin it. */
  now?: () => number;
}

/** The kinds GET /jobs/{id}/playback returns a URL for, in response-field order. */
export const PLAYBACK_KINDS = [
  'hls',
  'dash',
  'video',
  'audio',
  'vtt',
  'poster',
  'storyboard',
  'storyboard_image',
] as const;
export type PlaybackKind = (typeof PLAYBACK_KINDS)[number];
/** A job with one of these has something a <video> or <audio> element can play (MP4 and audio files directly). */
const PLAYABLE_KINDS: readonly PlaybackKind[] = ['hls', 'dash', 'video', 'audio'];

/** The body of GET /jobs/{id}/playback. */
export type PlaybackUrls = { expires_at: string } & Partial<Record<PlaybackKind, string>>;

const ONE_YEAR_SECONDS = 31_536_000;
// A presigned URL from /jobs/…/files outlives the redirect only long enough
// to be followed; S3 checks it when a request starts, so long downloads work.
const FILE_REDIRECT_SECONDS = 300;
// S3 refuses presigned URLs that live longer than 7 days.
const MAX_PRESIGN_SECONDS = 604_800;

/** The token's URL for a file: `/play/<token>/<path>`. */
export function playUrl(token: string, relativePath: string): string {
  return `/play/${token}/${encodePath(relativePath)}`;
}

function nowSeconds(deps: JobFileDeps): number {
  return Math.floor((deps.now?.() ?? Date.now()) / 1000);
}

/** Which object a request names, after the path, the outputs[] and the job's status are checked. */
function resolveOrThrow(job: Job, rawPath: unknown, location: OutputLocation): ResolvedFile {
  const relativePath = parseFilePath(rawPath);
  const file = resolveJobFile(job, relativePath, location);
  if (!file) {
    throw new AppError('NOT_FOUND', `job ${job.job_id} has no output file ${relativePath}`);
  }
  assertServable(job, file.output);
  return file;
}

function serveOptions(
  deps: JobFileDeps,
  job: Job,
  file: ResolvedFile,
  caching: Pick<ServeObjectOptions, 'cacheControl' | 'headers' | 'redirect'>,
): ServeObjectOptions {
  const redirect = deps.playback.delivery === 'redirect' && !isManifest(file) ? caching.redirect : undefined;
  return {
    ref: file.ref,
    contentType: file.contentType,
    cacheControl: caching.cacheControl,
    ...(caching.headers ? { headers: caching.headers } : {}),
    ...(redirect ? { redirect } : {}),
    description: `output file ${file.relativePath} of job ${job.job_id}`,
    logContext: { jobId: job.job_id, path: file.relativePath },
  };
}

/** GET|HEAD /jobs/:job_id/files/*path and GET /jobs/:job_id/playback; both behind the API key. */
export function jobFileRoutes(deps: JobFileDeps): Router {
  const router = Router();

  router.get('/jobs/:job_id/files/*path', async (req, res) => {
    const job = await deps.jobs.get(req.params.job_id, principalOf(res));
    const file = resolveOrThrow(job, req.params.path, deps.location);
    const cacheControl =
      job.status === 'completed' ? `private, max-age=${ONE_YEAR_SECONDS}, immutable` : 'private, no-cache';
    await serveObject(
      req,
      res,
      deps.store,
      deps.logger,
      serveOptions(deps, job, file, {
        cacheControl,
        redirect: { expiresInSeconds: FILE_REDIRECT_SECONDS, cacheControl: 'no-store' },
      }),
    );
  });

  router.get('/jobs/:job_id/playback', async (req, res) => {
    const job = await deps.jobs.get(req.params.job_id, principalOf(res));
    assertNotExpired(job);
    if (job.status !== 'completed') {
      throw new AppError('JOB_NOT_COMPLETED', `job ${job.job_id} is ${job.status}`, {
        details: { status: job.status },
      });
    }
    const files = new Map<PlaybackKind, string>();
    // The job's result plays, not an earlier step's.
    for (const output of resultFirst(effectiveOutputs(job))) {
      const kind = PLAYBACK_KINDS.find((candidate) => candidate === output.kind);
      if (kind && !files.has(kind) && !isDirectoryOutput(job, output)) files.set(kind, relativePathOf(job, output));
    }
    if (!PLAYABLE_KINDS.some((kind) => files.has(kind))) {
      throw new AppError('NOT_FOUND', `job ${job.job_id} has no HLS, DASH, video or audio output to play`, {
        details: { available: job.outputs.map((output) => output.kind) },
      });
    }
    const expiresAt = nowSeconds(deps) + deps.playback.ttlSeconds;
    const token = signPlaybackToken(deps.playback.signingKey, { jobId: job.job_id, expiresAt });
    const body: PlaybackUrls = { expires_at: new Date(expiresAt * 1000).toISOString() };
    for (const [kind, relativePath] of files) body[kind] = playUrl(token, relativePath);
    // The URLs are credentials until they expire.
    res.set('Cache-Control', 'no-store').json(body);
  });

  return router;
}

/**
 * GET|HEAD /play/:token/*path. Mounted before requireApiKey: the token is
 * the authorisation, checked here.
 */
export function playRoutes(deps: JobFileDeps): Router {
  const router = Router();

  router.get('/play/:token/*path', async (req, res) => {
    // Until the bytes are known good, nothing may be cached: an error for a
    // token must not outlive a fix, and a 404 is cacheable by default.
    res.set('Cache-Control', 'no-store');
    const now = nowSeconds(deps);
    const claims = verifyPlaybackToken(deps.playback.signingKey, req.params.token, { nowSeconds: now });
    // No viewer: whoever holds a valid token may read this job's files.
    const job = await deps.jobs.get(claims.jobId);
    const file = resolveOrThrow(job, req.params.path, deps.location);
    // A token is handed to viewers; the log (commands, paths, timings) is for the key's owner only.
    if (file.output.kind === 'log') throw new AppError('NOT_FOUND', 'the log is not served through playback URLs');
    const secondsLeft = Math.max(1, claims.expiresAt - now);
    await serveObject(
      req,
      res,
      deps.store,
      deps.logger,
      serveOptions(deps, job, file, {
        cacheControl: `public, max-age=${Math.min(secondsLeft, ONE_YEAR_SECONDS)}, immutable`,
        // Posters and storyboard sprites go into <img> elements of other sites (no-cors requests).
        headers: { 'Cross-Origin-Resource-Policy': 'cross-origin' },
        redirect: {
          expiresInSeconds: Math.min(secondsLeft, MAX_PRESIGN_SECONDS),
          cacheControl: `public, max-age=${secondsLeft}`,
        },
      }),
    );
  });

  // `/play/<token>` or `/play/<token>/` names no file; without this it would fall through to the API-key check (401).
  router.use('/play', () => {
    throw new AppError('NOT_FOUND', 'a playback URL names a file: /play/{token}/{path}');
  });

  return router;
}
