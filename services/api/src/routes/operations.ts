import { Router } from 'express';
import { z } from 'zod';
import { OPERATIONS } from '@mediaflow/operations';
import type { RegisteredOperation } from '@mediaflow/operations';

/** One operation as GET /operations describes it: enough to build a submission form. */
export interface OperationInfo {
  name: string;
  /** Other names POST /process accepts for it. */
  aliases: string[];
  summary: string;
  /** Takes `sources` (several inputs, in order) in POST /process instead of one `source`. */
  multiple_sources: boolean;
  /** Every `output_format` it accepts, the default first. */
  output_formats: string[];
  /** What `output_format` is when a submission leaves it out; null when it must be given. */
  default_output_format: string | null;
  /** JSON Schema (2020-12) of `params`, as a submission's input: defaults, bounds and enums included. */
  params_schema: z.core.JSONSchema.BaseSchema;
}

type JsonSchema = z.core.JSONSchema.BaseSchema;

function inputSchema(schema: z.ZodType): JsonSchema {
  // `unrepresentable: 'any'`: a refinement JSON Schema cannot say is still checked by POST /process.
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

/** The values a `output_format` schema allows: a const, an enum, or a union of those. */
function formatsOf(schema: JsonSchema): string[] {
  if (typeof schema.const === 'string') return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum.filter((value): value is string => typeof value === 'string');
  const branches = schema.anyOf ?? schema.oneOf ?? [];
  return branches.flatMap((branch) => (typeof branch === 'object' ? formatsOf(branch) : []));
}

/** Describes one registered operation; its schema's `output_format` and `params` fields as JSON Schema. */
export function describeOperation(operation: RegisteredOperation): OperationInfo {
  const format = inputSchema(operation.schema.shape.output_format);
  const fallback = typeof format.default === 'string' ? format.default : null;
  const formats = formatsOf(format);
  return {
    name: operation.name,
    aliases: [...operation.aliases],
    summary: operation.summary,
    multiple_sources: operation.multipleSources,
    output_formats: fallback === null ? formats : [fallback, ...formats.filter((value) => value !== fallback)],
    default_output_format: fallback,
    params_schema: inputSchema(operation.schema.shape.params),
  };
}

/**
 * GET /operations: the operation registry, so a client (the dashboard's
 * submission form) can offer every operation and its parameters without
 * knowing them in advance. Computed once: the registry is fixed at build time.
 */
export function operationRoutes(operations: readonly RegisteredOperation[] = OPERATIONS): Router {
  const body = JSON.stringify(operations.map(describeOperation));
  const router = Router();
  router.get('/operations', (_req, res) => {
    res.set('Cache-Control', 'private, no-cache').type('application/json').send(body);
  });
  return router;
}
