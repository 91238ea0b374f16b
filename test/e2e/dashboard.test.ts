import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ApiClient } from '../support/api-client';
import { launchChromium } from '../support/browser-player';
import { openDashboard, progressOf, watchProgress } from '../support/dashboard-browser';
import type { DashboardTab } from '../support/dashboard-browser';
import { submitJob } from '../support/jobs';
import { makeTestClip } from '../support/media-clips';
import { startSystem } from '../support/system';
import type { RunningSystem } from '../support/system';

/**
 * The web dashboard in headless Chromium against a real system: the API and
 * a worker as processes, Kafka, MongoDB (FerretDB) and S3. Each step is what
 * a person does and sees: text, roles, labels, the progress bar's
 * aria-valuenow; nothing reads the app's internal state. Screenshots of each
 * page go to .services/artifacts/dashboard/.
 */

jest.setTimeout(300_000);

const PASSWORD = `correct horse ${randomBytes(6).toString('hex')} battery`;
const email = (who: string): string => `${who}-${randomBytes(4).toString('hex')}@example.com`;

describe('the dashboard (/app) on a real system, in Chromium', () => {
  let system: RunningSystem;
  let base: string;
  let browser: Browser;
  let dir: string;
  let clip: string;
  let longClip: string;
  const tabs: DashboardTab[] = [];
  const alice = email('alice');
  let completedJobUrl = '';

  const open = async (options: Parameters<typeof openDashboard>[2] = {}): Promise<DashboardTab> => {
    const tab = await openDashboard(browser, base, options);
    tabs.push(tab);
    return tab;
  };

  async function signUp(page: Page, address: string): Promise<void> {
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Email').fill(address);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  /** A key made on the Account page, for the person's own script (multi-step jobs are submitted over the API). */
  async function scriptKey(page: Page): Promise<ApiClient> {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('New key’s name').fill('script');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expectVisibleText(page, 'Copy it now');
    return system.client.as(await page.getByLabel('The new key').inputValue());
  }

  async function newJobPage(page: Page): Promise<void> {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).click();
    await page.getByRole('heading', { name: 'New job' }).waitFor();
  }

  async function waitForUpload(page: Page): Promise<void> {
    const upload = page.getByRole('progressbar', { name: 'Upload progress' });
    await expectEventually(
      async () => progressOf(upload),
      (value) => value === 100,
      60_000,
    );
    await page.getByText('uploaded.').waitFor();
    expect(await page.getByLabel('Source').inputValue()).toMatch(/^s3:\/\//);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-dashboard-'));
    [clip, longClip] = await Promise.all([
      makeTestClip(dir, 'garden party.mp4', { seconds: 15, width: 480, height: 270 }),
      makeTestClip(dir, 'long lecture.mp4', { seconds: 90, width: 640, height: 480 }),
    ]);
    system = await startSystem({
      db: 'mongodb',
      workers: 1,
      env: { SIGNUP_ENABLED: 'true', AUTH_TOKEN_SECRET: randomBytes(32).toString('hex') },
    });
    base = system.client.baseUrl;
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const tab of tabs) await tab.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page with a strict Content-Security-Policy, and the page logs no error or CSP violation', async () => {
    const response = await fetch(`${base}/app/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).not.toMatch(/<script>(?!<\/script>)|<style>|style="/);
    // A client-side route is the same page; GET / points people to it.
    expect((await fetch(`${base}/app/jobs/whatever`)).headers.get('content-security-policy')).toBe(csp);
    expect(((await (await fetch(`${base}/`)).json()) as { dashboard?: string }).dashboard).toBe('/app');

    const tab = await open();
    await tab.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await tab.page.getByRole('link', { name: 'Create an account' }).click();
    await tab.page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await tab.screenshot('01-sign-up');
    expect(tab.problems).toEqual([]);
  });

  it('signs up, uploads a clip with the picker, submits compress from the generated form, and follows it live to 100 % and playback', async () => {
    const tab = await open();
    const { page } = tab;
    await signUp(page, alice);
    await expectVisibleText(page, 'No jobs yet.');
    await tab.screenshot('02-jobs-empty');

    await newJobPage(page);
    await page.getByLabel('Choose a file').setInputFiles(clip);
    await waitForUpload(page);
    await page.getByLabel('Operation').selectOption('compress');
    // Fields generated from the operation's JSON Schema, defaults shown.
    expect(await page.getByLabel('Crf').inputValue()).toBe('28');
    expect(await page.getByLabel('Crf').getAttribute('max')).toBe('51');
    expect(await page.getByLabel('Preset').inputValue()).toBe('veryfast');
    await page.getByLabel('Preset').selectOption('slow');
    await tab.screenshot('03-new-job');
    const loadsBefore = tab.documentLoads();
    await page.getByRole('button', { name: 'Submit job' }).click();

    // A small file goes up in one request and keeps its (safe) name.
    await page.getByRole('heading', { name: 'Compress · garden_party.mp4' }).waitFor();
    completedJobUrl = page.url();
    expect(completedJobUrl).toMatch(/\/app\/jobs\/[0-9a-f-]{36}$/);
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    const seen = await watchProgress(bar, 180_000);
    // It moved while the page stayed open: values between 0 and 100, then 100, without a reload.
    expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
    expect(seen.at(-1)).toBe(100);
    expect(tab.documentLoads()).toBe(loadsBefore);
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor();
    await expectVisibleText(page, 'Outputs');
    await page
      .getByRole('link', { name: /^Download .*\.mp4$/ })
      .first()
      .waitFor();

    // The output plays in the page's own <video> through a signed playback URL.
    const video = page.locator('video[aria-label="Video output"]');
    await video.waitFor();
    // Text evaluated in the page (this project's tests compile without the DOM's types).
    const played = await page.evaluate<{ started: number; now: number; error: string | null }>(`(async () => {
      const element = document.querySelector('video[aria-label="Video output"]');
      element.muted = true;
      await element.play();
      const started = element.currentTime;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      return { started, now: element.currentTime, error: element.error ? element.error.message : null };
    })()`);
    expect(played.error).toBeNull();
    expect(played.now).toBeGreaterThan(played.started + 1);
    await page.getByText('FFmpeg log').click();
    await page.getByLabel('FFmpeg log').waitFor();
    await tab.screenshot('04-job-completed');

    // The list shows it, completed, with its bar at 100.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const row = page.getByRole('listitem').filter({ hasText: 'garden' });
    await row.first().waitFor();
    expect(await progressOf(row.first().getByRole('progressbar'))).toBe(100);
    await page.getByLabel('Status').selectOption('failed');
    await expectVisibleText(page, '0 jobs matching the filters');
    await page.getByLabel('Status').selectOption('completed');
    await row.first().waitFor();
    await tab.screenshot('05-jobs-list');
    expect(tab.problems).toEqual([]);
  });

  it('keeps the person signed in across a reload, and signs out and in again', async () => {
    const tab = await open();
    const { page } = tab;
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(alice);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'garden' }).first().waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await expectVisibleText(page, `Signed in as ${alice}`);
    await page.getByLabel('New key’s name').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expectVisibleText(page, 'Copy it now');
    expect(await page.getByLabel('The new key').inputValue()).not.toBe('');
    await tab.screenshot('06-account');
    await signOut(page);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(tab.problems.filter((problem) => !problem.includes('401'))).toEqual([]);
  });

  it('uploads by drag and drop, cancels a long job, and deletes it', async () => {
    const tab = await open();
    const { page } = tab;
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(alice);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await newJobPage(page);

    const bytes = (await readFile(longClip)).toString('base64');
    // A DataTransfer holding the file, as the browser makes for a drop from the desktop.
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      const binary = atob(${JSON.stringify(bytes)});
      const array = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index += 1) array[index] = binary.charCodeAt(index);
      transfer.items.add(new File([array], ${JSON.stringify(path.basename(longClip))}, { type: 'video/mp4' }));
      return transfer;
    })()`);
    await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer });
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
    await waitForUpload(page);
    await page.getByLabel('Operation').selectOption('compress');
    await page.getByLabel('Preset').selectOption('veryslow');
    await page.getByLabel('Crf').fill('18');
    await page.getByRole('button', { name: 'Submit job' }).click();
    // A large file goes up resumably (tus), under the upload's id.
    await page.getByRole('heading', { name: /^Compress · / }).waitFor();

    await page.locator('.badge', { hasText: 'processing' }).first().waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('.badge', { hasText: 'cancelled' }).first().waitFor({ timeout: 60_000 });
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    expect(await progressOf(bar)).toBeLessThan(100);
    await page.getByRole('button', { name: 'Retry job' }).waitFor();
    await tab.screenshot('07-job-cancelled');
    const jobUrl = page.url();
    const jobId = jobUrl.slice(jobUrl.lastIndexOf('/') + 1);

    // A second tab of the same person watches the list: the deletion reaches it live, without a reload.
    const watcher = await tab.context.newPage();
    await watcher.goto(`${base}/app/`);
    const row = watcher.locator(`a[href$="/jobs/${jobId}"]`);
    await row.waitFor();
    await page.getByRole('button', { name: 'Delete job' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'garden' }).first().waitFor();
    expect(await page.getByRole('listitem').count()).toBe(1);
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await watcher.close();
    await page.goto(`${base}/app/jobs/${jobId}`);
    await page.getByRole('alert').filter({ hasText: 'JOB_NOT_FOUND' }).waitFor();
    expect(tab.problems.filter((problem) => !problem.includes('404'))).toEqual([]);
  });

  it('resumes a large (tus) upload from the server’s offset after a pause', async () => {
    const tab = await open();
    const { page } = tab;
    await signUp(page, email('carol'));
    await newJobPage(page);
    // The second 8 MiB PATCH is held back, so the person can pause with one chunk on the server.
    let patches = 0;
    let releaseHeld: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      releaseHeld = resolve;
    });
    await page.route('**/uploads/tus/*', async (route) => {
      if (route.request().method() === 'PATCH') {
        patches += 1;
        if (patches === 2) {
          await held;
          await route.abort().catch(() => undefined);
          return;
        }
      }
      await route.continue();
    });
    await page.getByLabel('Choose a file').setInputFiles({
      name: 'big recording.mp4',
      mimeType: 'video/mp4',
      buffer: randomBytes(20 * 1024 * 1024),
    });
    await expectEventually(
      async () => progressOf(page.getByRole('progressbar', { name: 'Upload progress' })),
      (value) => value >= 40,
      60_000,
    );
    await page.getByRole('button', { name: 'Pause upload' }).click();
    await page.getByText('paused.').waitFor();
    releaseHeld();
    await page.getByRole('button', { name: 'Resume upload' }).click();
    await page.getByText('Resumed at 8.0 MiB.').waitFor();
    await waitForUpload(page);
    await tab.screenshot('08-upload-resumed');
    expect(tab.problems.filter((problem) => !problem.includes('net::ERR_FAILED'))).toEqual([]);
  });

  it('shows a second account (on a phone-sized screen) none of the first one’s jobs, and changes its password', async () => {
    const tab = await open({ viewport: { width: 390, height: 844 } });
    const { page } = tab;
    const bob = email('bob');
    await signUp(page, bob);
    await expectVisibleText(page, 'No jobs yet.');
    await expectVisibleText(page, '0 jobs');
    await tab.screenshot('09-second-account-phone');
    await page.goto(completedJobUrl);
    await page.getByRole('alert').filter({ hasText: 'JOB_NOT_FOUND' }).waitFor();
    await tab.screenshot('10-other-accounts-job');

    // Password change on the Account page; the new password signs in, the old one no longer does.
    const renewed = `${PASSWORD} renewed`;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill(renewed);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expectVisibleText(page, 'Password changed.');
    await signOut(page);
    await page.getByLabel('Email').fill(bob);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHORIZED' }).waitFor();
    await page.getByLabel('Password').fill(renewed);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    // The browser logs the refused requests themselves (the other account's job, the old password).
    expect(tab.problems.filter((problem) => !/\b(401|404)\b/.test(problem))).toEqual([]);
  });

  it('shows a two-step job (concat → grayscale of two sources) as its steps in order, each done, its outputs under each step, and the chain in the list', async () => {
    const tab = await open();
    const { page } = tab;
    await signUp(page, email('dora'));
    // The person's script submits the chain with a key made on the Account page; the dashboard follows it.
    const script = await scriptKey(page);
    const [intro, outro] = await Promise.all([
      makeTestClip(dir, 'intro.mp4', { seconds: 2, width: 320, height: 180 }),
      makeTestClip(dir, 'outro.mp4', { seconds: 2, width: 320, height: 180 }),
    ]);
    const sources = [await script.upload('intro.mp4', intro), await script.upload('outro.mp4', outro)];
    const jobId = await submitJob(script, {
      sources,
      steps: [{ method_name: 'concat', params: { preset: 'ultrafast' } }, { method_name: 'grayscale' }],
    });

    await page.goto(`${base}/app/jobs/${jobId}`);
    await page.getByRole('heading', { level: 1, name: 'Concat → grayscale · intro.mp4 and 1 more' }).waitFor();
    const steps = page.getByRole('region', { name: 'Steps' }).getByRole('list').getByRole('listitem');
    expect(await steps.count()).toBe(2);
    // Until the end, each look at the list shows finished steps only before unfinished ones, in order.
    // Both badges are read in one look (one call): two reads could straddle an update of the page.
    const seen: string[][] = [];
    await expectEventually(
      async () => {
        const states = await steps.locator('.badge').allTextContents();
        seen.push(states);
        return states;
      },
      (states) => states.length === 2 && states.every((state) => state === 'done'),
      180_000,
    );
    for (const states of seen) {
      expect(states.every((state) => ['done', 'running', 'waiting'].includes(state))).toBe(true);
      expect(states[0] !== 'done' && states[1] === 'done').toBe(false);
    }
    expect(await steps.nth(0).textContent()).toMatch(/^Step 1: Concat\s*done\b/);
    expect(await steps.nth(1).textContent()).toMatch(/^Step 2: Grayscale\s*done\b/);
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor();
    expect(await progressOf(page.getByRole('progressbar', { name: 'Job progress' }))).toBe(100);

    // Each step's files under its own heading; the last step's MP4 is the job's result.
    const outputs = page.getByRole('region', { name: 'Outputs' });
    await outputs.getByRole('heading', { level: 3, name: 'Step 1: Concat' }).waitFor();
    await outputs.getByRole('heading', { level: 3, name: 'Step 2: Grayscale' }).waitFor();
    const first = outputs.getByRole('list', { name: 'Step 1: Concat' });
    const second = outputs.getByRole('list', { name: 'Step 2: Grayscale' });
    expect(await first.getByRole('link', { name: /^Download step-1\/.*\.mp4$/ }).count()).toBe(1);
    expect(await second.getByRole('link', { name: /^Download step-2\/.*\.mp4$/ }).count()).toBe(1);
    expect(await first.getByRole('link', { name: /^Download step-2\// }).count()).toBe(0);
    expect(await second.getByRole('link', { name: /^Download step-1\// }).count()).toBe(0);
    expect(
      await second
        .getByRole('listitem')
        .filter({ hasText: /step-2\/.*\.mp4/ })
        .textContent(),
    ).toContain('primary: the job’s result');
    expect(await first.textContent()).not.toContain('primary');
    await page.locator('video[aria-label="Video output"]').waitFor();

    // Both sources, in order, not only the first.
    const details = page.getByRole('region', { name: 'Details' });
    await details.getByText('Sources (2)').waitFor();
    const listed = details.getByRole('list', { name: '2 sources, in order' }).getByRole('listitem');
    expect(await listed.allTextContents()).toEqual([
      expect.stringContaining(sources[0]),
      expect.stringContaining(sources[1]),
    ]);
    expect(await listed.nth(0).textContent()).toMatch(/^intro\.mp4/);
    expect(await listed.nth(1).textContent()).toMatch(/^outro\.mp4/);
    await details.getByText('concat → grayscale', { exact: true }).waitFor();
    await tab.screenshot('11-multi-step-job');

    // The list names the chain, not only its first operation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const row = page.getByRole('list', { name: 'Jobs' }).getByRole('listitem');
    await row.getByRole('link', { name: 'Concat → grayscale · intro.mp4 and 1 more' }).waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('.badge').textContent()).toBe('completed');
    expect(await progressOf(row.getByRole('progressbar', { name: /^Progress of Concat → grayscale/ }))).toBe(100);
    await tab.screenshot('12-multi-step-in-list');
    expect(tab.problems).toEqual([]);
  });

  it('runs the Meeting recording preset on two clips uploaded together, in order, to a subtitled MP4 that plays', async () => {
    const tab = await open();
    const { page } = tab;
    await signUp(page, email('fay'));
    const names = ['standup part 1.mp4', 'standup part 2.mp4'];
    const clips = await Promise.all(
      names.map(async (name) => makeTestClip(dir, name, { seconds: 2, width: 320, height: 180 })),
    );
    await newJobPage(page);

    // Both chosen at once: listed in the order chosen, each with its own progress, until both are up.
    await page.getByLabel('Choose a file').setInputFiles(clips);
    const uploads = page.getByRole('list', { name: '2 files, in order' }).getByRole('listitem');
    await uploads.nth(1).waitFor();
    for (const [index, name] of names.entries()) {
      await expectEventually(
        async () => progressOf(uploads.nth(index).getByRole('progressbar', { name: `Upload progress of ${name}` })),
        (value) => value === 100,
        60_000,
      );
    }
    await expectEventually(
      async () => uploads.allTextContents(),
      (texts) => texts.length === 2 && texts.every((text) => text.includes('uploaded.')),
      30_000,
    );
    expect(await uploads.allTextContents()).toEqual([
      expect.stringMatching(/^standup part 1\.mp4 \(.+\) uploaded\./),
      expect.stringMatching(/^standup part 2\.mp4 \(.+\) uploaded\./),
    ]);
    const sources = page.getByLabel('Sources, one per line, in order');
    const uris = (await sources.inputValue()).split('\n');
    expect(uris).toEqual([
      expect.stringMatching(/^s3:\/\/.+part_1\.mp4$/),
      expect.stringMatching(/^s3:\/\/.+part_2\.mp4$/),
    ]);

    // An operation of one source says it cannot take two, and does not submit.
    await page.getByLabel('Operation').selectOption('compress');
    await expectVisibleText(page, 'Compress reads one file, and there are 2.');
    expect(await page.getByRole('button', { name: 'Submit job' }).isDisabled()).toBe(true);

    // The preset, with its params generated from its JSON Schema like an operation's.
    await page.getByLabel('Operation').selectOption({ label: 'Meeting recording' });
    await expectVisibleText(page, 'Steps: Concat (mp4) → Transcribe (mp4)');
    expect(await page.getByText('reads one file').count()).toBe(0);
    expect(await page.getByLabel('Output format').count()).toBe(0);
    await page.getByLabel('Language').fill('en');
    await page.getByLabel('Model').selectOption('tiny.en');
    await tab.screenshot('14-new-job-preset');
    await page.getByRole('button', { name: 'Submit job' }).click();

    // The job is named after the preset; both steps finish, in order.
    await page
      .getByRole('heading', {
        level: 1,
        name: 'Meeting recording: concat → transcribe · standup_part_1.mp4 and 1 more',
      })
      .waitFor();
    const steps = page.getByRole('region', { name: 'Steps' }).getByRole('list').getByRole('listitem');
    await expectEventually(
      async () => steps.locator('.badge').allTextContents(),
      (states) => states.join() === 'done,done',
      90_000,
    );
    expect(await steps.allTextContents()).toEqual([
      expect.stringMatching(/^Step 1: Concat\s*done\b/),
      expect.stringMatching(/^Step 2: Transcribe\s*done\b/),
    ]);
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor();
    const details = page.getByRole('region', { name: 'Details' });
    const listed = details.getByRole('list', { name: '2 sources, in order' }).getByRole('listitem');
    expect(await listed.allTextContents()).toEqual([
      expect.stringMatching(/^standup_part_1\.mp4/),
      expect.stringMatching(/^standup_part_2\.mp4/),
    ]);

    // The result is the subtitled MP4 of the second step, and it plays in the page.
    const outputs = page.getByRole('region', { name: 'Outputs' });
    expect(
      await outputs
        .getByRole('list', { name: 'Step 2: Transcribe' })
        .getByRole('listitem')
        .filter({ hasText: /step-2\/.*\.mp4/ })
        .textContent(),
    ).toContain('primary: the job’s result');
    await page.locator('video[aria-label="Video output"]').waitFor();
    const video = await page.evaluate<{ duration: number; error: string | null }>(`(async () => {
      const element = document.querySelector('video[aria-label="Video output"]');
      if (element.readyState < 1) {
        await new Promise((resolve, reject) => {
          element.addEventListener('loadedmetadata', resolve, { once: true });
          element.addEventListener('error', () => reject(new Error(element.error ? element.error.message : 'error')), { once: true });
        });
      }
      return { duration: element.duration, error: element.error ? element.error.message : null };
    })()`);
    expect(video.error).toBeNull();
    // Both 2-second clips, joined.
    expect(video.duration).toBeGreaterThan(3.5);
    await tab.screenshot('15-preset-job');
    expect(tab.problems).toEqual([]);
  });

  it('shows a chain that fails at its second step: the first done with its output, the second failed, the third not run', async () => {
    const tab = await open();
    const { page } = tab;
    await signUp(page, email('erin'));
    const script = await scriptKey(page);
    // Without audio in any source, concat writes none, and extract_audio has nothing to extract.
    const [first, second] = await Promise.all([
      makeTestClip(dir, 'silent one.mp4', { seconds: 1, width: 320, height: 180, audio: false }),
      makeTestClip(dir, 'silent two.mp4', { seconds: 1, width: 320, height: 180, audio: false }),
    ]);
    const sources = [await script.upload('silent-one.mp4', first), await script.upload('silent-two.mp4', second)];
    const jobId = await submitJob(script, {
      sources,
      steps: [
        { method_name: 'concat', params: { preset: 'ultrafast' } },
        { method_name: 'extract_audio' },
        { method_name: 'probe' },
      ],
    });
    await page.goto(`${base}/app/jobs/${jobId}`);
    await page
      .getByRole('heading', { level: 1, name: 'Concat → extract audio → probe · silent-one.mp4 and 1 more' })
      .waitFor();
    await page.locator('.badge', { hasText: 'failed' }).first().waitFor({ timeout: 180_000 });
    await page.getByRole('alert').filter({ hasText: 'Failed:' }).waitFor();
    const steps = page.getByRole('region', { name: 'Steps' }).getByRole('list').getByRole('listitem');
    await expectEventually(
      async () => steps.locator('.badge').allTextContents(),
      (states) => states.join() === 'done,failed,not run',
      30_000,
    );
    expect(await steps.allTextContents()).toEqual([
      expect.stringMatching(/^Step 1: Concat\s*done\b/),
      expect.stringMatching(/^Step 2: Extract audio\s*failed\b/),
      expect.stringMatching(/^Step 3: Probe\s*not run\b/),
    ]);
    // The finished step's file stays listed under its step; nothing is the job's result.
    const outputs = page.getByRole('region', { name: 'Outputs' });
    await outputs
      .getByRole('list', { name: 'Step 1: Concat' })
      .getByRole('link', { name: /^Download step-1\/.*\.mp4$/ })
      .waitFor();
    expect(await outputs.getByRole('heading', { level: 3 }).allTextContents()).toEqual(['Step 1: Concat']);
    expect(await outputs.textContent()).not.toContain('primary');
    await page.getByRole('button', { name: 'Retry job' }).waitFor();
    await tab.screenshot('13-multi-step-failed');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    const row = page.getByRole('list', { name: 'Jobs' }).getByRole('listitem');
    await row.getByRole('link', { name: 'Concat → extract audio → probe · silent-one.mp4 and 1 more' }).waitFor();
    expect(await row.locator('.badge').textContent()).toBe('failed');
    expect(tab.problems).toEqual([]);
  });
});

async function expectVisibleText(page: Page, text: string): Promise<void> {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: 30_000 });
}

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
