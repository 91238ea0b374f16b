import path from 'node:path';
import type { AppConfig } from '@mediaflow/domain';
import { LocalDiskObjectStore } from './local-object-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-object-store';

/** The object store the configuration selects. */
export function createObjectStore(config: AppConfig): ObjectStore {
  if (config.STORAGE_BACKEND === 'local') {
    return new LocalDiskObjectStore(path.join(config.DATA_DIR, 'objects'));
  }
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = config;
  return new S3ObjectStore({
    region: config.AWS_REGION,
    ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    // Without both keys, the SDK's default chain (profile, instance role, …) applies.
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
  });
}
