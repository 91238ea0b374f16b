import { errorMessage } from '@mediaflow/domain';
import { UPLOADS_PREFIX } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { sweepLocalTusUploads, TUS_KEY_PREFIX } from './tus-uploads';
import type { TusUploadsDeps } from './tus-uploads';

export interface UploadSweepOptions {
  store: ObjectStore;
  inputBucket: string;
  /** Uploads started before this instant are aborted. */
  startedBefore: Date;
}

/**
 * Aborts the multipart uploads under `uploads/` of the input bucket started
 * before the cutoff, presigned and tus ones alike (tus's `.info` and `.part`
 * objects go with them), freeing their parts. Every API replica may run it:
 * aborting an upload twice is harmless.
 *
 * @returns How many uploads were aborted.
 * @throws AppError STORAGE_ERROR when the store fails; uploads aborted until then stay aborted.
 */
export async function sweepIncompleteUploads(options: UploadSweepOptions): Promise<number> {
  const { store, inputBucket, startedBefore } = options;
  let aborted = 0;
  for await (const upload of store.listMultipartUploads({ bucket: inputBucket, key: UPLOADS_PREFIX })) {
    if (!upload.initiated || upload.initiated >= startedBefore) continue;
    const ref = { bucket: inputBucket, key: upload.key };
    await store.abortMultipartUpload(ref, upload.uploadId);
    if (upload.key.startsWith(TUS_KEY_PREFIX)) {
      for (const suffix of ['.info', '.part'])
        await store.delete({ bucket: inputBucket, key: `${upload.key}${suffix}` });
    }
    aborted += 1;
  }
  return aborted;
}

/**
 * Runs the sweep every UPLOAD_SWEEP_INTERVAL_SECONDS (and once soon after
 * start) in this process; failures are logged and retried next time.
 *
 * @returns stop(), which waits for a sweep in progress.
 */
export function startUploadSweeper(deps: TusUploadsDeps & { intervalSeconds: number }): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const sweep = (): void => {
    running = running.then(async () => {
      const startedBefore = new Date(Date.now() - deps.config.UPLOAD_INCOMPLETE_MAX_AGE_HOURS * 3600 * 1000);
      try {
        const aborted = await sweepIncompleteUploads({
          store: deps.store,
          inputBucket: deps.config.INPUT_BUCKET,
          startedBefore,
        });
        const tus = await sweepLocalTusUploads(deps);
        if (aborted + tus > 0) deps.logger.info('incomplete uploads removed', { aborted, tus });
      } catch (error) {
        deps.logger.warn('upload sweep failed; retrying at the next interval', { error: errorMessage(error) });
      }
    });
  };
  const first = setTimeout(sweep, 10_000);
  const timer = setInterval(sweep, deps.intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
