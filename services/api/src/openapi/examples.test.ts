import { apiRoutes } from './routes';
import { buildOpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

describe('OpenAPI examples', () => {
  const examples = apiRoutes.flatMap((route) => [
    ...(route.body && 'json' in route.body && route.body.example !== undefined
      ? [{ where: `${route.operationId} request`, schema: route.body.json, example: route.body.example }]
      : []),
    ...Object.entries(route.responses).flatMap(([status, response]) =>
      response.json && response.example !== undefined
        ? [{ where: `${route.operationId} ${status}`, schema: response.json, example: response.example }]
        : [],
    ),
  ]);

  it('exist for the main routes', () => {
    const where = examples.map((entry) => entry.where);
    for (const expected of [
      'getRoot 200',
      'uploadSource 201',
      'submitJob request',
      'submitJob 202',
      'getJobStatus 200',
      'listJobs 200',
    ]) {
      expect(where).toContain(expected);
    }
  });

  it.each(examples.map((entry) => [entry.where, entry] as const))('%s is valid for its schema', (_where, entry) => {
    const result = entry.schema.safeParse(entry.example);
    expect(result.success ? 'valid' : result.error.message).toBe('valid');
  });

  it('are in the document and on the docs page', () => {
    const document = buildOpenApiDocument(apiRoutes, { version: 'test', apiKeyAuth: true });
    const submit = document.paths['/process']?.post;
    expect(submit?.requestBody?.content['application/json']?.example).toMatchObject({ method_name: 'compress' });
    expect(renderDocsPage(document)).toContain('<pre class="example">');
  });
});
