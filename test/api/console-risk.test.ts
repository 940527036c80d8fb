/**
 * The console's Freezes and Risk events pages in a real Chromium, on an engine whose risk stage screens
 * against a one-name scheme list and whose events reach the console through GET /events (as serve wires
 * them): an operator freezes an account and proposes to lift it; the row says it waits for a supervisor;
 * when a supervisor approves elsewhere the page drops the row by itself (live); a regulator
 * sees the list with no control. The risk events are listed, filtered by kind and participant, and a
 * new hold appears live. Screenshots under test-results/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { EventHub } from '../../switch/api/events.ts';
import { checkConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { hashed } from '../../switch/engine/screening-lists.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';
import { launch, logIn, noChromium, open, shot, until } from './console-support.ts';

/** A name on the scheme's screening list of these tests: a payment from a debtor of that name is held for review. */
const LISTED = 'Shell Front Trading Ltd';
const ACCOUNT = 'DE89370400440532013000';

describe('console: freezes and risk events', { skip: noChromium }, () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let browser: Browser;

  /** A payment of `sender` from LISTED, held by the risk stage: its id. */
  const held = async (seed: number, sender = DEMO_BANKS[0]!): Promise<string> => {
    const model = bulkCreditTransfer({ seed, sender, receivers: [DEMO_BANKS[3]!], transactionCount: 1,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-HELD-${seed}` });
    const t = model.transactions[0]!;
    const xml = buildPacs008({ ...model, transactions: [{ ...t, debtor: { ...t.debtor, name: LISTED } }] });
    assert.equal((await a.call('POST', '/messages', { bank: sender.bic, xml })).json.status, 'ACCP');
    const holds = (await a.call('GET', '/risk/holds', { token: await a.login('rita') })).json.holds as { id: string; transactionId: string }[];
    const hold = holds.find((h) => h.transactionId === t.paymentIdentification.transactionId);
    assert.ok(hold, 'the payment is held');
    return hold.id;
  };

  before(async () => {
    xsd = new XsdValidator();
    const hub = new EventHub();
    const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), risk: { limits: [{ currency: 'EUR', perTransaction: '1000000.00' }] } });
    a = await apiHarness('pglite', xsd, { config, events: (e) => hub.publish(e), api: { events: hub } });
    const hash = hashed();
    const list = `id,kind,value,remarks\nS-001,name,${LISTED},fraud ring\n`;
    await a.h.engine.loadScreeningList({ name: 'scheme', format: 'scheme', records: parseSchemeList(hash.wrap((async function* () { yield list; })())),
      sha256: hash.sha256, files: ['scheme.csv'] }, { actor: 'alice', reason: 'scheme list of the console risk test' });
    await a.h.engine.screeningLists().refresh();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await xsd?.close();
  });

  it('an operator freezes an account and proposes to lift it; approved elsewhere, the row goes by itself; a regulator has no control', async () => {
    const page = await logIn(browser, a, 'olivia');
    await page.keyboard.press('g');
    await page.keyboard.press('f');
    await page.waitForSelector('#view h1:has-text("Freezes")');
    await page.waitForSelector('#freezes tr.empty:has-text("nothing is frozen")');
    await page.selectOption('#freeze-form select[name=bic]', 'BANKFRPPXXX');
    await page.fill('#freeze-form input[name=account]', ACCOUNT);
    await page.fill('#freeze-form input[name=reason]', 'RISK-9: account reported compromised');
    await page.click('#freeze-form button[data-write]');
    await page.waitForSelector(`.notice:has-text("Account BANKFRPPXXX/${ACCOUNT} frozen.")`);
    await page.waitForSelector(`#freezes td:has-text("${ACCOUNT}")`);
    const rita = await a.login('rita');
    assert.deepEqual((await a.call('GET', '/risk/freezes', { token: rita })).json.freezes.map((f: { bic: string; account: string; frozenBy: string; reason: string }) =>
      [f.bic, f.account, f.frozenBy, f.reason]), [['BANKFRPPXXX', ACCOUNT, 'olivia', 'RISK-9: account reported compromised']]);

    await page.click(`#freezes button[data-unfreeze="BANKFRPPXXX/${ACCOUNT}"]`);
    await page.fill('#unfreeze-form input[name=reason]', 'RISK-9: the bank confirmed the account is safe');
    await page.click('#unfreeze-form button[data-write]');
    const proposal = (await page.waitForSelector('.notice:has-text("proposed")').then((n) => n.textContent()))?.match(/proposed \((\d+)\)/)?.[1];
    assert.ok(proposal, 'the console names the proposal');
    await page.waitForSelector(`#freezes td:has-text("proposed ${proposal}")`);
    assert.equal(await page.locator('#freezes button[data-unfreeze]').count(), 0, 'no second proposal offered');
    // Still frozen until a supervisor decides.
    assert.equal((await a.call('GET', '/risk/freezes', { token: rita })).json.freezes.length, 1);
    await shot(page, 'freezes');

    const regulator = await logIn(browser, a, 'rita');
    await open(regulator, '#freezes', 'Freezes');
    await regulator.waitForSelector(`#freezes td:has-text("${ACCOUNT}")`);
    assert.equal(await regulator.locator('[data-write], form.action').count(), 0, 'a regulator is shown no change control');
    await regulator.context().close();

    await page.waitForSelector('#live[data-mode="events"]');
    const approved = await a.call('POST', `/approvals/${proposal}/approve`, { token: await a.login('sam'), body: { reason: 'checked RISK-9' } });
    assert.equal(approved.status, 200, approved.text);
    await page.waitForSelector('#freezes tr.empty:has-text("nothing is frozen")', { timeout: 15_000 });
    assert.deepEqual((await a.call('GET', '/risk/freezes', { token: rita })).json.freezes, []);
    await page.context().close();
  });

  it('the risk events are listed, filtered by kind and participant, and a new hold appears live', async () => {
    const first = await held(51);
    const page = await logIn(browser, a, 'rita');
    await open(page, '#risk-events', 'Risk events');
    await page.waitForSelector(`#risk-events a[href="#payment/${first}"]`);
    const kinds = async () => page.$$eval('#risk-events tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent?.trim()));
    assert.ok((await kinds()).includes('hold') && (await kinds()).includes('freeze'), (await kinds()).join());
    await page.selectOption('#risk-filter select[name=kind]', 'hold');
    await page.click('#risk-filter button[type=submit]');
    await until('only holds are listed', async () => page.url().endsWith('#risk-events?kind=hold') && (await kinds()).length > 0 &&
      (await kinds()).every((k) => k === 'hold'));
    await page.fill('#risk-filter input[name=participant]', 'bankfrppxxx');
    await page.click('#risk-filter button[type=submit]');
    await page.waitForSelector('#risk-events tr.empty:has-text("no risk event matches")');
    await open(page, '#risk-events?participant=BANKFRPPXXX', 'Risk events');
    await until('BANKFRPPXXX\'s freeze and unfreeze', async () => JSON.stringify(await kinds()) === '["unfreeze","freeze"]');

    // Live: a payment of another bank held while the page is open appears without a reload.
    await open(page, '#risk-events?kind=hold', 'Risk events');
    await page.waitForSelector('#live[data-mode="events"]');
    const second = await held(52, DEMO_BANKS[2]!);
    await page.waitForSelector(`#risk-events a[href="#payment/${second}"]`, { timeout: 15_000 });
    await shot(page, 'risk-events');
    await page.context().close();
  });
});
