import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobOutput } from '@mediaflow/domain';
import type { JobRepository } from '@mediaflow/repository';
import { contentTypeForExtension } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';

/**
 * A real HLS + DASH package (CMAF segments) built by FFmpeg at test time, in
 * the layout the adaptive_stream operation publishes, and a completed job
 * whose outputs[] describe it, so the API's file and playback routes can be
 * exercised before that operation exists.
 */

const run = promisify(execFile);

export interface StreamingPackage {
  /** Local folder laid out as the job's folder: stream/, poster.jpg, storyboard/, ffmpeg.log. */
  dir: string;
  /** Every file, relative to `dir`, "/"-separated. */
  files: string[];
  /** The outputs[] a worker would record for it, paths relative to the job folder. */
  outputs: JobOutput[];
  durationSeconds: number;
  segmentSeconds: number;
}

/**
 * Encodes a lavfi clip into two H.264 renditions (640x360, 320x180) and one
 * AAC track with FFmpeg 5.1's `dash` muxer and `-hls_playlist 1`: one MPD,
 * an HLS master playlist, media playlists and CMAF segments referenced by
 * relative URIs. Adds a poster, a storyboard (WebVTT + sprite) and a log.
 */
export async function buildStreamingPackage(
  dir: string,
  options: { durationSeconds?: number; segmentSeconds?: number } = {},
): Promise<StreamingPackage> {
  const durationSeconds = options.durationSeconds ?? 8;
  const segmentSeconds = options.segmentSeconds ?? 2;
  const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
  const fps = 25;
  await mkdir(path.join(dir, 'stream'), { recursive: true });
  await mkdir(path.join(dir, 'storyboard'), { recursive: true });
  const lavfi = [
    ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${fps}:duration=${durationSeconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${durationSeconds}`],
  ];
  const { stderr } = await run(ffmpeg, [
    ...['-hide_banner', '-nostdin', '-y'],
    ...lavfi,
    ...['-map', '0:v', '-map', '0:v', '-map', '1:a'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p'],
    // A keyframe exactly at every segment boundary, so segments are independently decodable.
    ...['-g', String(fps * segmentSeconds), '-keyint_min', String(fps * segmentSeconds), '-sc_threshold', '0'],
    ...['-filter:v:0', 'scale=640:360', '-b:v:0', '800k', '-filter:v:1', 'scale=320:180', '-b:v:1', '300k'],
    ...['-c:a', 'aac', '-b:a', '96k', '-ac', '2'],
    ...['-f', 'dash', '-seg_duration', String(segmentSeconds), '-use_template', '1', '-use_timeline', '0'],
    ...['-hls_playlist', '1', '-adaptation_sets', 'id=0,streams=v id=1,streams=a'],
    ...['-init_seg_name', 'init-stream$RepresentationID$.m4s'],
    ...['-media_seg_name', 'chunk-stream$RepresentationID$-$Number%05d$.m4s'],
    path.join(dir, 'stream', 'manifest.mpd'),
  ]);
  await run(ffmpeg, [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=1:duration=1', '-frames:v', '1'],
    path.join(dir, 'poster.jpg'),
  ]);
  const tiles = Math.ceil(durationSeconds / segmentSeconds);
  await run(ffmpeg, [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${fps}:duration=${durationSeconds}`],
    ...['-vf', `fps=1/${segmentSeconds},scale=160:90,tile=${tiles}x1`, '-frames:v', '1'],
    path.join(dir, 'storyboard', 'sprite.jpg'),
  ]);
  const cues = Array.from({ length: tiles }, (_, index) => {
    const from = index * segmentSeconds;
    return `${timestamp(from)} --> ${timestamp(from + segmentSeconds)}\nsprite.jpg#xywh=${index * 160},0,160,90\n`;
  });
  await writeFile(path.join(dir, 'storyboard', 'storyboard.vtt'), `WEBVTT\n\n${cues.join('\n')}`);
  await writeFile(path.join(dir, 'ffmpeg.log'), stderr);

  const files = await listFiles(dir);
  const streamFiles = files.filter((file) => file.startsWith('stream/'));
  let streamBytes = 0;
  for (const file of streamFiles) streamBytes += (await stat(path.join(dir, file))).size;
  const sizeOf = async (file: string): Promise<number> => (await stat(path.join(dir, file))).size;
  const outputs: JobOutput[] = [
    {
      kind: 'hls',
      path: 'stream/master.m3u8',
      content_type: 'application/vnd.apple.mpegurl',
      size_bytes: await sizeOf('stream/master.m3u8'),
      primary: true,
    },
    {
      kind: 'dash',
      path: 'stream/manifest.mpd',
      content_type: 'application/dash+xml',
      size_bytes: await sizeOf('stream/manifest.mpd'),
    },
    {
      kind: 'package',
      path: 'stream/',
      content_type: 'inode/directory',
      file_count: streamFiles.length,
      size_bytes: streamBytes,
    },
    { kind: 'poster', path: 'poster.jpg', content_type: 'image/jpeg', size_bytes: await sizeOf('poster.jpg') },
    { kind: 'storyboard', path: 'storyboard/storyboard.vtt', content_type: 'text/vtt' },
    { kind: 'storyboard_image', path: 'storyboard/sprite.jpg', content_type: 'image/jpeg' },
    { kind: 'log', path: 'ffmpeg.log', content_type: 'text/plain; charset=utf-8' },
  ];
  return { dir, files, outputs, durationSeconds, segmentSeconds };
}

