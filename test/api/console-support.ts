/**
 * A real Chromium (Debian `chromium`, driven by playwright-core) against an API harness (support.ts), for
 * the console's browser tests: launch it as ../shared/docs/TESTING.md says, log a person in with password
 * and TOTP as the login form asks, open a bank's portal by its client certificate, open a page by its
 * hash route and wait for it, save a screenshot under test-results/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { base32Decode, totp } from '../../switch/api/credentials.ts';
import type { ApiHarness } from './support.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS = join(new URL('../..', import.meta.url).pathname, 'test-results');
export const noChromium = !existsSync(CHROMIUM) && `${CHROMIUM} not installed (apt-get install chromium)`;

export async function launch(): Promise<Browser> {
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], // playwright gives it a new empty user-data directory
  });
}

/** The API's origin by the name its server certificate carries. */
export const originOf = (a: ApiHarness): string => a.api.url.replace('127.0.0.1', 'localhost');

/** Waits until `condition` holds, checked from here (the page's CSP forbids the string evaluation waitForFunction would need). */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A person logged in through the login form with a fresh TOTP code. */
export async function logIn(browser: Browser, a: ApiHarness, name: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`script error in the console: ${error.message}`));
  await page.goto(`${originOf(a)}/console`);
  const person = a.people.get(name)!;
  a.clock.advance(30_000);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', person.password);
  await page.fill('input[name=totp]', totp(base32Decode(person.secret), a.clock.now()));
  await page.click('form#login button[type=submit]');
  await page.waitForSelector(`#who:has-text("${name} (${person.role})")`);
  return page;
}

/** A bank's portal: the console opened with its scheme client certificate. */
export async function portal(browser: Browser, a: ApiHarness, bic: string): Promise<Page> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, acceptDownloads: true,
    clientCertificates: [{ origin: originOf(a), certPath: a.pki.certOf(bic), keyPath: a.pki.keyOf(bic) }],
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`script error in the console: ${error.message}`));
  await page.goto(`${originOf(a)}/console`);
  await page.waitForSelector(`#who:has-text("${bic} (participant, client certificate)")`);
  return page;
}

/** Opens a page by its hash route and waits until it has rendered (its h1, no "Loading…"). */
export async function open(page: Page, hash: string, heading: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await page.waitForSelector(`#view h1:has-text(${JSON.stringify(heading)})`);
  await until(`${hash} has loaded`, async () => !(await page.textContent('#view'))?.includes('Loading…'));
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(RESULTS, `console-${name}.png`), fullPage: true });
