import { AppError, errorMessage, isAppError } from '@mediaflow/domain';

/**
 * Driver and network failures leave the adapters only as DATABASE_ERROR, so
 * callers can treat an outage as retryable without knowing which database is
 * behind the port.
 */
export function toDatabaseError(error: unknown, action: string): AppError {
  if (isAppError(error)) return error;
  return new AppError('DATABASE_ERROR', `database ${action} failed: ${errorMessage(error)}`, { cause: error });
}

/** Runs a database call and maps whatever it throws. */
export async function guarded<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toDatabaseError(error, action);
  }
}
