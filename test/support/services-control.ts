import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from './processes';

const run = promisify(execFile);

/** Stops, starts or restarts one of the real services, through the same script CI uses. */
export async function controlService(
  action: 'up' | 'down' | 'restart',
  service: 'kafka' | 'ferretdb' | 'dynamodb' | 's3',
): Promise<void> {
  await run('bash', ['scripts/services.sh', action, service], { cwd: REPO_ROOT, timeout: 180_000 });
}
