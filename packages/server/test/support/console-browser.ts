/**
 * Shared helpers for the console tests, which drive the real console in Debian's Chromium against a
 * real patchbay: locating and launching Chromium, screenshots, waiting, signing in and out, the
 * Administration menu, and the step runner that skips later steps after a failure.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { Credentials } from './server.ts';

/** The Chromium binary the console tests drive (override with CHROMIUM_PATH). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Command-line flags for a quiet, headless Chromium. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where full-page screenshots land: test-output/screenshots/ at the repository root. */
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
/** The built console's entry page. */
export const CONSOLE_INDEX = path.join(REPO_ROOT, 'packages', 'console', 'dist', 'index.html');

/** Generous per-step wait: the slowest step is a real TLS round trip to a fake connector. */
export const STEP_TIMEOUT_MS = 15_000;

/** Chromium is needed: CI fails without it, a developer machine skips with the install command. */
export function chromiumOrSkip(t: TestContext): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) {
    assert.fail(`Chromium is not installed at ${CHROMIUM_PATH}; console tests need it (apt-get install chromium, or set CHROMIUM_PATH).`);
  }
  t.skip('Chromium not installed: apt-get install chromium');
  return false;
}

/** Checks Chromium (skipping without it) and the built console, and makes the screenshot folder; false means skip. */
export function consoleTestReady(t: TestContext): boolean {
  if (!chromiumOrSkip(t)) return false;
  assert.ok(existsSync(CONSOLE_INDEX), `The console is not built (${CONSOLE_INDEX} is missing): run npm run build --workspace @patchbay/console.`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return true;
}

/** Saves a full-page screenshot of a page under a name. */
export type Screenshot = (page: Page, name: string) => Promise<void>;

/** A `Screenshot` that saves to SCREENSHOTS as `${prefix}${name}.png`. */
export function screenshotter(prefix = ''): Screenshot {
  return async (page, name) => {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${prefix}${name}.png`), fullPage: true });
  };
}

/** Waits until the locator is visible (Playwright's auto-waiting, without @playwright/test's expect). */
export async function visible(locator: Locator): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  return locator;
}

/** Waits until the page's level-1 heading is exactly `name`. */
export async function heading(page: Page, name: string): Promise<void> {
  await visible(page.getByRole('heading', { level: 1, name, exact: true }));
}

/** Signs in to the console at `baseUrl` and waits for Home. */
export async function signIn(page: Page, baseUrl: string, user: Credentials): Promise<void> {
  await page.goto(baseUrl);
  await heading(page, 'Sign In');
  await page.getByLabel('Login ID').fill(user.loginId);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign In', exact: true }).click();
  await heading(page, 'Home');
}

/** Opens the Administration menu and follows `item`; `onMenuOpen` (say, a screenshot) runs while the menu is open. */
export async function openAdministration(page: Page, item: string, onMenuOpen?: () => Promise<void>): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: 'Administration' }).click();
  const link = await visible(nav.getByRole('link', { name: item, exact: true }));
  if (onMenuOpen !== undefined) await onMenuOpen();
  await link.click();
}

/** Signs out and waits for the Sign In page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign Out' }).click();
  await heading(page, 'Sign In');
}

/** Launches headless Chromium at CHROMIUM_PATH. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A console page (1280x900, en-US, UTC, STEP_TIMEOUT_MS) with its uncaught errors collected; `grant` grants permissions first. */
export async function openConsolePage(browser: Browser, grant?: { permissions: string[]; origin: string }): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  if (grant !== undefined) await context.grantPermissions(grant.permissions, { origin: grant.origin });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { page, pageErrors };
}

/** A step runner for steps that build on each other: after a failure (screenshotted as `failure`) the rest are skipped. */
export function stepRunner(t: TestContext, page: Page, screenshot: Screenshot): (name: string, body: () => Promise<void>) => Promise<void> {
  let broken = false;
  return (name, body) =>
    t.test(name, async (st) => {
      if (broken) {
        st.skip('an earlier step failed');
        return;
      }
      try {
        await body();
      } catch (error) {
        broken = true;
        await screenshot(page, 'failure').catch(() => {});
        throw error;
      }
    });
}
