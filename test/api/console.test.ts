/**
 * The web console in a real Chromium (Debian `chromium`, driven by playwright-core) against the API over
 * HTTPS on a real engine (PGlite): people log in with password and TOTP; an operator cuts a cycle off; a
 * supervisor approves a cap change an operator proposed while the maker is shown they cannot decide their
 * own; a bank, by its client certificate, finds its own payment and cannot see another bank's (by search
 * and by typing the other payment's URL) and submits a message; a regulator sees no button that changes
 * anything and a POST from its session is refused; the keyboard reaches every page. A screenshot of each
 * main page goes to test-results/ for a reviewer.
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
import { EventHub } from '../../switch/api/events.ts';
import { checkConfig } from '../../switch/config.ts';
import { hashed } from '../../switch/engine/screening-lists.ts';
import { parseSchemeList } from '../../switch/risk/screening/parse-scheme.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';

/** A name on the scheme's screening list of these tests: a payment from a debtor of that name is held for review. */
const LISTED = 'Shell Front Trading Ltd';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(new URL('../..', import.meta.url).pathname, 'test-results');

/** Waits until `condition` holds, checked from here (the page's CSP forbids the string evaluation waitForFunction would need). */
async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('web console in Chromium', { skip: skipOption(!existsSync(CHROMIUM) && `${CHROMIUM} not installed (apt-get install chromium)`) }, () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let browser: Browser;
  let origin: string;
  /** A payment of BANKDEFFXXX (to BANKNL2AXXX) and one between two other banks (BANKFRPPXXX to BANKITMMXXX). */
  let ownPaymentId: string;
  let otherPaymentId: string;

  const submit = async (bank: typeof DEMO_BANKS[number], receiver: typeof DEMO_BANKS[number], seed: number, messageId: string) => {
    const xml = buildPacs008(bulkCreditTransfer({ seed, sender: bank, receivers: [receiver], transactionCount: 2,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId }));
    const answer = await a.call('POST', '/messages', { bank: bank.bic, xml });
    assert.equal(answer.json.status, 'ACCP', answer.text);
    return xml;
  };

  before(async () => {
    xsd = new XsdValidator();
    // The engine's events reach the console through GET /events, as serve wires them.
    const hub = new EventHub();
    // The risk stage runs (a generous limit) and screens against a one-name scheme list: a payment from LISTED is held.
    const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig())), risk: { limits: [{ currency: 'EUR', perTransaction: '1000000.00' }] } });
    a = await apiHarness('pglite', xsd, { config, events: (e) => hub.publish(e), api: { events: hub } });
    const hash = hashed();
    const list = `id,kind,value,remarks\nS-001,name,${LISTED},fraud ring\n`;
    await a.h.engine.loadScreeningList({ name: 'scheme', format: 'scheme', records: parseSchemeList(hash.wrap((async function* () { yield list; })())),
      sha256: hash.sha256, files: ['scheme.csv'] }, { actor: 'alice', reason: 'scheme list of the console test' });
    await a.h.engine.screeningLists().refresh();
    mkdirSync(RESULTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'], // playwright gives it a new empty user-data directory
    });
    origin = a.api.url.replace('127.0.0.1', 'localhost');
    const [bankA, bankB, bankC, , bankE] = DEMO_BANKS;
    await submit(bankA!, bankC!, 21, 'BANKDEFF-UI-21');
    await submit(bankB!, bankE!, 22, 'BANKFRPP-UI-22');
    const token = await a.login('rita');
    ownPaymentId = (await a.call('GET', '/payments?debtor=BANKDEFFXXX&limit=1', { token })).json.payments[0].id;
    otherPaymentId = (await a.call('GET', '/payments?debtor=BANKFRPPXXX&limit=1', { token })).json.payments[0].id;
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await xsd?.close();
  });

  async function logIn(name: string): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on('pageerror', (error) => assert.fail(`script error in the console: ${error.message}`));
    await page.goto(`${origin}/console`);
    const person = a.people.get(name)!;
    a.clock.advance(30_000);
    await page.fill('input[name=name]', name);
    await page.fill('input[name=password]', person.password);
    await page.fill('input[name=totp]', totp(base32Decode(person.secret), a.clock.now()));
    await page.click('form#login button[type=submit]');
    await page.waitForSelector(`#who:has-text("${name} (${person.role})")`);
    assert.equal(await page.isVisible('form#login'), false, 'the login form goes once logged in');
    return page;
  }

  /** Opens a page by its hash route and waits until it has rendered (its h1, no "Loading…"). */
  async function open(page: Page, hash: string, heading: string): Promise<void> {
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    await page.waitForSelector(`#view h1:has-text(${JSON.stringify(heading)})`);
    await until(`${hash} has loaded`, async () => !(await page.textContent('#view'))?.includes('Loading…'));
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(RESULTS, `console-${name}.png`), fullPage: true });

  /** A payment of BANKDEFFXXX from LISTED, held by the risk stage: its id. */
  const held = async (seed: number): Promise<string> => {
    const model = bulkCreditTransfer({ seed, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[3]!], transactionCount: 1,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `BANKDEFF-HELD-${seed}` });
    const t = model.transactions[0]!;
    const xml = buildPacs008({ ...model, transactions: [{ ...t, debtor: { ...t.debtor, name: LISTED } }] });
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml })).json.status, 'ACCP');
    const holds = (await a.call('GET', '/risk/holds', { token: await a.login('rita') })).json.holds as { id: string; transactionId: string }[];
    const hold = holds.find((h) => h.transactionId === t.paymentIdentification.transactionId);
    assert.ok(hold, 'the payment is held');
    return hold.id;
  };

  it('refuses a wrong code, then an operator logs in with password and TOTP and sees every participant\'s headroom and the time to cut-off', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${origin}/console`);
    const person = a.people.get('olivia')!;
    await page.fill('input[name=name]', 'olivia');
    await page.fill('input[name=password]', person.password);
    await page.fill('input[name=totp]', '000000');
    await page.click('form#login button[type=submit]');
    await page.waitForSelector('#login-error:has-text("name, password or code is wrong")');
    assert.equal(await page.isVisible('#nav'), false);
    await context.close();

    const operator = await logIn('olivia');
    await operator.waitForSelector('#positions tbody tr');
    const rows = await operator.$$eval('#positions tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, 5);
    const bankC = rows.find((r) => r[0] === 'BANKNL2AXXX');
    assert.deepEqual(bankC?.slice(2, 6), ['10,000,000.00', '0.00', '0.00', '10,000,000.00']);
    assert.match(bankC?.[6] ?? '', /0\.0 %/);
    // The next cut-off and the time to it, by the engine's clock (not this computer's).
    await operator.waitForSelector('#countdown');
    const next = a.h.engine.nextCutOff();
    assert.ok(await operator.textContent('#cycle-card').then((t) => t?.includes(`Next cut-off ${next.cutOffAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`)));
    const hours = Math.floor((next.cutOffAt.getTime() - a.h.clock.now().getTime()) / 3_600_000);
    assert.match(await operator.textContent('#countdown') ?? '', new RegExp(`^(${hours}|${hours - 1}) h \\d\\d min$`));
    await operator.waitForSelector('#charts figure');
    assert.match(await operator.textContent('#charts') ?? '', /Throughput: the latest 4 payments/);
    assert.match(await operator.textContent('#charts') ?? '', /Latency to the first answer, the latest 4 payments: median \d+ ms, p95 \d+ ms/);
    assert.equal(await operator.locator('#charts svg rect.chart-bar').count(), 30 + 4, 'thirty throughput buckets and one latency bar per payment');
    await shot(operator, 'dashboard');
    await operator.context().close();
  });

  it('an operator finds a payment, opens its timeline and its messages shown as escaped XML', async () => {
    const page = await logIn('olivia');
    await open(page, '#payments', 'Payments');
    await page.fill('#search input[name=creditor]', 'banknl2axxx');
    await page.click('#search button[type=submit]');
    await until('the two payments to BANKNL2AXXX are listed', async () => page.url().endsWith('#payments?creditor=BANKNL2AXXX') &&
      (await page.locator('#payment-results tbody tr td:first-child a').count()) === 2);
    await shot(page, 'payments');
    await page.click('#payment-results tbody tr a');
    await page.waitForSelector('#view h2:has-text("Timeline")');
    assert.match(await page.textContent('ol.timeline') ?? '', /ACCEPTED/);
    await page.click('#payment-messages button[data-message]');
    await page.waitForSelector('#message-xml pre');
    const xml = await page.textContent('#message-xml pre') ?? '';
    assert.match(xml, /^<\?xml/, 'the XML is shown as text');
    assert.match(xml, /<MsgId>BANKDEFF-UI-21<\/MsgId>/);
    assert.equal(await page.locator('#message-xml pre *').count(), 0, 'no element of the message became HTML');
    await shot(page, 'payment');
    await page.context().close();
  });

  it('an operator cuts the open cycle off from the console; the cut-off is in the audit trail with the operator and reason', async () => {
    const page = await logIn('olivia');
    await open(page, '#cycles', 'Cycles');
    const before = (await a.call('GET', '/cycles', { token: await a.login('rita') })).json.cycles;
    const open1 = before.find((c: { state: string }) => c.state === 'OPEN');
    assert.ok(open1);
    await page.fill('#close-cycle input[name=reason]', 'cut-off brought forward from the console, ticket 7');
    await page.click('#close-cycle button[data-write]');
    await page.waitForSelector(`.notice:has-text("Cycle ${open1.id} cut off.")`);
    const shown = () => page.$$eval('#cycles tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    await until(`cycle ${open1.id} is no longer OPEN on the page`, async () => (await shown()).some((r) => r[0] === open1.id && r[3] !== 'OPEN'));
    assert.equal((await shown()).filter((r) => r[3] === 'OPEN').length, 1, 'a new cycle is open');
    await shot(page, 'cycles');
    const after = (await a.call('GET', '/cycles', { token: await a.login('rita') })).json.cycles;
    assert.notEqual(after.find((c: { id: string }) => c.id === open1.id).state, 'OPEN');
    const actions = (await a.call('GET', '/operator-actions', { token: await a.login('aaron') })).json.actions;
    assert.ok(actions.some((x: { actor: string; action: string; reason: string }) => x.actor === 'olivia' && x.action === 'cycle.close' &&
      x.reason === 'cut-off brought forward from the console, ticket 7'));
    // The cycle's page: its positions and settlement instructions once the agent has answered.
    await a.h.dispatch();
    for (let round = 0; round < 5 && (await a.h.agent.answerAll()) > 0; round++) await a.h.dispatch();
    await open(page, `#cycle/${open1.id}`, `Cycle ${open1.id}`);
    await page.waitForSelector('#settlement tbody tr td:has-text("SETTLED")');
    assert.ok((await page.locator('#cycle-positions tbody tr').count()) >= 4, 'a row per participant with payments in the cycle');
    await shot(page, 'cycle');
    await page.context().close();
  });

  it('an operator proposes a cap change and cannot decide it; a supervisor approves it; a supervisor cannot approve their own', async () => {
    const operator = await logIn('olivia');
    await open(operator, '#participants', 'Participants');
    await operator.selectOption('#propose-cap select[name=target]', 'BANKITMMXXX/EUR');
    await operator.fill('#propose-cap input[name=amount]', '2500000.00');
    await operator.fill('#propose-cap input[name=reason]', 'ticket 42: lower the cap');
    await operator.click('#propose-cap button[data-write]');
    const proposal = (await operator.textContent('.notice') ?? '').match(/Proposal (\d+) recorded/)?.[1];
    assert.ok(proposal, 'the console names the proposal');
    await shot(operator, 'participants');
    await open(operator, '#approvals', 'Approvals');
    await operator.waitForSelector('#approvals td .own');
    assert.equal(await operator.locator('#approvals button[data-decide]').count(), 0, 'no decision button for the maker');
    await operator.context().close();

    const sue = await logIn('sue');
    await open(sue, '#participants', 'Participants');
    await sue.selectOption('#propose-cap select[name=target]', 'BANKBEBBXXX/EUR');
    await sue.fill('#propose-cap input[name=amount]', '7000000.00');
    await sue.fill('#propose-cap input[name=reason]', 'ticket 43: raise the cap');
    await sue.click('#propose-cap button[data-write]');
    const own = (await sue.textContent('.notice') ?? '').match(/Proposal (\d+) recorded/)?.[1];
    await open(sue, '#approvals', 'Approvals');
    const rowOf = (id: string) => `#approvals tbody tr:has(td:first-child:text-is("${id}"))`;
    await sue.waitForSelector(`${rowOf(own!)} .own:has-text("your proposal: another supervisor decides")`);
    assert.equal(await sue.locator(`${rowOf(own!)} button[data-decide]`).count(), 0, 'the maker has no button on their own proposal');
    assert.equal(await sue.locator(`${rowOf(proposal)} button[data-decide]`).count(), 2, 'a supervisor may decide the operator\'s');
    await sue.context().close();

    const sam = await logIn('sam');
    await open(sam, '#approvals', 'Approvals');
    await sam.click(`${rowOf(proposal)} button[data-decide=approve]`);
    await sam.fill('#decision-form input[name=reason]', 'checked ticket 42 with the bank');
    await shot(sam, 'approvals');
    await sam.click('#decision-form button[type=submit]');
    await sam.waitForSelector(`.notice:has-text("Proposal ${proposal} approved.")`);
    await open(sam, '#approvals?state=APPROVED', 'Approvals');
    await sam.waitForSelector(`${rowOf(proposal)} td:has-text("sam")`);
    // Applied: Banca E's cap is the new one.
    const exposures = (await a.call('GET', '/positions', { bank: 'BANKITMMXXX' })).json.exposures;
    assert.equal(exposures[0].capMinor, '250000000');
    await sam.context().close();
  });

  it('a bank, by its client certificate, sees only its own: its positions, its payment; another\'s neither by search nor by URL; it submits a message', async () => {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      clientCertificates: [{ origin, certPath: a.pki.certOf('BANKDEFFXXX'), keyPath: a.pki.keyOf('BANKDEFFXXX') }],
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => assert.fail(`script error in the console: ${error.message}`));
    await page.goto(`${origin}/console`);
    await page.waitForSelector('#who:has-text("BANKDEFFXXX (participant, client certificate)")');
    assert.equal(await page.isVisible('form#login'), false);
    assert.equal(await page.isVisible('#logout'), false);
    await page.waitForSelector('#positions tbody tr');
    const bics = await page.$$eval('#positions tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(bics, ['BANKDEFFXXX']);
    const navigation = await page.$$eval('#nav a', (links) => links.map((l) => l.textContent));
    assert.deepEqual(navigation, ['Dashboard', 'Payments', 'Cycles', 'Reports', 'Submit a message']);
    await shot(page, 'portal');

    await open(page, '#payments', 'Payments');
    await page.waitForSelector(`#payment-results a:text-is("${ownPaymentId}")`);
    const ids = await page.$$eval('#payment-results tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    assert.ok(!ids.includes(otherPaymentId), 'another bank\'s payment is not listed');
    await page.fill('#search input[name=debtor]', 'BANKFRPPXXX');
    await page.click('#search button[type=submit]');
    await page.waitForSelector('#payment-results tr.empty:has-text("no payment matches")');

    await open(page, `#payment/${ownPaymentId}`, `Payment ${ownPaymentId}`);
    await page.waitForSelector('ol.timeline li');
    await page.evaluate(`location.hash = '#payment/${otherPaymentId}'`);
    await page.waitForSelector(`.error:has-text("no payment ${otherPaymentId} visible to you")`);
    assert.equal(await page.locator('ol.timeline').count(), 0);

    await open(page, '#submit', 'Submit a message');
    const xml = buildPacs008(bulkCreditTransfer({ seed: 23, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 1,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:05:00Z', messageId: 'BANKDEFF-UI-23' }));
    await page.fill('#submit-form textarea[name=xml]', xml);
    await page.click('#submit-form button[type=submit]');
    await page.waitForSelector('#submit-result h2:has-text("ACCP")');
    assert.match(await page.textContent('#answer-xml') ?? '', /<OrgnlMsgId>BANKDEFF-UI-23<\/OrgnlMsgId>/);
    await shot(page, 'portal-submit');
    // Or a file chosen from disk: its content and name fill the form.
    const fileXml = buildPacs008(bulkCreditTransfer({ seed: 24, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[3]!], transactionCount: 1,
      settlementDate: '2026-11-26', createdAt: '2026-11-26T09:06:00Z', messageId: 'BANKDEFF-UI-24' }));
    await page.setInputFiles('#submit-form input[type=file]', { name: 'BANKDEFF-UI-24.xml', mimeType: 'application/xml', buffer: Buffer.from(fileXml) });
    await until('the chosen file fills the form', async () => (await page.inputValue('#submit-form input[name=fileName]')) === 'BANKDEFF-UI-24.xml');
    assert.equal(await page.inputValue('#submit-form textarea[name=xml]'), fileXml);
    await page.click('#submit-form button[type=submit]');
    await page.waitForSelector('#answer-xml:has-text("<OrgnlMsgId>BANKDEFF-UI-24</OrgnlMsgId>")');
    assert.match(await page.textContent('#submit-result h2') ?? '', /ACCP/);
    await context.close();
  });

  it('a regulator reads every page but is shown no button that changes anything, and a POST from its session is refused', async () => {
    // Something to decide, so that the approvals page would show decision buttons to a supervisor.
    await a.call('POST', '/participants/BANKNL2AXXX/caps/EUR', { token: await a.login('olivia'), body: { amount: '9000000.00', reason: 'for the regulator test' } });
    const heldId = await held(32);
    const page = await logIn('rita');
    const pages: Array<[string, string]> = [['#dashboard', 'Dashboard'], ['#cycles', 'Cycles'], ['#participants', 'Participants'],
      ['#approvals', 'Approvals'], [`#payment/${ownPaymentId}`, `Payment ${ownPaymentId}`], ['#audit', 'Audit trail'], ['#dead-letters', 'Dead letters'],
      ['#review', 'Review']];
    for (const [hash, heading] of pages) {
      await open(page, hash, heading);
      assert.equal(await page.locator('[data-write], form.action').count(), 0, `no change control on ${hash}`);
      assert.deepEqual(await page.locator('#view .error').allTextContents(), [], `${hash} is readable`);
      if (hash === '#dead-letters') await shot(page, 'dead-letters');
      if (hash === '#review') await page.waitForSelector(`#holds a[href="#payment/${heldId}"]`);
    }
    await open(page, '#approvals', 'Approvals');
    await page.waitForSelector('#approvals td:has-text("waiting for a supervisor")');
    await shot(page, 'regulator-approvals');
    await open(page, '#audit', 'Audit trail');
    await page.waitForSelector('#audit-trail td:has-text("approval.propose")');
    await shot(page, 'audit');
    const refused = await page.evaluate(`fetch('/cycles/close', { method: 'POST', headers: { authorization: 'Bearer ' + sessionStorage.getItem('clearhouse.token'),
      'content-type': 'application/json' }, body: JSON.stringify({ reason: 'regulator tries' }) }).then(async (r) => [r.status, (await r.json()).detail])`);
    assert.deepEqual(refused, [403, 'the regulator role may not cycle.operate']);
    await page.context().close();
  });

  it('the operator\'s pages do show the change controls the regulator\'s lack (the check above looks for the right thing)', async () => {
    const page = await logIn('olivia');
    await open(page, '#cycles', 'Cycles');
    assert.equal(await page.locator('#close-cycle button[data-write]').count(), 1);
    await open(page, '#participants', 'Participants');
    assert.equal(await page.locator('#propose-cap button[data-write]').count(), 1);
    await open(page, '#review', 'Review');
    await page.waitForSelector('#holds button[data-write][data-hold="release"]');
    await page.context().close();
  });

  it('an auditor sees the audit trail; a page the role may not read shows the API\'s refusal', async () => {
    const page = await logIn('aaron');
    await page.waitForSelector('#view h1:has-text("Approvals")');
    assert.deepEqual(await page.$$eval('#nav a', (links) => links.map((l) => l.textContent)), ['Approvals', 'Risk events', 'Audit trail']);
    await open(page, '#audit', 'Audit trail');
    await page.waitForSelector('#audit-trail td:has-text("cut-off brought forward from the console, ticket 7")');
    await page.evaluate("location.hash = '#payments'");
    await page.waitForSelector('#view .error');
    assert.match(await page.textContent('#view .error') ?? '', /auditor role may not payment\.read/);
    await page.context().close();
  });

  it('the cycles page refreshes itself from the event stream when a cycle is cut off elsewhere, and the keyboard focus stays on the same link', async () => {
    const page = await logIn('olivia');
    await open(page, '#cycles', 'Cycles');
    // The stream is open, so the cycles view (topics cycle, settlement) is refreshed by its events only, not by the timer.
    await page.waitForSelector('#live[data-mode="events"]');
    const openCycle = await page.locator('#cycles tbody tr:has(.state-open) td:first-child a').textContent();
    assert.ok(openCycle);
    await page.focus(`#cycles a[href="#cycle/${openCycle}"]`);
    await a.call('POST', '/cycles/close', { token: await a.login('olivia'), body: { reason: 'cut off from the command line while the console looks' } });
    await page.waitForSelector(`#cycles tbody tr:has(a[href="#cycle/${openCycle}"]) .state:not(.state-open)`, { timeout: 15_000 });
    await page.waitForSelector(`#cycles a[href="#cycle/${openCycle}"]:focus`);
    await page.context().close();
  });

  it('the keyboard reaches every page: g then a key opens a page, / finds a payment by id, ? lists the keys', async () => {
    const page = await logIn('olivia');
    await page.waitForSelector('#positions');
    await page.keyboard.press('g');
    await page.keyboard.press('c');
    await page.waitForSelector('#view h1:has-text("Cycles")');
    assert.ok(page.url().endsWith('#cycles'));
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await page.waitForSelector('#view h1:has-text("Dead letters")');
    await page.keyboard.press('/');
    await page.waitForSelector('#quick-search:focus');
    await page.keyboard.type(ownPaymentId);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#view h1:has-text("Payment ${ownPaymentId}")`);
    await page.keyboard.press('?');
    await page.waitForSelector('#help[open] kbd:text-is("g l")');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#help', { state: 'hidden' });
    await page.context().close();
  });

  it('an operator releases a held payment from the Review page, with a reason; it leaves the queue', async () => {
    const id = await held(31);
    const page = await logIn('olivia');
    await page.keyboard.press('g');
    await page.keyboard.press('r');
    await page.waitForSelector('#view h1:has-text("Review")');
    await page.waitForSelector(`#holds td:has-text("${LISTED}")`);
    await shot(page, 'review');
    await page.click(`#holds button[data-hold="release"][data-id="${id}"]`);
    await page.fill('#hold-form input[name=reason]', 'RISK-7: a different company (registry extract)');
    await page.click('#hold-form button[data-write]');
    await page.waitForSelector(`#view .notice:has-text("Payment ${id} released")`);
    await page.waitForSelector(`#holds a[href="#payment/${id}"]`, { state: 'detached' });
    assert.ok(await page.locator('#holds tbody tr').count() >= 1, 'the other held payment is still listed');
    const rita = await a.login('rita');
    assert.equal((await a.call('GET', `/payments/${id}`, { token: rita })).json.payment.state, 'ACCEPTED');
    const [release] = (await a.h.engine.operatorActions({ subject: id })).filter((x) => x.action === 'risk.release');
    assert.deepEqual([release!.actor, release!.reason], ['olivia', 'RISK-7: a different company (registry extract)']);
    await page.context().close();
  });
});
