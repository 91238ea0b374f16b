import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from './processes';

/**
 * Plays HLS and DASH URLs in a real (headless) Chromium with hls.js and
 * dash.js, as a web page on another origin would: the page comes from a
 * small local server, the players from node_modules (no CDN), the media
 * from the API, cross-origin. Reusable by any test that has playback URLs,
 * e.g. an end-to-end test of the adaptive_stream operation.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Starts Chromium the way CI can run it: no sandbox (containers), no GPU, no network chatter. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

const SCRIPTS: Readonly<Record<string, string>> = {
  '/hls.js': path.join(REPO_ROOT, 'node_modules/hls.js/dist/hls.min.js'),
  '/dash.js': path.join(REPO_ROOT, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js'),
};

// The players report into window.__player; the test polls it.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>mediaflow player test</title>
<script src="/hls.js"></script><script src="/dash.js"></script>
<style>body{margin:0;background:#111}video{width:640px;height:360px;display:block}</style></head>
<body><video id="video" muted autoplay playsinline></video>
<script>
window.__player = { errors: [], stalls: [], started: false };
const video = document.getElementById('video');
video.addEventListener('error', () => window.__player.errors.push('video element: ' + (video.error && video.error.message)));
video.addEventListener('playing', () => { window.__player.started = true; });
window.playHls = (url) => {
  if (!window.Hls || !Hls.isSupported()) { window.__player.errors.push('hls.js: MSE not supported'); return; }
  const hls = new Hls({ debug: false });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    // A non-fatal stall means segments arrived late (a loaded machine), not that
    // the media is wrong: hls.js recovers by itself. Counted apart, so a stall
    // alone does not end the check; playback must still get past minSeconds.
    if (!data.fatal && (data.details === 'bufferStalledError' || data.details === 'bufferNudgeOnStall')) {
      window.__player.stalls.push(data.details);
      return;
    }
    window.__player.errors.push('hls.js ' + (data.fatal ? 'fatal ' : '') + data.type + ': ' + data.details);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch((e) => window.__player.errors.push('play(): ' + e)); });
};
window.playDash = (url) => {
  const player = dashjs.MediaPlayer().create();
  player.on(dashjs.MediaPlayer.events.ERROR, (event) => {
    window.__player.errors.push('dash.js: ' + JSON.stringify(event.error || event));
  });
  player.initialize(video, url, true);
};
</script></body></html>`;

export interface PlayerPageServer {
  /** e.g. http://127.0.0.1:41234; put it in the API's CORS_ORIGINS. */
  origin: string;
  close(): Promise<void>;
}

/** Serves the test page and the two players on a port of its own: a different origin from the API. */
export async function startPlayerPageServer(): Promise<PlayerPageServer> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const script = SCRIPTS[url];
    if (script !== undefined) {
      readFile(script).then(
        (body) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
      return;
    }
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export interface PlaybackCheck {
  player: 'hls' | 'dash';
  url: string;
  /** video.currentTime when the check ended, in seconds. */
  currentTime: number;
  /** Error events the player and the <video> element raised. */
  errors: string[];
  /** Non-fatal hls.js buffer stalls (late segments), which the player recovers from. */
  stalls: string[];
  /** Where the screenshot was saved, when asked for. */
  screenshot?: string;
}

interface PlayerState {
  errors: string[];
  stalls: string[];
  currentTime: number;
}

/**
 * Loads the test page (from `pageOrigin`) once per URL given, plays it muted
 * with hls.js or dash.js, and waits until `video.currentTime` passes
 * `minSeconds` or an error event fires or `timeoutMs` elapses. Never throws
 * for a playback failure: the caller asserts on the result.
 *
 * @param urls Absolute URLs of an HLS master playlist and/or a DASH MPD.
 * @param options.minSeconds How far playback must get, in seconds of media.
 * @param options.screenshotPath Called per player, e.g. `p => '.services/artifacts/hls.png'`.
 */
export async function playInBrowser(
  page: Page,
  urls: { hlsUrl?: string; dashUrl?: string },
  options: {
    pageOrigin: string;
    minSeconds: number;
    timeoutMs?: number;
    screenshotPath?: (player: 'hls' | 'dash') => string;
  },
): Promise<PlaybackCheck[]> {
  const results: PlaybackCheck[] = [];
  const runs: ['hls' | 'dash', string | undefined][] = [
    ['hls', urls.hlsUrl],
    ['dash', urls.dashUrl],
  ];
  for (const [player, url] of runs) {
    if (url === undefined) continue;
    await page.goto(`${options.pageOrigin}/`);
    // Browser-side code as expressions: this project compiles without the DOM library.
    await page.evaluate(`window.${player === 'hls' ? 'playHls' : 'playDash'}(${JSON.stringify(url)})`);
    await page
      .waitForFunction(
        `window.__player.errors.length > 0 || document.querySelector('video').currentTime > ${options.minSeconds}`,
        undefined,
        { timeout: options.timeoutMs ?? 60_000, polling: 100 },
      )
      .catch(() => undefined);
    const state = await page.evaluate<PlayerState>(
      "({ errors: [...window.__player.errors], stalls: [...window.__player.stalls], currentTime: document.querySelector('video').currentTime })",
    );
    const screenshot = options.screenshotPath?.(player);
    if (screenshot !== undefined) await page.screenshot({ path: screenshot });
    results.push({ player, url, ...state, ...(screenshot === undefined ? {} : { screenshot }) });
  }
  return results;
}
