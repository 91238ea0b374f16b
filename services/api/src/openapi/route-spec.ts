import type { z } from 'zod';

export type JsonSchema = z.core.JSONSchema.BaseSchema;

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';

/**
 * Who may call a route: anyone, a client presenting an API key
 * (`Authorization: Bearer <key>`), or only an admin key.
 */
export type Access = 'public' | 'apiKey' | 'admin';

/** A response body that is not JSON (a download, an HTML page), by media type. */
export type RawContent = Record<string, { schema: JsonSchema }>;

export interface ResponseSpec {
  description: string;
  /** A JSON body: a schema registered in `responseComponents`. */
  json?: z.ZodType;
  /** What such a body looks like, shown on /docs and in the document (OpenAPI `example`). */
  example?: unknown;
  raw?: RawContent;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  /** OpenAPI links: how values in this response feed other operations (used by stateful fuzzing). */
  links?: Record<string, { operationId: string; parameters: Record<string, string>; description?: string }>;
}

/** A named example (OpenAPI Example Object): a body a client may send, and what it shows. */
export interface NamedExample {
  summary: string;
  value: unknown;
}

/**
 * A JSON body: its schema (registered in `requestComponents`), and either one `example` or several named
 * `examples` (OpenAPI allows only one of the two), e.g. one per form the body may take.
 */
export type JsonBodySpec = { json: z.ZodType } & (
  { example?: unknown; examples?: never } | { example?: never; examples: Readonly<Record<string, NamedExample>> }
);

export type RequestBodySpec = (JsonBodySpec | { raw: RawContent }) & {
  description?: string;
  /** Defaults to true. */
  required?: boolean;
};

/**
 * One route, as both the document and the route-table check see it.
 * `path` is Express syntax (`/status/:job_id`) so it reads like the router.
 */
export interface RouteSpec {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: RequestBodySpec;
  responses: Readonly<Record<number, ResponseSpec>>;
}

/**
 * `/status/:job_id` → `/status/{job_id}`; a wildcard `*path` (one or more
 * segments) becomes `{path}` too, its parameter documenting the slashes.
 */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');
}
