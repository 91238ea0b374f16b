import { createHash } from 'node:crypto';

/**
 * The storage id of an idempotency key: a hash of scope and key, so any key
 * a client sends fits in an id. The pair is JSON-encoded before hashing
 * because plain concatenation would let ('ab', 'c') and ('a', 'bc') collide.
 */
export function idempotencyHash(scope: string, key: string): string {
  return createHash('sha256')
    .update(JSON.stringify([scope, key]), 'utf8')
    .digest('hex');
}
