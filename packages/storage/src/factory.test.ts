import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@mediaflow/domain';
import { createObjectStore } from './factory';
import { LocalDiskObjectStore } from './local-object-store';
import { S3ObjectStore } from './s3-object-store';

describe('createObjectStore', () => {
  it('builds the local-disk store under DATA_DIR/objects when no S3 endpoint is set', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-factory-'));
    try {
      const store = createObjectStore(loadConfig({ DATA_DIR: dataDir }));
      expect(store).toBeInstanceOf(LocalDiskObjectStore);
      await store.ensureBucket('mediaflow-input');
      await store.put({ bucket: 'mediaflow-input', key: 'a/b.txt' }, Buffer.from('x'), { contentType: 'text/plain' });
      expect(existsSync(path.join(dataDir, 'objects', 'mediaflow-input', 'a', 'b.txt'))).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('builds the S3 store when an endpoint is set, with or without static credentials', async () => {
    const withKeys = createObjectStore(
      loadConfig({
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: 'id',
        AWS_SECRET_ACCESS_KEY: 'secret',
      }),
    );
    const defaultChain = createObjectStore(loadConfig({ STORAGE_BACKEND: 's3' }));
    expect(withKeys).toBeInstanceOf(S3ObjectStore);
    expect(defaultChain).toBeInstanceOf(S3ObjectStore);
    await Promise.all([withKeys.close(), defaultChain.close()]);
  });
});
