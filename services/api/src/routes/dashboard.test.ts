import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { createLogger } from '@mediaflow/domain';
import { defineOperation, JOB_PRESETS, OPERATIONS, validateSubmission } from '@mediaflow/operations';
import { errorHandler, notFoundHandler } from '../http/errors';
import { DASHBOARD_CSP, dashboardRoutes } from './dashboard';
import { operationListSchema } from '../openapi/schemas';
import { describeOperation, operationRoutes, PRESET_SUMMARIES } from './operations';
import type { OperationList } from './operations';

let directory: string;
let server: Server;
let base: string;

beforeAll(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), 'dashboard-test-'));
  mkdirSync(path.join(directory, 'assets'));
  writeFileSync(path.join(directory, 'index.html'), '<!doctype html><title>mediaflow</title>');
  writeFileSync(path.join(directory, 'assets', 'index-abc123.js'), 'console.log(1);');
  const app = express();
  app.use(dashboardRoutes(directory));
  app.use('/missing', dashboardRoutes(path.join(directory, 'nowhere')));
  app.use(operationRoutes());
  app.use(notFoundHandler);
  app.use(errorHandler(createLogger({ level: 'error', service: 'dashboard-test' })));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe('GET /app', () => {
  it('serves the page with the strict CSP and no-cache, at /app and at client-side routes', async () => {
    for (const route of ['/app', '/app/', '/app/jobs/123', '/app/new?x=1']) {
      const response = await fetch(`${base}${route}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      expect(await response.text()).toContain('<title>mediaflow</title>');
    }
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
  });

  it('caches hashed assets for a year and answers a missing asset with 404, not the page', async () => {
    const asset = await fetch(`${base}/app/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const missing = await fetch(`${base}/app/assets/gone.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('says how to build the dashboard when it was not built', async () => {
    const response = await fetch(`${base}/missing/app/`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('npm run build');
  });

  it('leaves other methods to the rest of the app', async () => {
    expect((await fetch(`${base}/app/`, { method: 'POST' })).status).toBe(404);
  });
});

describe('GET /operations', () => {
  it('lists every registered operation with its formats and the JSON Schema of its params', async () => {
    const response = await fetch(`${base}/operations`);
    expect(response.status).toBe(200);
    const body = ((await response.json()) as OperationList).operations;
    expect(body.map((operation) => operation.name)).toEqual(OPERATIONS.map((operation) => operation.name));
    const compress = body.find((operation) => operation.name === 'compress');
    expect(compress).toMatchObject({
      output_formats: ['mp4'],
      default_output_format: 'mp4',
      params_schema: {
        type: 'object',
        properties: {
          crf: { type: 'integer', minimum: 0, maximum: 51, default: 28 },
          preset: { type: 'string', enum: expect.arrayContaining(['veryfast', 'slow']) as unknown },
        },
      },
    });
    const audio = body.find((operation) => operation.name === 'extract_audio');
    expect(audio?.output_formats).toEqual(['mp3', 'm4a', 'wav', 'opus']);
    const convert = body.find((operation) => operation.name === 'convert_format');
    expect(convert?.default_output_format).toBeNull();
    expect(convert?.output_formats).toEqual(['mp4', 'webm', 'mkv', 'mov']);
  });

  it('lists the presets: name, summary, several sources, their steps and the JSON Schema of their params', async () => {
    const body = (await (await fetch(`${base}/operations`)).json()) as OperationList;
    expect(body.presets.map((preset) => preset.name)).toEqual(Object.keys(JOB_PRESETS));
    const meeting = body.presets.find((preset) => preset.name === 'meeting_recording');
    expect(meeting).toEqual({
      name: 'meeting_recording',
      summary: PRESET_SUMMARIES.meeting_recording,
      multiple_sources: true,
      steps: [
        { method_name: 'concat', output_format: 'mp4' },
        { method_name: 'transcribe', output_format: 'mp4' },
      ],
      params_schema: {
        type: 'object',
        properties: {
          language: { type: 'string', pattern: expect.any(String) as unknown },
          model: { type: 'string', enum: expect.arrayContaining(['tiny.en', 'base']) as unknown },
        },
        additionalProperties: false,
      },
    });
    expect(meeting?.summary).toMatch(/^[A-Z][^.]+\.$/);
  });

  it('has a one-sentence summary of its own for every preset', () => {
    expect(Object.keys(PRESET_SUMMARIES).sort()).toEqual(Object.keys(JOB_PRESETS).sort());
  });

  it('answers what its OpenAPI description (OperationList) says', async () => {
    const body: unknown = await (await fetch(`${base}/operations`)).json();
    expect(operationListSchema.safeParse(body).error).toBeUndefined();
  });

  it('describes a preset’s params as POST /process accepts them', async () => {
    const body = (await (await fetch(`${base}/operations`)).json()) as OperationList;
    const meeting = body.presets.find((preset) => preset.name === 'meeting_recording');
    const properties = Object.keys(meeting?.params_schema.properties ?? {});
    const submit = (params: Record<string, unknown>): unknown =>
      validateSubmission(
        { sources: ['s3://inputs/a.webm', 's3://inputs/b.webm'], preset: 'meeting_recording', params },
        ['inputs'],
      );
    // Every property the form offers is accepted; any other is refused.
    expect(() => submit({ language: 'en', model: 'tiny.en' })).not.toThrow();
    expect(properties.sort()).toEqual(['language', 'model']);
    expect(() => submit({ crf: 20 })).toThrow(/only language and model/);
  });

  it('describes a new operation from its schema alone', () => {
    const schema = z.strictObject({
      method_name: z.literal('sharpen'),
      output_format: z.enum(['mp4', 'webm']).default('webm'),
      params: z.strictObject({ amount: z.number().min(0).max(5).default(1), strong: z.boolean().optional() }),
    });
    const info = describeOperation(
      defineOperation({
        name: 'sharpen',
        aliases: [],
        summary: 'Sharpen.',
        schema,
        plan: () => {
          throw new Error('unused');
        },
      }),
    );
    expect(info.output_formats).toEqual(['webm', 'mp4']);
    expect(info.params_schema).toMatchObject({
      properties: { amount: { type: 'number', minimum: 0, maximum: 5, default: 1 }, strong: { type: 'boolean' } },
    });
    expect(info.params_schema).not.toHaveProperty('$schema');
    expect(info.multiple_sources).toBe(false);
  });
});
