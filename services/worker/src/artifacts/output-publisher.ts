import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { JobOutput, ObjectRef } from '@mediaflow/domain';
import type { OutputManifestEntry } from '@mediaflow/operations';
import { contentTypeForExtension } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';

/** Where one job's objects live: everything it writes is under this prefix, so one prefix delete removes it all. */
export interface JobFolder {
  bucket: string;
  /** `<OUTPUT_PREFIX><job_id>/` */
  prefix: string;
}

export function jobFolder(options: { bucket: string; outputPrefix: string; jobId: string }): JobFolder {
  return { bucket: options.bucket, prefix: `${options.outputPrefix}${options.jobId}/` };
}

export function objectIn(folder: JobFolder, relative: string): ObjectRef {
  return { bucket: folder.bucket, key: `${folder.prefix}${relative}` };
}

/** Files published concurrently; S3 round trips dominate for a package's many small segments. */
const UPLOAD_CONCURRENCY = 8;

/**
 * Uploads what an operation's manifest names from the work directory into
 * the job's folder, a directory file by file, and returns the outputs[]
 * entries to store. Entries keep the manifest's order.
 * @throws AppError EMPTY_OUTPUT when a listed file is missing or a listed directory is missing or empty (the plan promised it).
 * @throws the store's errors (STORAGE_ERROR, JOB_ABORTED when the signal fired).
 */
export async function publishOutputs(options: {
  store: ObjectStore;
  folder: JobFolder;
  workDir: string;
  manifest: readonly OutputManifestEntry[];
  signal: AbortSignal;
}): Promise<JobOutput[]> {
  const { store, folder, workDir, manifest, signal } = options;
  const outputs: JobOutput[] = [];
  for (const entry of manifest) {
    const local = path.join(workDir, entry.path);
    if (entry.path.endsWith('/')) {
      const files = await listFiles(local).catch(() => []);
      if (files.length === 0) throw new AppError('EMPTY_OUTPUT', `the operation wrote nothing into ${entry.path}`);
      let total = 0;
      await forEachLimited(files, UPLOAD_CONCURRENCY, async (file) => {
        const relative = `${entry.path}${path.relative(local, file).split(path.sep).join('/')}`;
        total += await putFile(store, objectIn(folder, relative), file, contentTypeFor(relative), signal);
      });
      outputs.push({
        kind: entry.kind,
        path: entry.path,
        content_type: entry.contentType,
        size_bytes: total,
        file_count: files.length,
        object: formatS3Uri(objectIn(folder, entry.path)),
        ...(entry.primary ? { primary: true } : {}),
      });
      continue;
    }
    const ref = objectIn(folder, entry.path);
    // A file inside a directory output was already uploaded with it.
    const size = insideDirectory(manifest, entry.path)
      ? (await stat(local)).size
      : await putFile(store, ref, local, entry.contentType, signal);
    outputs.push({
      kind: entry.kind,
      path: entry.path,
      content_type: entry.contentType,
      size_bytes: size,
      object: formatS3Uri(ref),
      ...(entry.primary ? { primary: true } : {}),
    });
  }
  return outputs;
}

function insideDirectory(manifest: readonly OutputManifestEntry[], file: string): boolean {
  return manifest.some((entry) => entry.path.endsWith('/') && file.startsWith(entry.path));
}

async function putFile(
  store: ObjectStore,
  ref: ObjectRef,
  file: string,
  contentType: string,
  signal: AbortSignal,
): Promise<number> {
  const { size } = await stat(file).catch(() => {
    throw new AppError('EMPTY_OUTPUT', `the operation did not write ${path.basename(file)}`);
  });
  // An empty file is a result: the SRT of a source with nothing to hear is empty.
  await store.put(ref, createReadStream(file), { contentType, contentLength: size, signal });
  return size;
}

/** Files of a package by extension; CMAF segments and init segments are ISO BMFF. */
function contentTypeFor(relative: string): string {
  return contentTypeForExtension(path.posix.extname(relative));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(lanes);
}
