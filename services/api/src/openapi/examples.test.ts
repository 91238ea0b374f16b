import { apiRoutes } from './routes';
import { buildOpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

describe('OpenAPI examples', () => {
  const examples = apiRoutes.flatMap((route) => {
    const body = route.body && 'json' in route.body ? route.body : undefined;
    return [
      ...(body?.example === undefined
        ? []
        : [{ where: `${route.operationId} request`, schema: body.json, example: body.example }]),
      // Named examples, e.g. one per form of a body.
      ...(body === undefined
        ? []
        : Object.entries(body.examples ?? {}).map(([name, { value }]) => ({
            where: `${route.operationId} request (${name})`,
            schema: body.json,
            example: value,
          }))),
      ...Object.entries(route.responses).flatMap(([status, response]) =>
        response.json && response.example !== undefined
          ? [{ where: `${route.operationId} ${status}`, schema: response.json, example: response.example }]
          : [],
      ),
    ];
  });

  it('exist for the main routes', () => {
    const where = examples.map((entry) => entry.where);
    for (const expected of [
      'getRoot 200',
      'uploadSource 201',
      'submitJob request (operation)',
      'submitJob request (steps)',
      'submitJob request (preset)',
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
    const body = submit?.requestBody?.content['application/json'];
    // One named example per form of the body (`example` and `examples` are exclusive in OpenAPI).
    expect(body?.example).toBeUndefined();
    expect(body?.examples?.operation?.value).toMatchObject({ method_name: 'compress' });
    expect(body?.examples?.steps?.value).toMatchObject({ steps: [{ method_name: 'concat' }, {}, {}] });
    expect(body?.examples?.preset?.value).toMatchObject({ preset: 'meeting_recording' });
    const page = renderDocsPage(document);
    expect(page).toContain('<pre class="example">');
    expect(page).toContain('&#34;preset&#34;: &#34;meeting_recording&#34;');
  });
});
