import type { z } from 'zod';

/** zod's issues as the `details` of a VALIDATION_FAILED error: one `{path, message}` per problem. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
