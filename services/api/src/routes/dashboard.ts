import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import type { Response } from 'express';
import { AppError } from '@mediaflow/domain';

/** Where the dashboard is served; its client-side routes live under it too. */
export const DASHBOARD_PATH = '/app';

/**
 * The dashboard's policy: only its own scripts, styles, fonts and API; media
 * from the API or from blob: URLs (hls.js and dash.js feed MediaSource through
 * them); no inline script or style, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ONE_YEAR_SECONDS = 31_536_000;

/** The built dashboard next to this package in the repository and the image: services/dashboard/dist. */
export function defaultDashboardDirectory(): string {
  return path.resolve(__dirname, '..', '..', '..', 'dashboard', 'dist');
}

function pageHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': DASHBOARD_CSP,
    // The page and its assets are the API's own; a same-origin policy keeps other sites from embedding them.
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
}

/**
 * GET /app and everything under it: the dashboard's static files, built by
 * Vite into `directory`. Public (no API key): the page holds no data; it
 * signs in and then calls the API like any client.
 *
 * - `/app/assets/*` have content hashes in their names: cached for a year,
 *   immutable. A missing asset is a 404, never the page (a script URL
 *   answered with HTML would fail confusingly).
 * - every other path under /app that is not a file is the page itself
 *   (client-side routes such as /app/jobs/<id>), `no-cache` so a new build
 *   is picked up on the next load.
 * - when the dashboard was not built, 404 NOT_FOUND says how to build it.
 */
export function dashboardRoutes(directory: string = defaultDashboardDirectory()): Router {
  const router = Router();
  const indexFile = path.join(directory, 'index.html');
  const assets = path.join(directory, 'assets');
  const serveStatic = express.static(directory, {
    index: false,
    redirect: false,
    fallthrough: true,
    setHeaders: (res, filePath) => {
      pageHeaders(res);
      const hashed = path.dirname(filePath) === assets;
      res.setHeader('Cache-Control', hashed ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : 'no-cache');
    },
  });

  router.use(DASHBOARD_PATH, (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    if (!existsSync(indexFile)) {
      throw new AppError(
        'NOT_FOUND',
        'the dashboard is not built here: run `npm run build` (it builds services/dashboard into its dist/)',
      );
    }
    // The page's own HTML is never served from the static handler (index: false), so it always gets no-cache.
    if (req.path === '/' || req.path === '/index.html') {
      sendPage(res);
      return;
    }
    serveStatic(req, res, () => {
      if (req.path.startsWith('/assets/')) {
        next(new AppError('NOT_FOUND', `no dashboard asset ${req.path}`));
        return;
      }
      sendPage(res);
    });
  });

  function sendPage(res: Response): void {
    pageHeaders(res);
    res.set('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  }

  return router;
}