function timestamp(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `00:${String(minutes).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}.000`;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) =>
      entry.isDirectory() ? listFiles(dir, `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
    ),
  );
  return nested.flat().sort();
}

export interface PublishedJob {
  jobId: string;
  /** `<OUTPUT_PREFIX><job_id>/` */
  folder: string;
}

/**
 * Uploads a package into a job's folder and records the job as a worker
 * would: create (queued), claim, complete with the package's outputs[]. With
 * `objects: true` the outputs carry their s3:// `object` as the worker writes it.
 */
export async function publishPackageJob(options: {
  repository: JobRepository;
  store: ObjectStore;
  bucket: string;
  outputPrefix: string;
  owner: string;
  pkg: StreamingPackage;
  /** Finish as this status instead of completed (the log is then recorded via `log_path` only). */
  finalStatus?: 'completed' | 'failed';
}): Promise<PublishedJob> {
  const { repository, store, bucket, pkg } = options;
  const jobId = randomUUID();
  const folder = `${options.outputPrefix}${jobId}/`;
  for (const file of pkg.files) {
    const body = await readFile(path.join(pkg.dir, file));
    await store.put({ bucket, key: `${folder}${file}` }, body, {
      contentType: contentTypeForExtension(path.extname(file)),
    });
  }
  const now = new Date();
  await repository.create({
    job_id: jobId,
    source: 's3://mediaflow-input/uploads/clip.mp4',
    operation: { method_name: 'compress', output_format: 'mp4', params: {} },
    created_at: now.toISOString(),
    owner: options.owner,
  });
  const workerId = 'test-packager';
  const claimed = await repository.claim({ jobId, workerId, now, leaseMs: 60_000 });
  if (!claimed) throw new Error(`could not claim job ${jobId}`);
  if (options.finalStatus === 'failed') {
    const failed = await repository.fail(jobId, workerId, {
      now: new Date(),
      error: { code: 'FFMPEG_FAILED', message: 'failed on purpose' },
      log_path: `s3://${bucket}/${folder}ffmpeg.log`,
    });
    if (!failed) throw new Error(`could not fail job ${jobId}`);
    return { jobId, folder };
  }
  const outputs = pkg.outputs.map((output) => ({ ...output, object: `s3://${bucket}/${folder}${output.path}` }));
  const completed = await repository.complete(jobId, workerId, {
    now: new Date(),
    outputs,
    output_path: `s3://${bucket}/${folder}stream/master.m3u8`,
    log_path: `s3://${bucket}/${folder}ffmpeg.log`,
  });
  if (!completed) throw new Error(`could not complete job ${jobId}`);
  return { jobId, folder };
}
