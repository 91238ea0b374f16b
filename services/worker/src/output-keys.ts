import path from 'node:path';
import type { ObjectRef } from '@mediaflow/domain';

/** A download name derived from the source, safe for any header or file system. */
export function outputBaseName(sourceKey: string, methodName: string): string {
  const stem = path.posix.basename(sourceKey).replace(/\.[^.]*$/, '');
  const safeStem = stem
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 80);
  return `${safeStem || 'media'}_${methodName}`;
}

export interface JobOutputKeys {
  output: ObjectRef;
  log: ObjectRef;
  /** Further outputs of the same job (a transcription's other formats), removed with it on cancel. */
  extra?: readonly ObjectRef[];
}

/** Where a job's artefacts go: one folder per job under the output prefix. */
export function jobOutputKeys(options: {
  bucket: string;
  prefix: string;
  jobId: string;
  sourceKey: string;
  methodName: string;
  extension: string;
}): JobOutputKeys {
  const folder = `${options.prefix}${options.jobId}/`;
  return {
    output: {
      bucket: options.bucket,
      key: `${folder}${outputBaseName(options.sourceKey, options.methodName)}.${options.extension}`,
    },
    log: { bucket: options.bucket, key: `${folder}ffmpeg.log` },
  };
}
