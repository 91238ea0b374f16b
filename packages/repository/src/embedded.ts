import { readFileSync, rmSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { AppError } from '@mediaflow/domain';

export interface EmbeddedDynamo {
  /** http://127.0.0.1:<port>, for a DynamoDBClient's `endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** Where the LevelDB files live; created if missing. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

/**
 * Runs dynalite, a DynamoDB implementation in JavaScript, inside this process
 * so single-machine mode uses the very same DynamoDB adapter as production.
 * It listens on loopback only: nothing outside this machine should reach it.
 */
export async function startEmbeddedDynamo(options: EmbeddedDynamoOptions): Promise<EmbeddedDynamo> {
  await mkdir(options.dataDir, { recursive: true });
  const releaseLock = await lockDataDir(options.dataDir);
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      releaseLock();
      reject(new AppError('DATABASE_ERROR', `embedded DynamoDB failed to start: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      closing ??= new Promise<void>((resolve, reject) => {
        // dynalite's close also flushes and closes its LevelDB store.
        server.close((error?: Error) => {
          releaseLock();
          if (error) reject(error);
          else resolve();
        });
        // Keep-alive sockets from SDK clients would otherwise hold the server open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * LevelDB allows one process per directory, and dynalite reports a second
 * one only later, as an uncaught "Database is closed". A pid file taken
 * with O_EXCL turns that into a clear refusal at start-up. A pid file whose
 * process is gone (a crash, kill -9) is stale and taken over.
 *
 * @throws AppError DATABASE_ERROR naming the directory and the pid holding it.
 */
async function lockDataDir(dataDir: string): Promise<() => void> {
  const lockPath = path.join(dataDir, 'mediaflow.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder !== process.pid && processIsAlive(holder)) {
        throw new AppError(
          'DATABASE_ERROR',
          `the data directory ${path.dirname(dataDir)} is in use by another mediaflow process (pid ${holder})`,
          { details: { remedy: 'stop that process, or set DATA_DIR to another directory' } },
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new AppError('DATABASE_ERROR', `could not lock the data directory ${dataDir}`);
}
