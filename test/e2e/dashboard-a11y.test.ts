import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser-player';
import { startEmbedded } from '../support/embedded';
import { makeTestClip } from '../support/media-clips';
import { freePort } from '../support/processes';
import type { ServiceProcess } from '../support/processes';

/**
 * Accessibility of every dashboard page, as axe-core (Deque's rule engine,
 * the WCAG 2.0/2.1 A and AA rules: labels, names, roles, contrast, landmarks,
 * headings, focusable controls) finds it in Chromium, at a laptop's and a
 * phone's size, on `npm start` with sign-up on. axe runs inside the page, so
 * this context alone bypasses the page's CSP to inject it; the CSP itself is
 * checked in dashboard.test.ts.
 */

jest.setTimeout(240_000);

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PASSWORD = `correct horse ${randomBytes(6).toString('hex')} battery`;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('the dashboard’s pages have no WCAG 2.1 A/AA violations axe can find', () => {
  let dir: string;
  let service: ServiceProcess;
  let base: string;
  let browser: Browser;
  let axeSource: string;
  let clip: string;
  let jobPath = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-a11y-'));
    clip = await makeTestClip(dir, 'town hall.mp4', { seconds: 4, width: 320, height: 180 });
    const port = await freePort();
    service = await startEmbedded(path.join(dir, 'data'), port, {
      SIGNUP_ENABLED: 'true',
      AUTH_TOKEN_SECRET: randomBytes(32).toString('hex'),
    });
    base = `http://127.0.0.1:${port}`;
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** axe's WCAG A/AA violations on what the page shows now, as `rule (impact): selector` lines. */
  async function violations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: axeSource });
    const found = await page.evaluate<AxeViolation[]>(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} } }).then((r) => r.violations)`,
    );
    return found.flatMap((violation) =>
      violation.nodes.map(
        (node) => `${violation.id} (${violation.impact ?? '?'}): ${node.target.join(' ')} — ${violation.help}`,
      ),
    );
  }

  async function checkPages(context: BrowserContext, label: string): Promise<Record<string, string[]>> {
    const page = await context.newPage();
    const results: Record<string, string[]> = {};
    const visit = async (name: string, url: string, heading: string | RegExp): Promise<void> => {
      await page.goto(`${base}${url}`);
      await page.getByRole('heading', { name: heading }).first().waitFor();
      results[`${label} ${name}`] = await violations(page);
    };
    await visit('jobs', '/app/', 'Jobs');
    await visit('new job', '/app/new', 'New job');
    await visit('job', jobPath, /^Compress · /);
    await visit('account', '/app/account', 'Account');
    await page.close();
    return results;
  }

  it('on the sign-in, sign-up, jobs, new-job, job and account pages, on a laptop and on a phone', async () => {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 850 } });
    const page = await context.newPage();
    const results: Record<string, string[]> = {};

    await page.goto(`${base}/app/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    results['sign-in'] = await violations(page);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    results['sign-up'] = await violations(page);

    // Keyboard only: the form is filled and sent without the mouse.
    await page.getByLabel('Email').focus();
    await page.keyboard.type(`ada-${randomBytes(3).toString('hex')}@example.com`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();

    // One finished job, so the job page shows its player, outputs, log and history.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).click();
    await page.getByLabel('Choose a file').setInputFiles(clip);
    await page.getByText('uploaded.').waitFor({ timeout: 60_000 });
    await page.getByLabel('Operation').selectOption('compress');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.getByRole('heading', { name: /^Compress · / }).waitFor();
    await page.locator('.badge', { hasText: 'completed' }).first().waitFor({ timeout: 120_000 });
    jobPath = new URL(page.url()).pathname;

    Object.assign(results, await checkPages(context, 'laptop'));
    // The same person on a phone-sized screen (the refresh cookie is shared by the context).
    const phone = await browser.newContext({
      bypassCSP: true,
      viewport: { width: 390, height: 844 },
      storageState: await context.storageState(),
    });
    Object.assign(results, await checkPages(phone, 'phone'));
    await phone.close();
    await context.close();

    const empty = Object.fromEntries(Object.keys(results).map((name) => [name, []]));
    expect(results).toEqual(empty);
  });
});
