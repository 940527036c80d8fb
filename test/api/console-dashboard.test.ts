/**
 * The dashboard's queues and delivery failures, from a seeded store (PGlite): BANKDEFFXXX's cap is
 * 100.00, so two of its three real-time payments wait QUEUED; a payment of BANKFRPPXXX from a listed
 * name is HELD for review; every message to BANKDEFFXXX fails delivery until given up (FAILED). Over
 * HTTPS: GET /queues per participant and currency (held counts for people only, never a bank) and
 * GET /deliveries/failures; in Chromium: the operator's dashboard shows them and follows a new queued
 * payment by itself; a bank's shows its own queue and no holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { EventHub } from '../../switch/api/events.ts';
import { checkConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { DELIVERY_ATTEMPTS_MAX } from '../../switch/engine/dispatcher.ts';
import { hashed } from '../../switch/engine/screening-lists.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';
import { launch, logIn, noChromium, portal, shot, until } from './console-support.ts';

const LISTED = 'Shell Front Trading Ltd';

function bulk(sender: number, receivers: number[], count: number, seed: number, localInstrument?: string) {
  return bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-DASH${seed}`, localInstrument,
  });
}

/** One real-time payment of `value` EUR. */
function instant(sender: number, receiver: number, seed: number, value: string): string {
  const model = bulk(sender, [receiver], 1, seed, 'INST');
  return buildPacs008({ ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value } }] });
}

type Row = { bic: string; currency: string; queuedCount: number; queuedMinor: string; heldCount?: number; heldMinor?: string; headroomMinor: string };

