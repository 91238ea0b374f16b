import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { MongoClient } from 'mongodb';
import { createDynamoClient, startEmbeddedDynamo } from '@mediaflow/repository';
import type { EmbeddedDynamo } from '@mediaflow/repository';

/**
 * The three databases a store's contract suite runs on, each as the
 * project runs it: FerretDB (MONGO_URL, DATABASE_COMPAT=ferretdb-v1),
 * DynamoDB Local (DYNAMODB_ENDPOINT) and dynalite as the embedded mode
 * starts it. A suite maps each to its own stores with `namespace`, so the
 * connecting, the unique names and the clean-up live here once.
 */

export const MONGO_URL = process.env.MONGO_URL ?? '';
export const MONGO_DB = 'mediaflow_test';

/** A name no other run or test uses: `<prefix>_<time>_<random>`. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** Where a namespace's stores connect. */
export type ContractDatabase =
  | { kind: 'mongodb'; url: string; dbName: string; admin: MongoClient }
  | { kind: 'dynamodb'; endpoint: string; compat: 'none' | 'dynalite'; client(): DynamoDBClient };

export interface ContractBackend {
  /** As the suites' titles show it: `mongodb (FerretDB, ferretdb-v1)`, `dynamodb (DynamoDB Local)`, `embedded (dynalite)`. */
  name: string;
  /** Known before start(), for tests that apply to one database only. */
  kind: ContractDatabase['kind'];
  /** The adapters' DATABASE_COMPAT for this server. */
  compat: 'ferretdb-v1' | 'none' | 'dynalite';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The database between start() and stop(). */
  database(): ContractDatabase;
}

function mongoBackend(): ContractBackend {
  let admin: MongoClient | undefined;
  return {
    name: 'mongodb (FerretDB, ferretdb-v1)',
    kind: 'mongodb',
    compat: 'ferretdb-v1',
    start: async () => {
      admin = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
      await admin.connect();
    },
    stop: async () => admin?.close(),
    database: () => {
      if (!admin) throw new Error('the MongoDB backend is not started');
      return { kind: 'mongodb', url: MONGO_URL, dbName: MONGO_DB, admin };
    },
  };
}

function dynamoDatabase(endpoint: string, compat: 'none' | 'dynalite'): ContractDatabase {
  return {
    kind: 'dynamodb',
    endpoint,
    compat,
    client: () => createDynamoClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint }),
  };
}

function dynamoLocalBackend(): ContractBackend {
  return {
    name: 'dynamodb (DynamoDB Local)',
    kind: 'dynamodb',
    compat: 'none',
    start: async () => Promise.resolve(),
    stop: async () => Promise.resolve(),
    database: () => dynamoDatabase(process.env.DYNAMODB_ENDPOINT ?? '', 'none'),
  };
}

function dynaliteBackend(): ContractBackend {
  let dataDir = '';
  let embedded: EmbeddedDynamo | undefined;
  return {
    name: 'embedded (dynalite)',
    kind: 'dynamodb',
    compat: 'dynalite',
    start: async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-dynalite-'));
      embedded = await startEmbeddedDynamo({ dataDir });
    },
    stop: async () => {
      await embedded?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    database: () => {
      if (!embedded) throw new Error('dynalite is not running');
      return dynamoDatabase(embedded.endpoint, 'dynalite');
    },
  };
}

/** FerretDB, DynamoDB Local and dynalite, in that order, for `describe.each`. */
export function contractBackends(): ContractBackend[] {
  return [mongoBackend(), dynamoLocalBackend(), dynaliteBackend()];
}

/** Drops collections; ones that are not there are skipped. */
export async function dropCollections(
  database: { admin: MongoClient; dbName: string },
  names: string[],
): Promise<void> {
  const db = database.admin.db(database.dbName);
  for (const name of names) {
    await db
      .collection(name)
      .drop()
      .catch(() => undefined);
  }
}

/** Deletes tables; ones that are not there are skipped. */
export async function dropTables(database: { client(): DynamoDBClient }, names: string[]): Promise<void> {
  const client = database.client();
  try {
    for (const name of names) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
  } finally {
    client.destroy();
  }
}
