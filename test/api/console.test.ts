/**
 * The web console in a real Chromium (Debian `chromium`, driven by playwright-core): an operator logs
 * in with password and TOTP, sees every participant's positions and headroom, finds a payment and
 * opens its timeline; a regulator sees the audit trail; what the console shows of amounts is exact.
 * Screenshots of each page go to test-results/ for a reviewer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { base32Decode, totp } from '../../switch/api/credentials.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { skipOption } from '../support/prerequisites.ts';
import { apiHarness, type ApiHarness } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(new URL('../..', import.meta.url).pathname, 'test-results');

describe('web console in Chromium', { skip: skipOption(!existsSync(CHROMIUM) && `${CHROMIUM} not installed (apt-get install chromium)`) }, () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let browser: Browser;
  before(async () => {
    xsd = new XsdValidator();
    a = await apiHarness('pglite', xsd);
    mkdirSync(RESULTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'], // playwright gives it a new empty user-data directory

    });
    const xml = buildPacs008(bulkCreditTransfer({ seed: 21, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[2]!], transactionCount: 2,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-UI-21' }));
    const submitted = await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml });
    assert.equal(submitted.json.status, 'ACCP');
  });
  after(async () => {
    await browser?.close();
    await a.close();
    await xsd.close();
  });

  async function logIn(name: string): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${a.api.url.replace('127.0.0.1', 'localhost')}/console`);
    const person = a.people.get(name)!;
    a.clock.advance(30_000);
    await page.fill('input[name=name]', name);
    await page.fill('input[name=password]', person.password);
    await page.fill('input[name=totp]', totp(base32Decode(person.secret), a.clock.now()));
    await page.click('form#login button[type=submit]');
    await page.waitForSelector('#who:has-text("' + name + '")');
    assert.equal(await page.isVisible('form#login'), false, 'the login form goes once logged in');
    return page;
  }

  it('an operator logs in, sees positions and headroom, finds a payment and its timeline', async () => {
    const page = await logIn('olivia');
    await page.waitForSelector('h2:has-text("Positions and headroom")');
    const rows = await page.$$eval('table:first-of-type tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.find((r) => r[0] === 'BANKNL2AXXX')?.slice(2), ['10,000,000.00', '0.00', '0.00', '10,000,000.00']);
    await page.screenshot({ path: join(RESULTS, 'console-dashboard.png'), fullPage: true });

    await page.click('a[href="#payments"]');
    await page.waitForSelector('#results tbody tr.clickable');
    await page.fill('input[name=creditor]', 'banknl2axxx');
    await page.click('#search button');
    // A function body as text: it runs in the page, where `document` is (the test is compiled without the DOM library).
    await page.waitForFunction("document.querySelectorAll('#results tbody tr.clickable').length === 2");
    await page.click('#results tbody tr.clickable');
    await page.waitForSelector('#detail h3:has-text("Timeline")');
    assert.match(await page.textContent('#detail') ?? '', /ACCEPTED/);
    await page.screenshot({ path: join(RESULTS, 'console-payment.png'), fullPage: true });
    await page.context().close();
  });

  it('an auditor sees the audit trail; a view the role may not read shows the API\'s refusal', async () => {
    await a.call('POST', '/cycles/close', { token: await a.login('olivia'), body: { reason: 'console test cut-off' } });
    const page = await logIn('aaron');
    await page.click('a[href="#audit"]');
    await page.waitForSelector('td:has-text("console test cut-off")');
    await page.screenshot({ path: join(RESULTS, 'console-audit.png'), fullPage: true });
    await page.click('a[href="#payments"]');
    await page.waitForSelector('.error');
    assert.match(await page.textContent('.error') ?? '', /auditor role may not payment\.read/);
    await page.context().close();
  });
});
