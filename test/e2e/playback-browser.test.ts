import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, playInBrowser, startPlayerPageServer } from '../support/browser-player';
import type { PlayerPageServer } from '../support/browser-player';
import { startInProcessApi } from '../support/in-process-api';
import type { InProcessApi } from '../support/in-process-api';
import { REPO_ROOT } from '../support/processes';
import { buildStreamingPackage, publishPackageJob } from '../support/streaming-package';
import type { PublishedJob, StreamingPackage } from '../support/streaming-package';
import { TEST_KEYS } from '../support/system';

/**
 * The signed playback URLs really play: headless Chromium loads a page from
 * another origin (allowed by CORS_ORIGINS), which plays the HLS master
 * playlist with hls.js and the MPD with dash.js from the real API, S3 and
 * MongoDB. The package is built by FFmpeg here; an end-to-end test of the
 * adaptive_stream job can call playInBrowser() with its own URLs.
 */

jest.setTimeout(180_000);

const ARTIFACTS = path.join(REPO_ROOT, '.services', 'artifacts');

describe('playback in a real browser (Chromium, hls.js, dash.js)', () => {
  let dir: string;
  let pkg: StreamingPackage;
  let pageServer: PlayerPageServer;
  let api: InProcessApi;
  let job: PublishedJob;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-browser-'));
    await mkdir(ARTIFACTS, { recursive: true });
    pkg = await buildStreamingPackage(path.join(dir, 'package'), { durationSeconds: 10, segmentSeconds: 2 });
    pageServer = await startPlayerPageServer();
    api = await startInProcessApi({
      DB_NAME: `browser_${path.basename(dir).replace(/[^A-Za-z0-9]/g, '_')}`,
      OUTPUT_PREFIX: `browser-test/${path.basename(dir)}/`,
      CORS_ORIGINS: pageServer.origin,
    });
    job = await publishPackageJob({
      repository: api.infrastructure.repository,
      store: api.infrastructure.store,
      bucket: api.config.OUTPUT_BUCKET,
      outputPrefix: api.config.OUTPUT_PREFIX,
      owner: 'alice',
      pkg,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  });

  afterAll(async () => {
    await browser?.close();
    if (api && job) await api.infrastructure.store.deletePrefix({ bucket: api.config.OUTPUT_BUCKET, key: job.folder });
    await api?.close();
    await pageServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plays the signed HLS master playlist and DASH MPD past two segments without an error', async () => {
    const response = await fetch(`${api.base}/jobs/${job.jobId}/playback`, {
      headers: { authorization: `Bearer ${TEST_KEYS.alice}` },
    });
    expect(response.status).toBe(200);
    const urls = (await response.json()) as { hls?: string; dash?: string };
    const results = await playInBrowser(
      page,
      { hlsUrl: `${api.base}${urls.hls ?? ''}`, dashUrl: `${api.base}${urls.dash ?? ''}` },
      {
        pageOrigin: pageServer.origin,
        minSeconds: 2 * pkg.segmentSeconds,
        timeoutMs: 60_000,
        screenshotPath: (player) => path.join(ARTIFACTS, `playback-${player}.png`),
      },
    );
    expect(results.map((result) => result.player)).toEqual(['hls', 'dash']);
    for (const result of results) {
      expect({ player: result.player, errors: result.errors }).toEqual({ player: result.player, errors: [] });
      expect(result.currentTime).toBeGreaterThan(2 * pkg.segmentSeconds);
    }
  });
});
