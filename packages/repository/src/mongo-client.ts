import { MongoClient } from 'mongodb';

// Fail fast when the server is gone instead of queueing operations for the driver's 30 s default.
const CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  ignoreUndefined: true,
} as const;

/** The client every MongoDB adapter here expects; one can serve the job repository and the rate limits. */
export function createMongoClient(url: string): MongoClient {
  return new MongoClient(url, CLIENT_OPTIONS);
}

/** How a MongoDB adapter is given its connection: a shared client, or a URL to open its own. */
export type MongoConnection = { url: string; client?: never } | { client: MongoClient; url?: never };

/**
 * The client an adapter uses, and whether it opened it (and so must close it
 * on `close()`): a shared client stays open for the other adapters using it.
 */
export function mongoClientFor(connection: MongoConnection): { client: MongoClient; owned: boolean } {
  return connection.client
    ? { client: connection.client, owned: false }
    : { client: createMongoClient(connection.url), owned: true };
}
