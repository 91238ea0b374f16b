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