describe('dashboard: queues and delivery failures', () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let browser: Browser | undefined;
  let heldMinor: string;

  before(async () => {
    xsd = new XsdValidator();
    const hub = new EventHub();
    const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, overCap: 'queue' }))),
      risk: { limits: [{ currency: 'EUR', perTransaction: '1000000.00' }] } });
    a = await apiHarness('pglite', xsd, { config, events: (e) => hub.publish(e), api: { events: hub } });
    const hash = hashed();
    await a.h.engine.loadScreeningList({ name: 'scheme', format: 'scheme',
      records: parseSchemeList(hash.wrap((async function* () { yield `id,kind,value,remarks\nS-001,name,${LISTED},fraud ring\n`; })())),
      sha256: hash.sha256, files: ['scheme.csv'] }, { actor: 'alice', reason: 'scheme list of the dashboard test' });
    await a.h.engine.screeningLists().refresh();
    for (const [seed, value] of [[1, '80.00'], [2, '50.00'], [3, '10.00']] as const) {
      assert.equal((await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 1, seed, value) })).status, 200);
    }
    const model = bulk(1, [3], 1, 4);
    const t = model.transactions[0]!;
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKFRPPXXX',
      xml: buildPacs008({ ...model, transactions: [{ ...t, debtor: { ...t.debtor, name: LISTED } }] }) })).json.status, 'ACCP');
    const holds = (await a.call('GET', '/risk/holds', { token: await a.login('rita') })).json.holds;
    assert.equal(holds.length, 1);
    heldMinor = holds[0].amountMinor;
    // Every message to BANKDEFFXXX fails until the dispatcher gives up on it.
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS_MAX; attempt++) {
      await a.h.engine.dispatch(async (m) => {
        if (m.recipient === 'BANKDEFFXXX') throw new Error('mailbox of BANKDEFFXXX refused the upload (test)');
        await a.h.mailboxes.deliver(m);
      });
      a.h.clock.advance(3_600_000);
    }
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await xsd?.close();
  });

  it('GET /queues: queued and held per participant and currency for people; a bank its own queue and no holds', async () => {
    const all = await a.call('GET', '/queues', { token: await a.login('olivia') });
    assert.equal(all.status, 200, all.text);
    const rows = all.json.queues as Row[];
    assert.deepEqual(rows.map((r) => r.bic), [...DEMO_BANKS.map((b) => b.bic)].sort(), 'every participant, zeros included');
    const deff = rows.find((r) => r.bic === 'BANKDEFFXXX')!;
    assert.deepEqual([deff.queuedCount, deff.queuedMinor, deff.heldCount, deff.heldMinor, deff.headroomMinor], [2, '6000', 0, '0', '2000']);
    const frpp = rows.find((r) => r.bic === 'BANKFRPPXXX')!;
    assert.deepEqual([frpp.queuedCount, frpp.heldCount, frpp.heldMinor], [0, 1, heldMinor]);
    const own = await a.call('GET', '/queues', { bank: 'BANKDEFFXXX' });
    assert.deepEqual(own.json.queues.map((r: Row) => [r.bic, r.queuedCount, r.queuedMinor]), [['BANKDEFFXXX', 2, '6000']]);
    const held = await a.call('GET', '/queues', { bank: 'BANKFRPPXXX' });
    assert.deepEqual(Object.keys(held.json.queues[0]).filter((k) => k.startsWith('held')), [], 'a bank is never told of a hold');
  });

  it('GET /deliveries/failures: the messages given up on, with their last error', async () => {
    const answer = await a.call('GET', '/deliveries/failures', { token: await a.login('sam') });
    assert.equal(answer.status, 200, answer.text);
    const failures = answer.json.failures as { kind: string; participant: string; attempts: number; lastError: string }[];
    assert.ok(failures.length >= 3, `the status reports to BANKDEFFXXX: ${failures.length}`);
    for (const f of failures) {
      assert.deepEqual([f.kind, f.participant, f.attempts, f.lastError], ['outbox', 'BANKDEFFXXX', DELIVERY_ATTEMPTS_MAX, 'mailbox of BANKDEFFXXX refused the upload (test)']);
    }
    assert.equal((await a.call('GET', '/deliveries/failures', { bank: 'BANKDEFFXXX' })).status, 403);
  });

  it('in Chromium: the operator\'s dashboard shows queues, holds and failures, and follows a new queued payment; a bank sees its own queue only', { skip: noChromium }, async () => {
    browser = await launch();
    const page = await logIn(browser, a, 'olivia');
    await page.waitForSelector('#queues tbody tr');
    const cells = async (bic: string) => page.$$eval(`#queues tbody tr:has(td:first-child:text-is("${bic}")) td`, (tds) => tds.map((td) => td.textContent?.trim()));
    const headers = await page.$$eval('#queues thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(headers, ['Participant', 'Currency', 'Queued', 'Queued amount', 'Oldest queued', 'Held', 'Held amount', 'Headroom']);
    const deff = await cells('BANKDEFFXXX');
    assert.deepEqual([deff[2], deff[3], deff[5], deff[7]], ['2', '60.00', '0', '20.00']);
    assert.equal((await cells('BANKFRPPXXX'))[5], '1');
    await page.waitForSelector('#delivery-failures tbody tr td:has-text("mailbox of BANKDEFFXXX refused the upload (test)")');
    assert.match(await page.textContent('#alert-card') ?? '', /delivery failure\(s\)/);
    // Risk alerts for the people who work them: the held payment and its screening hit and hold events.
    const attention = await page.textContent('#alert-card') ?? '';
    assert.match(attention, /1 payment\(s\) held for risk review/);
    assert.match(attention, /screening-hit/);
    assert.equal(await page.locator('#alert-card a[href="#review"]').count(), 1);
    await shot(page, 'dashboard-queues');

    // Live: one more queued payment shows without a reload.
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 2, 5, '30.00') })).status, 200);
    await until('the dashboard shows three queued', async () => (await cells('BANKDEFFXXX'))[2] === '3', 20_000);
    assert.equal((await cells('BANKDEFFXXX'))[3], '90.00');
    await page.context().close();

    const bank = await portal(browser, a, 'BANKDEFFXXX');
    await bank.waitForSelector('#queues tbody tr');
    assert.deepEqual(await bank.$$eval('#queues tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['BANKDEFFXXX']);
    assert.ok(!(await bank.$$eval('#queues thead th', (ths) => ths.map((th) => th.textContent))).includes('Held'));
    assert.equal(await bank.locator('#failures').count(), 0, 'no delivery failures section for a bank');
    assert.doesNotMatch(await bank.textContent('#alert-card') ?? '', /held|screening/, 'a bank is never told of holds or hits');
    await bank.context().close();
  });
});
