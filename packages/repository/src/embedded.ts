import { mkdir } from 'node:fs/promises';
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
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
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
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from SDK clients would otherwise hold the server open.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
