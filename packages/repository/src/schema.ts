import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { AppError } from '@mediaflow/domain';

/**
 * Which test-server workarounds the adapters apply (DATABASE_COMPAT):
 * - `none`: real MongoDB or DynamoDB; no workaround runs;
 * - `ferretdb-v1`: MONGO_URL is FerretDB v1 (claim ledger, one index per
 *   command, no partial or TTL indexes, expired idempotency keys purged by the
 *   adapter; rate limits in MongoRateLimitStore);
 * - `dynalite`: DYNAMODB_ENDPOINT is dynalite (tables rebuilt to add indexes,
 *   no item returned on a failed condition). The embedded mode always runs it.
 */
export type DatabaseCompat = 'none' | 'ferretdb-v1' | 'dynalite';

export const MIGRATE_HINT = 'run `npm run db:migrate` (or set DATABASE_MIGRATE=on-start)';

/** The schema error every checkSchema() throws: names what is missing and how to create it. */
export function schemaMissing(what: string, missing: readonly string[]): AppError {
  return new AppError(
    'DATABASE_ERROR',
    `database schema not migrated: ${what} lacks ${missing.join(', ')}; ${MIGRATE_HINT}`,
    { details: { reason: 'SCHEMA_NOT_MIGRATED', missing: [...missing] } },
  );
}

/** Whether an error is schemaMissing()'s. */
export function isSchemaMissing(error: unknown): boolean {
  return (
    error instanceof AppError &&
    typeof error.details === 'object' &&
    error.details !== null &&
    (error.details as { reason?: unknown }).reason === 'SCHEMA_NOT_MIGRATED'
  );
}

// 26 NamespaceNotFound: the collection does not exist (yet).
const NAMESPACE_NOT_FOUND = 26;

/** Index names of a collection; empty when the collection does not exist. */
export async function mongoIndexNames<T extends Document>(collection: Collection<T>): Promise<Set<string>> {
  try {
    const indexes = await collection.indexes();
    return new Set(indexes.flatMap((index) => (index.name === undefined ? [] : [index.name])));
  } catch (error) {
    if (error instanceof MongoServerError && error.code === NAMESPACE_NOT_FOUND) return new Set();
    throw error;
  }
}

/** Throws schemaMissing() unless the collection has every one of the indexes. */
export async function requireMongoIndexes<T extends Document>(
  collection: Collection<T>,
  expected: readonly string[],
): Promise<void> {
  const present = await mongoIndexNames(collection);
  const missing = expected.filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw schemaMissing(
      `collection ${collection.collectionName}`,
      missing.map((name) => `index ${name}`),
    );
  }
}
