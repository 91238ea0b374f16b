import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { REPO_ROOT } from './processes';

/** Screenshots of the dashboard's pages, kept as CI artefacts. */
export const DASHBOARD_ARTIFACTS = path.join(REPO_ROOT, '.services', 'artifacts', 'dashboard');

/** A browser tab on the dashboard, with everything it logged as an error (CSP violations included). */
export interface DashboardTab {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violation reports, in order. */
  problems: string[];
  /** How many times the main frame loaded a document (a reload or a full navigation adds one). */
  documentLoads(): number;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the dashboard in a fresh browser context (its own cookies): a person
 * with their own browser. `viewport` defaults to a laptop; pass a phone's.
 */
export async function openDashboard(
  browser: Browser,
  base: string,
  options: { viewport?: { width: number; height: number }; path?: string } = {},
): Promise<DashboardTab> {
  await mkdir(DASHBOARD_ARTIFACTS, { recursive: true });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1100, height: 850 } });
  const page = await context.newPage();
  const problems: string[] = [];
  let loads = 0;
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A document load; the app's own navigation (history.pushState) is not one.
  page.on('load', () => {
    loads += 1;
  });
  // Text, not a function: this project's test code compiles without the DOM's types.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (event) => " +
      "console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI));",
  );
  await page.goto(`${base}${options.path ?? '/app/'}`);
  return {
    context,
    page,
    problems,
    documentLoads: () => loads,
    screenshot: async (name) => {
      await page.screenshot({ path: path.join(DASHBOARD_ARTIFACTS, `${name}.png`), fullPage: true });
    },
    close: async () => context.close(),
  };
}

/** The progress bar's value as assistive technology reads it (aria-valuenow). */
export async function progressOf(bar: Locator): Promise<number> {
  return Number(await bar.getAttribute('aria-valuenow'));
}

/**
 * Watches a progress bar until it reads 100, returning every distinct value
 * it showed on the way.
 */
export async function watchProgress(bar: Locator, timeoutMs: number): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await progressOf(bar).catch(() => Number.NaN);
    if (!Number.isNaN(value) && seen.at(-1) !== value) seen.push(value);
    if (value >= 100) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the progress bar did not reach 100 within ${timeoutMs} ms; it showed ${seen.join(', ')}`);
}
