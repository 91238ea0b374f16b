import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { AppError, createLogger, loadConfig, MAX_JOB_STEPS, submitJobSchema } from '@mediaflow/domain';
import type { WebhookStore } from '@mediaflow/repository';
import type { Job } from '@mediaflow/domain';
import { validateSubmission } from '@mediaflow/operations';
import type { Express } from 'express';
import { createApp } from '../app';
import type { AppDeps } from '../app';
import { toJobView } from '../job-view';
import { buildOpenApiDocument } from './document';
import type { OpenApiDocument } from './document';
import { mountedRoutes } from './route-table';
import { toOpenApiPath } from './route-spec';
import { apiRoutes } from './routes';
import { jobViewSchema, SOURCES_CEILING, submitJobBodySchema } from './schemas';

/** A port the route-table test must never reach: building the app only stores it. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${name}.${String(property)} was used; this test only builds the app`);
    },
  });
}

function buildApp(): Express {
  const infrastructure: AppDeps['infrastructure'] = {
    repository: unused('repository'),
    store: unused('store'),
    publisher: unused('publisher'),
    rateLimits: unused('rateLimits'),
    webhooks: unused<WebhookStore>('webhooks'),
    webhookPolicy: { allowPrivate: false, allowedCidrs: [] },
  };
  return createApp({
    config: loadConfig({ DB_BACKEND: 'embedded', STORAGE_BACKEND: 'local', QUEUE_BACKEND: 'memory' }),
    infrastructure,
    logger: createLogger({ level: 'error', service: 'openapi-test' }),
    apiKeys: [],
    authDisabled: false,
  });
}

const document = buildOpenApiDocument(apiRoutes, { version: '0.0.0-test', apiKeyAuth: false });

function operationKeys(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

/** Every `$ref` anywhere in a value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [child] : refsIn(child),
  );
}

describe('route table vs. OpenAPI document', () => {
  it('documents exactly the routes Express serves', () => {
    const served = [
      ...new Set(mountedRoutes(buildApp()).map(({ method, path }) => `${method.toUpperCase()} ${toOpenApiPath(path)}`)),
    ].sort();
    const documented = operationKeys(document);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
  });

  it('finds routes of nested routers and prefixes mount paths', async () => {
    const { Router, default: express } = await import('express');
    const app = express();
    const inner = Router();
    inner.get('/things/:id', (_req, res) => res.end());
    inner.post('/things', (_req, res) => res.end());
    app.use('/v2', inner);
    app.get('/top', (_req, res) => res.end());
    expect(mountedRoutes(app)).toEqual(
      expect.arrayContaining([
        { method: 'get', path: '/v2/things/:id' },
        { method: 'post', path: '/v2/things' },
        { method: 'get', path: '/top' },
      ]),
    );
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with a server, a bearer scheme and resolvable references', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers.length).toBeGreaterThan(0);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const ref of refsIn(document)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(Object.keys(document.components.schemas)).toContain(ref.slice('#/components/schemas/'.length));
    }
    for (const schema of Object.values(document.components.schemas)) {
      expect(schema).not.toHaveProperty('$schema');
      expect(schema).not.toHaveProperty('$id');
    }
  });

  it('declares every path template variable as a required path parameter', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      const variables = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const operation of Object.values(methods)) {
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
        expect(declared.map((parameter) => parameter.name).sort()).toEqual([...variables].sort());
        expect(declared.every((parameter) => parameter.required)).toBe(true);
      }
    }
  });

  it('links only to operations it lists', () => {
    const operationIds = new Set(apiRoutes.map((route) => route.operationId));
    const linksOf = (doc: OpenApiDocument): string[] =>
      Object.values(doc.paths)
        .flatMap((methods) => Object.values(methods))
        .flatMap((operation) => Object.values(operation.responses))
        .flatMap((response) => Object.values(response.links ?? {}).map((link) => link.operationId));
    expect(linksOf(document)).toContain('getJobStatus');
    expect(linksOf(document).filter((id) => !operationIds.has(id))).toEqual([]);
    const withoutCancel = buildOpenApiDocument(
      apiRoutes.filter((route) => route.operationId !== 'cancelJob'),
      { version: '0', apiKeyAuth: false },
    );
    expect(linksOf(withoutCancel)).not.toContain('cancelJob');
  });

  it('describes the list query from the schema GET /process validates with', () => {
    const list = document.paths['/process']?.get;
    const limit = list?.parameters?.find((parameter) => parameter.name === 'limit');
    expect(limit).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    });
  });

  it('claims API-key security only once auth is enforced, and never on public routes', () => {
    const guarded = buildOpenApiDocument(apiRoutes, { version: '0', apiKeyAuth: true });
    expect(document.paths['/process']?.post?.security).toBeUndefined();
    expect(guarded.paths['/process']?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(guarded.paths['/process']?.post?.responses['401']).toBeDefined();
    expect(guarded.paths['/process']?.post?.responses['403']).toBeUndefined();
    expect(guarded.paths['/dead-letters']?.get?.responses['403']).toBeDefined();
    for (const path of ['/', '/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect(guarded.paths[path]?.get?.security).toBeUndefined();
    }
  });
});

describe('wire schemas', () => {
  const job: Job = {
    job_id: '0b6f3c52-5d5e-4a8e-9d1b-1f6a2b3c4d5e',
    status: 'completed',
    method_name: 'compress',
    output_format: 'mp4',
    params: { crf: 28, preset: 'veryfast' },
    source: 's3://mediaflow-input/uploads/clip.mp4',
    progress: 100,
    attempts: 1,
    worker_id: 'w1',
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:01:00.000Z',
    started_at: '2025-01-01T00:00:01.000Z',
    completed_at: '2025-01-01T00:01:00.000Z',
    output_path: 's3://mediaflow-output/outputs/x.mp4',
    log_path: 's3://mediaflow-output/outputs/x.log',
    outputs: [
      { kind: 'video', path: 's3://mediaflow-output/outputs/x.mp4', content_type: 'video/mp4', size_bytes: 10 },
      { kind: 'log', path: 's3://mediaflow-output/outputs/x.log', content_type: 'text/plain; charset=utf-8' },
    ],
    history: [
      { status: 'queued', at: '2025-01-01T00:00:00.000Z' },
      { status: 'completed', at: '2025-01-01T00:01:00.000Z', worker_id: 'w1', attempt: 1 },
    ],
  };

  it('JobView schema accepts what toJobView produces, including failed jobs', () => {
    expect(jobViewSchema.safeParse(toJobView(job)).error).toBeUndefined();
    const failed: Job = { ...job, status: 'failed', error: { code: 'FFMPEG_FAILED', message: 'boom' }, outputs: [] };
    expect(jobViewSchema.safeParse(toJobView(failed)).error).toBeUndefined();
  });

  const INPUT_BUCKET = 'mediaflow-input';
  const SOURCE = `s3://${INPUT_BUCKET}/uploads/clip.mp4`;
  const chunks = (count: number): string[] =>
    Array.from({ length: count }, (_, index) => `s3://${INPUT_BUCKET}/uploads/chunk-${index}.webm`);

  /**
   * What the API's own validation decides: validateSubmission, as POST /process calls it before the
   * storage lookups (which the document cannot know about: SOURCE_NOT_FOUND, sizes). `webhook_url`
   * is taken out of the body before it, so no case here has one.
   */
  function acceptedByApi(body: unknown): boolean {
    try {
      validateSubmission(body, [INPUT_BUCKET]);
      return true;
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
  }

  it.each([
    [{ method_name: 'compress' }, true],
    [{ method_name: 'compress', params: { crf: 20, preset: 'slow' } }, true],
    [{ method_name: 'compress', params: { crf: 99 } }, false],
    [{ method_name: 'black_and_white', output_format: 'webm' }, true],
    [{ method_name: 'grayscale', output_format: 'mp3' }, false],
    [{ method_name: 'convert_format' }, false],
    [{ method_name: 'convert_format', output_format: 'mkv' }, true],
    [{ method_name: 'extract_audio', output_format: 'opus' }, true],
    [{ method_name: 'resize', params: { width: 640 } }, true],
    [{ method_name: 'resize', params: { width: 8 } }, false],
    [{ method_name: 'transcribe', params: { language: 'en' } }, true],
    [{ method_name: 'transcribe', extra: 1 }, false],
    [{ method_name: 'sharpen' }, false],
  ])('the documented POST /process body agrees with validation: %j', (fields, accepted) => {
    const body = { source: SOURCE, ...fields };
    expect(submitJobBodySchema.safeParse(body).success).toBe(accepted);
    expect(acceptedByApi(body)).toBe(accepted);
  });

  const compressSteps = (count: number): { method_name: string }[] =>
    Array.from({ length: count }, () => ({ method_name: 'compress' }));

  it.each([
    // `steps`: a chain of operations, each validated like a one-operation body.
    [{ source: SOURCE, steps: [{ method_name: 'compress' }] }, true],
    [
      {
        sources: chunks(3),
        steps: [{ method_name: 'concat', params: { preset: 'ultrafast' } }, { method_name: 'grayscale' }],
      },
      true,
    ],
    [{ source: SOURCE, steps: [{ method_name: 'black_and_white', output_format: 'webm' }] }, true],
    [{ source: SOURCE, steps: [{ method_name: 'resize', params: { width: 640 } }, { method_name: 'compress' }] }, true],
    [{ source: SOURCE, steps: compressSteps(MAX_JOB_STEPS) }, true],
    [{ source: SOURCE, steps: compressSteps(MAX_JOB_STEPS + 1) }, false],
    [{ source: SOURCE, steps: [] }, false],
    [{ source: SOURCE, steps: [{ method_name: 'sharpen' }] }, false],
    [{ source: SOURCE, steps: [{ method_name: 'compress', params: { crf: 99 } }] }, false],
    [{ source: SOURCE, steps: [{ method_name: 'grayscale', output_format: 'mp3' }] }, false],
    [{ source: SOURCE, steps: [{ method_name: 'compress', source: SOURCE }] }, false],
    [{ source: SOURCE, steps: [{ output_format: 'mp4' }] }, false],
    [{ source: SOURCE, method_name: 'compress', steps: [{ method_name: 'compress' }] }, false],
    [{ source: SOURCE, params: { crf: 20 }, steps: [{ method_name: 'compress' }] }, false],
    [{ source: SOURCE, output_format: 'mp4', steps: [{ method_name: 'compress' }] }, false],
    [{ source: SOURCE, steps: { method_name: 'compress' } }, false],
    // `preset`: a named chain; `params` are language and model only.
    [{ sources: chunks(2), preset: 'meeting_recording' }, true],
    [{ source: SOURCE, preset: 'meeting_recording', params: { language: 'en', model: 'base' } }, true],
    [{ sources: chunks(2), preset: 'meeting_recording', params: {} }, true],
    [{ sources: chunks(2), preset: 'podcast' }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', steps: [{ method_name: 'concat' }] }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', method_name: 'concat' }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', output_format: 'mp4' }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', params: { crf: 20 } }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', params: { embed_subtitles: false } }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', params: { language: 'English' } }, false],
    [{ sources: chunks(2), preset: 'meeting_recording', params: { model: 'huge' } }, false],
    // `sources`: never more than the hard ceiling, whatever MAX_SOURCES_PER_JOB says.
    [{ sources: chunks(2), method_name: 'concat' }, true],
    [{ sources: chunks(SOURCES_CEILING + 1), method_name: 'concat' }, false],
    [{ sources: chunks(SOURCES_CEILING + 1), steps: [{ method_name: 'concat' }] }, false],
    [{ sources: chunks(SOURCES_CEILING + 1), preset: 'meeting_recording' }, false],
    [{ sources: [], preset: 'meeting_recording' }, false],
  ])('the documented multi-step and preset bodies agree with validation: %#', (body, accepted) => {
    expect(submitJobBodySchema.safeParse(body).success).toBe(accepted);
    expect(acceptedByApi(body)).toBe(accepted);
  });

  it('documents the envelope’s ceiling on sources', () => {
    expect(submitJobSchema.safeParse({ sources: chunks(SOURCES_CEILING) }).success).toBe(true);
    expect(submitJobSchema.safeParse({ sources: chunks(SOURCES_CEILING + 1) }).success).toBe(false);
  });

  /*
   * What the document cannot say, so it accepts bodies validation refuses (a generated client gets 400 for
   * them): that a step must read the kind of output the step before it produces (STEP_IO, e.g. nothing
   * reads extract_audio's audio as video), that only a chain whose first step is concat takes several
   * sources, that exactly one of `source` and `sources` is given, and MAX_SOURCES_PER_JOB (the server's
   * setting, 50 by default; the document states only its ceiling). These cases pin that looseness down:
   * should the document learn one of the rules, move its case up to the agreeing ones.
   */
  it.each([
    [{ source: SOURCE, steps: [{ method_name: 'extract_audio' }, { method_name: 'resize', params: { width: 640 } }] }],
    [{ source: SOURCE, steps: [{ method_name: 'probe' }, { method_name: 'compress' }] }],
    [{ sources: chunks(2), steps: [{ method_name: 'compress' }, { method_name: 'concat' }] }],
    [{ steps: [{ method_name: 'compress' }] }],
    [{ source: SOURCE, sources: chunks(2), preset: 'meeting_recording' }],
    [{ sources: chunks(51), preset: 'meeting_recording' }],
  ])('the document accepts what only validation refuses: %#', (body) => {
    expect(submitJobBodySchema.safeParse(body).success).toBe(true);
    expect(acceptedByApi(body)).toBe(false);
  });
});

describe('GET /openapi.json and GET /docs', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer(buildApp());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('serves the document as JSON, without an API key, claiming the auth the app enforces', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await response.json()) as OpenApiDocument;
    expect(operationKeys(served)).toEqual(operationKeys(document));
    expect(served.paths['/status/{job_id}']?.get?.security).toEqual([{ bearerAuth: [] }]);
  });

  it('serves a self-contained page naming every operation', async () => {
    const response = await fetch(`${base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/i);
    for (const route of apiRoutes) expect(html).toContain(`id="op-${route.operationId}"`);
    expect(html).toContain('id="schema-JobView"');
  });
});
