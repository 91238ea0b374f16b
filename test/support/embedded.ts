import { startService, waitFor } from './processes';
import type { ServiceProcess } from './processes';

/** The embedded mode must not see the real services the other suites use. */
export const EMBEDDED_ENV: NodeJS.ProcessEnv = {
  KAFKA_BOOTSTRAP_SERVERS: '',
  MONGO_URL: '',
  DYNAMODB_ENDPOINT: '',
  S3_ENDPOINT: '',
  DB_BACKEND: '',
  QUEUE_BACKEND: '',
  STORAGE_BACKEND: '',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  PROGRESS_INTERVAL_MS: '200',
  LOG_LEVEL: 'info',
};

/** `npm start` as a child process: API and worker in one, on embedded defaults under dataDir. */
export async function startEmbedded(
  dataDir: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
): Promise<ServiceProcess> {
  const service = startService('embedded', 'services/api/dist/embedded.js', {
    ...EMBEDDED_ENV,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...env,
  });
  await waitFor('embedded mode to start', () => (service.output().includes('mediaflow running') ? true : undefined), {
    timeoutMs: 60_000,
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${service.output()}`);
  });
  return service;
}
