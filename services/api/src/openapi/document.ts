import { z } from 'zod';
import { errorBodySchema, requestComponents, responseComponents } from './schemas';
import type { HttpMethod, JsonSchema, RequestBodySpec, ResponseSpec, RouteSpec } from './route-spec';
import { toOpenApiPath } from './route-spec';

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, OpenApiMediaType> };
  responses: Record<string, OpenApiResponse>;
  security?: Record<string, string[]>[];
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, OpenApiMediaType>;
  links?: ResponseSpec['links'];
}

/** A body of one media type: its schema, and an example (or named examples) when the route gives one. */
export interface OpenApiMediaType {
  schema: JsonSchema;
  example?: unknown;
  examples?: Record<string, { summary: string; value: unknown }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

export interface OpenApiOptions {
  version: string;
  /** Whether the API enforces `access` (auth can be switched off); when it does not, the document must not claim it. */
  apiKeyAuth: boolean;
}

export const SECURITY_SCHEME = 'bearerAuth';
const COMPONENT_PREFIX = '#/components/schemas/';
type Io = 'input' | 'output';

/** Components live inside the document: its dialect applies, and a fragment `$id` is not allowed there. */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const rest = { ...schema };
  delete rest.$schema;
  delete rest.$id;
  return rest;
}

/** Every schema of a registry as JSON Schema 2020-12, cross-referenced by `$ref` into components. */
function registryComponents(registry: z.core.$ZodRegistry<{ id: string }>, io: Io): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    uri: (id) => `${COMPONENT_PREFIX}${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutDialect(schema)]));
}

/** A `$ref` for a registered schema; any other schema inlined. */
function schemaRef(schema: z.ZodType, io: Io): JsonSchema {
  const registry = io === 'input' ? requestComponents : responseComponents;
  const id = registry.get(schema)?.id;
  if (id !== undefined) return { $ref: `${COMPONENT_PREFIX}${id}` };
  return withoutDialect(z.toJSONSchema(schema, { target: 'draft-2020-12', io }));
}

function parametersOf(schema: z.ZodObject | undefined, location: OpenApiParameter['in']): OpenApiParameter[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).flatMap(([name, property]) => {
    if (typeof property !== 'object') return [];
    const { description, ...rest } = property;
    return [
      {
        name,
        in: location,
        required: location === 'path' || required.has(name),
        ...(description === undefined ? {} : { description }),
        schema: rest,
      },
    ];
  });
}

function requestBodyOf(body: RequestBodySpec): NonNullable<OpenApiOperation['requestBody']> {
  const content =
    'json' in body
      ? {
          'application/json': {
            schema: schemaRef(body.json, 'input'),
            ...(body.example === undefined ? {} : { example: body.example }),
            ...(body.examples === undefined ? {} : { examples: { ...body.examples } }),
          },
        }
      : body.raw;
  return {
    required: body.required ?? true,
    ...(body.description === undefined ? {} : { description: body.description }),
    content,
  };
}

function responseOf(spec: ResponseSpec, operationIds: ReadonlySet<string>): OpenApiResponse {
  // A link to an operation this registry does not list would make the document invalid.
  const links = Object.entries(spec.links ?? {}).filter(([, link]) => operationIds.has(link.operationId));
  const content = {
    ...(spec.json
      ? {
          'application/json': {
            schema: schemaRef(spec.json, 'output'),
            ...(spec.example === undefined ? {} : { example: spec.example }),
          },
        }
      : {}),
    ...spec.raw,
  };
  return {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
    ...(links.length > 0 ? { links: Object.fromEntries(links) } : {}),
  };
}

function operationOf(route: RouteSpec, options: OpenApiOptions, operationIds: ReadonlySet<string>): OpenApiOperation {
  const guarded = options.apiKeyAuth && route.access !== 'public';
  const responses: Record<number, ResponseSpec> = { ...route.responses };
  if (guarded) responses[401] = { description: 'UNAUTHORIZED: missing or invalid API key.', json: errorBodySchema };
  if (guarded && route.access === 'admin') {
    responses[403] = { description: 'FORBIDDEN: this operation needs an admin key.', json: errorBodySchema };
  }
  // Node's HTTP parser answers this itself, before any route runs.
  responses[431] = { description: 'The request line or headers exceed 16 KB (Node’s limit); empty body.' };
  responses[500] = {
    description: 'Unexpected failure (INTERNAL); never expected, always a bug.',
    json: errorBodySchema,
  };
  const parameters = [
    ...parametersOf(route.params, 'path'),
    ...parametersOf(route.query, 'query'),
    ...parametersOf(route.headers, 'header'),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [...route.tags],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBodyOf(route.body) } : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, spec]) => [status, responseOf(spec, operationIds)]),
    ),
    ...(guarded ? { security: [{ [SECURITY_SCHEME]: [] }] } : {}),
  };
}

function assertUniqueOperations(routes: readonly RouteSpec[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    for (const key of [route.operationId, `${route.method} ${toOpenApiPath(route.path)}`]) {
      if (seen.has(key)) throw new Error(`OpenAPI route registry lists ${key} twice`);
      seen.add(key);
    }
  }
}

/** The OpenAPI 3.1 document for a route registry; schemas are JSON Schema 2020-12, as 3.1 specifies. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], options: OpenApiOptions): OpenApiDocument {
  assertUniqueOperations(routes);
  const operationIds = new Set(routes.map((route) => route.operationId));
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operationOf(route, options, operationIds) };
  }
  const requestSchemas = registryComponents(requestComponents, 'input');
  const responseSchemas = registryComponents(responseComponents, 'output');
  const clash = Object.keys(requestSchemas).find((id) => id in responseSchemas);
  if (clash) throw new Error(`component ${clash} is registered as both a request and a response schema`);

  return {
    openapi: '3.1.0',
    info: {
      title: 'mediaflow API',
      version: options.version,
      description:
        'Video processing jobs: upload a source, submit an operation (compress, resize, convert_format, ' +
        'grayscale, extract_audio, transcribe), poll its status, download the output. Every error is ' +
        '`{ "error": { "code", "message", "details"? } }` with a stable `code`.' +
        (options.apiKeyAuth ? ' Operations marked with a lock need `Authorization: Bearer <API key>`.' : ''),
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [
      { name: 'jobs', description: 'Uploads, jobs and their outputs.' },
      { name: 'operations', description: 'Operator actions: cancel, retry, dead letters.' },
      { name: 'webhooks', description: 'Signed event deliveries (Standard Webhooks): endpoints, secrets, attempts.' },
      { name: 'health', description: 'Probes for load balancers and orchestrators.' },
      { name: 'docs', description: 'This description.' },
    ],
    paths,
    components: {
      schemas: { ...requestSchemas, ...responseSchemas },
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key (configured, or a person’s `mfk_…` key) or a person’s access token from POST /auth/signin: ' +
            '`Authorization: Bearer <key or token>`.',
        },
      },
    },
  };
}
