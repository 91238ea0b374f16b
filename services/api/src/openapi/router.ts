import { Router } from 'express';
import type { OpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

// The page has no script and loads nothing, so it can be locked down entirely.
const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /openapi.json and GET /docs, both rendered once: the document never changes while the process runs. */
export function openApiRoutes(document: OpenApiDocument): Router {
  const json = JSON.stringify(document);
  const html = renderDocsPage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json').send(json);
  });
  router.get('/docs', (_req, res) => {
    res.set({ 'Cache-Control': 'no-cache', 'Content-Security-Policy': DOCS_CSP }).type('html').send(html);
  });
  return router;
}
