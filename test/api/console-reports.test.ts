/**
 * The console's Reports page in a real Chromium: a regulator logs in (password and TOTP), opens the
 * day's statistics, sees its figures and the report page with its SVG charts, downloads the CSV (the
 * API's own file) and reads another participant's reconciliation; a bank, by its client certificate,
 * sees only its own report and is refused another's. Screenshots under test-results/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { apiHarness, type ApiHarness } from './support.ts';
import { launch, logIn, noChromium, open, portal, shot, until } from './console-support.ts';

const DAY = '2026-11-26';

describe('console: reports', { skip: noChromium }, () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let browser: Browser;

  before(async () => {
    xsd = new XsdValidator();
    a = await apiHarness('pglite', xsd);
    const [bankA, bankB, bankC, bankD, bankE] = DEMO_BANKS;
    const files = [{ sender: bankA!, receivers: [bankB!, bankC!], count: 6 }, { sender: bankB!, receivers: [bankD!, bankE!], count: 4 },
      { sender: bankC!, receivers: [bankA!], count: 3 }];
    let n = 0;
    for (const f of files) {
      const xml = buildPacs008(bulkCreditTransfer({ seed: 400 + n, sender: f.sender, receivers: f.receivers, transactionCount: f.count,
        settlementDate: DAY, createdAt: `${DAY}T09:00:00Z`, messageId: `${f.sender.bic.slice(0, 8)}-CREP${++n}` }));
      assert.equal((await a.call('POST', '/messages', { bank: f.sender.bic, xml })).json.status, 'ACCP');
    }
    await a.h.dispatch();
    assert.ok((await a.h.closeAndSettle()) !== undefined);
    await a.h.dispatch();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await xsd?.close();
  });

  it('regulator opens a report: the day\'s statistics with their figures and charts, downloads the CSV, reads one bank\'s reconciliation', async () => {
    const page = await logIn(browser, a, 'rita');
    await page.keyboard.press('g');
    await page.keyboard.press('o');
    await page.waitForSelector('#view h1:has-text("Reports")');
    await page.selectOption('#report-form select[name=kind]', 'statistics');
    await page.selectOption('#report-form select[name=period]', 'date');
    await page.fill('#report-form input[name=date]', DAY);
    await page.click('#report-form button[type=submit]');
    await page.waitForSelector('#report-figures:has-text("13 payment(s)")');
    assert.match(await page.textContent('#report-figures') ?? '', new RegExp(`business day ${DAY}: 13 payment\\(s\\), [0-9,]+\\.\\d\\d EUR`));
    // The report page itself, framed: its charts are SVG, its tables the figures.
    const frame = page.frameLocator('#report-frame');
    await frame.locator('svg').first().waitFor();
    assert.ok(await frame.locator('svg').count() >= 2, 'the charts are there');
    assert.match(await frame.locator('body').textContent() ?? '', /BANKDEFFXXX/);
    await shot(page, 'reports');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    assert.equal(download.suggestedFilename(), `statistics-${DAY}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^record,participant,counterparty,currency,key,count,amount_minor,amount\r\n/);
    assert.match(csv, /\r\nsent,BANKDEFFXXX,,EUR,,6,/);
    assert.match(csv, /\r\nsent,BANKFRPPXXX,,EUR,,4,/);
    assert.equal(csv, (await a.call('GET', `/reports/statistics?date=${DAY}&format=csv`, { token: await a.login('rita') })).text);

    await page.selectOption('#report-form select[name=kind]', 'reconciliation');
    await page.selectOption('#report-form select[name=period]', 'month');
    await page.fill('#report-form input[name=month]', DAY.slice(0, 7));
    await page.selectOption('#report-form select[name=participant]', 'BANKFRPPXXX');
    await page.click('#report-form button[type=submit]');
    // A month's reconciliation on a machine running other tests may take a while: the page's own wait, not a time limit on the report.
    await until('the reconciliation is shown', async () => (await page.textContent('#report-figures').catch(() => ''))?.includes('BANKFRPPXXX') ?? false, 30_000);
    assert.match(await page.textContent('#report-figures') ?? '', /month 2026-11, BANKFRPPXXX: Reconciled/);
    assert.equal(await page.getAttribute('#download-pdf', 'href'), '/reports/reconciliation?month=2026-11&participant=BANKFRPPXXX&format=pdf');
    await frame.locator('body:has-text("BANKFRPPXXX")').waitFor();
    await shot(page, 'reports-reconciliation');
    await page.context().close();
  });

  it('a bank sees only its own report, with no choice of participant, and is refused another\'s', async () => {
    const page = await portal(browser, a, 'BANKDEFFXXX');
    assert.ok((await page.$$eval('#nav a', (links) => links.map((l) => l.textContent))).includes('Reports'));
    await open(page, `#reports?kind=statistics&date=${DAY}`, 'Reports');
    await page.waitForSelector('#report-figures:has-text("BANKDEFFXXX")');
    assert.equal(await page.locator('#report-form select[name=participant]').count(), 0);
    assert.match(await page.textContent('#report-figures') ?? '', /9 payment\(s\)/, 'its 6 sent and 3 received');
    const frame = page.frameLocator('#report-frame');
    await frame.locator('svg').first().waitFor();
    const text = await frame.locator('body').textContent() ?? '';
    assert.ok(!text.includes('BANKBEBBXXX'), 'a flow between two other banks is not in its report');
    await shot(page, 'portal-reports');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    assert.equal(download.suggestedFilename(), `statistics-${DAY}-BANKDEFFXXX.csv`);
    assert.doesNotMatch(readFileSync((await download.path())!, 'utf8'), /BANKBEBBXXX/);

    await open(page, `#reports?kind=statistics&date=${DAY}&participant=BANKFRPPXXX`, 'Reports');
    await page.waitForSelector('#view .error:has-text("its own reports only (BANKDEFFXXX)")');
    assert.equal(await page.locator('#report-frame').count(), 0);
    await page.context().close();
  });
});
