/**
 * Reports through the HTTP API (docs/api.md "Reports"), over real HTTPS on PGlite: a settled cycle of
 * three banks' files; the regulator reads the statistics and the reconciliation of the day and of the
 * month in every format, with the right content types and downloads; the answers are the very reports
 * `clearhouse report` writes (the same functions); a participant is held to its own data and refused
 * another's; an auditor is refused; reading changes nothing in the store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { reconciliationReport, renderReport, statisticsReport } from '../../switch/reports/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { apiHarness, type ApiHarness } from './support.ts';

const DAY = '2026-11-26';
const CHROMIUM = '/usr/bin/chromium';

/** Every table's rows, hashed: equal before and after means nothing was inserted, updated or deleted. */
async function storeFingerprint(a: ApiHarness): Promise<Record<string, string>> {
  const db = a.h.engine.storeForTests();
  const tables = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ h: string | null; n: string }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h, count(*)::text AS n FROM "${name}" t`);
    out[name] = `${row!.n} ${row!.h}`;
  }
  return out;
}

describe('reports through the API', () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  let rita: string;
  /** Transactions each bank sent. */
  const sentBy = new Map<string, number>();

  before(async () => {
    xsd = new XsdValidator();
    a = await apiHarness('pglite', xsd);
    const [bankA, bankB, bankC, bankD, bankE] = DEMO_BANKS;
    const files = [{ sender: bankA!, receivers: [bankB!, bankC!], count: 6 }, { sender: bankB!, receivers: [bankD!, bankE!], count: 4 },
      { sender: bankC!, receivers: [bankA!], count: 3 }];
    let n = 0;
    for (const f of files) {
      const xml = buildPacs008(bulkCreditTransfer({ seed: 300 + n, sender: f.sender, receivers: f.receivers, transactionCount: f.count,
        settlementDate: DAY, createdAt: `${DAY}T09:00:00Z`, messageId: `${f.sender.bic.slice(0, 8)}-REP${++n}` }));
      const answer = await a.call('POST', '/messages', { bank: f.sender.bic, xml });
      assert.equal(answer.json.status, 'ACCP', answer.text);
      sentBy.set(f.sender.bic, f.count);
    }
    await a.h.dispatch();
    assert.ok((await a.h.closeAndSettle()) !== undefined);
    await a.h.dispatch();
    rita = await a.login('rita');
  });
  after(async () => {
    await a?.close();
    await xsd?.close();
  });

  it('the regulator reads the day\'s statistics as JSON: the figures of the three files, the same report the CLI writes', async () => {
    const answer = await a.call('GET', `/reports/statistics?date=${DAY}`, { token: rita });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(answer.headers['content-disposition'], undefined, 'JSON is data, not a download');
    assert.equal(answer.json.kind, 'statistics');
    assert.equal(answer.json.period, `business day ${DAY}`);
    assert.deepEqual(answer.json.totals.map((t: { currency: string; count: number }) => [t.currency, t.count]), [['EUR', 13]]);
    const sent = Object.fromEntries(answer.json.sentByParticipant.map((s: { participant: string; count: number }) => [s.participant, s.count]));
    assert.deepEqual(sent, Object.fromEntries(sentBy));
    const direct = await renderReport(await statisticsReport(a.h.engine, { period: { date: DAY } }), 'json', { generatedAt: 'x' });
    assert.equal(answer.text, Buffer.from(direct).toString('utf8'));
  });

  it('CSV is a download named after the report; HTML is a page with SVG charts that only the console may frame', async () => {
    const csv = await a.call('GET', `/reports/statistics?date=${DAY}&format=csv`, { token: rita });
    assert.equal(csv.status, 200, csv.text);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], `attachment; filename="statistics-${DAY}.csv"`);
    assert.match(csv.text, /^record,participant,counterparty,currency,key,count,amount_minor,amount\r\n/);
    assert.match(csv.text, /\r\nsent,BANKDEFFXXX,,EUR,,6,/);
    const html = await a.call('GET', `/reports/statistics?date=${DAY}&format=html`, { token: rita });
    assert.equal(html.status, 200);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(html.headers['content-security-policy']), /frame-ancestors 'self'/);
    assert.doesNotMatch(String(html.headers['content-security-policy']), /script-src/);
    assert.equal(html.headers['x-frame-options'], 'SAMEORIGIN');
    assert.match(html.text, /<svg/);
    assert.doesNotMatch(html.text, /<script/i);
  });

  it('the reconciliation of the day and of the month reconcile; they are the CLI\'s reports', async () => {
    for (const period of [`date=${DAY}`, `month=${DAY.slice(0, 7)}`]) {
      const answer = await a.call('GET', `/reports/reconciliation?${period}`, { token: rita });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.kind, 'reconciliation');
      assert.equal(answer.json.ok, true, JSON.stringify(answer.json.mismatches));
    }
    const csv = await a.call('GET', `/reports/reconciliation?month=2026-11&participant=BANKFRPPXXX&format=csv`, { token: await a.login('olivia') });
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="reconciliation-2026-11-BANKFRPPXXX.csv"');
    const direct = await renderReport(await reconciliationReport(a.h.engine, { period: { month: '2026-11' }, participant: 'BANKFRPPXXX' }), 'csv',
      { generatedAt: 'x' });
    assert.equal(csv.text, Buffer.from(direct).toString('utf8'));
  });

  it('the PDF is a download of a PDF document', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` }, async () => {
    const pdf = await a.call('GET', `/reports/statistics?date=${DAY}&format=pdf&participant=BANKDEFFXXX`, { token: rita });
    assert.equal(pdf.status, 200, pdf.text);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.headers['content-disposition'], `attachment; filename="statistics-${DAY}-BANKDEFFXXX.pdf"`);
    assert.ok(pdf.text.startsWith('%PDF-'));
  });

  it('a participant gets its own report without asking, may name itself, and is refused another\'s', async () => {
    const own = await a.call('GET', `/reports/statistics?date=${DAY}`, { bank: 'BANKDEFFXXX' });
    assert.equal(own.status, 200, own.text);
    assert.equal(own.json.participant, 'BANKDEFFXXX');
    assert.deepEqual(own.json.sentByParticipant.map((s: { participant: string }) => s.participant), ['BANKDEFFXXX']);
    for (const b of own.json.bilateral) assert.ok(b.debtor === 'BANKDEFFXXX' || b.creditor === 'BANKDEFFXXX', JSON.stringify(b));
    // BANKFRPPXXX→BANKBEBBXXX, which BANKDEFFXXX takes no part in, is not in its report.
    assert.ok(!own.text.includes('BANKBEBBXXX'), 'another pair\'s flow leaks into the participant\'s report');
    const named = await a.call('GET', `/reports/statistics?date=${DAY}&participant=BANKDEFF`, { bank: 'BANKDEFFXXX' });
    assert.equal(named.status, 200, named.text);
    assert.equal(named.text, own.text);
    for (const kind of ['statistics', 'reconciliation']) {
      const other = await a.call('GET', `/reports/${kind}?date=${DAY}&participant=BANKFRPPXXX&format=csv`, { bank: 'BANKDEFFXXX' });
      assert.equal(other.status, 403, other.text);
      assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.match(other.json.detail, /its own reports only \(BANKDEFFXXX\)/);
    }
    const recon = await a.call('GET', `/reports/reconciliation?date=${DAY}`, { bank: 'BANKFRPPXXX' });
    assert.equal(recon.json.participant, 'BANKFRPPXXX');
  });

  it('without credentials 401, an auditor 403; a request without exactly one period is 400', async () => {
    assert.equal((await a.call('GET', `/reports/statistics?date=${DAY}`)).status, 401);
    const auditor = await a.call('GET', `/reports/reconciliation?date=${DAY}`, { token: await a.login('aaron') });
    assert.equal(auditor.status, 403);
    assert.equal(auditor.json.detail, 'the auditor role may not report.read');
    assert.equal((await a.call('GET', '/reports/statistics', { token: rita })).status, 400);
    assert.equal((await a.call('GET', `/reports/statistics?date=${DAY}&month=2026-11`, { token: rita })).status, 400);
    assert.equal((await a.call('GET', '/reports/statistics?date=2026-13-01', { token: rita })).status, 400);
    assert.equal((await a.call('GET', `/reports/statistics?date=${DAY}&format=xml`, { token: rita })).status, 400);
  });

  it('reading reports changes nothing in the store', async () => {
    const before = await storeFingerprint(a);
    assert.ok(Object.keys(before).length > 10, 'the fingerprint covers the store\'s tables');
    const olivia = await a.login('olivia');
    const afterLogin = await storeFingerprint(a);
    for (const kind of ['statistics', 'reconciliation']) {
      for (const format of ['json', 'csv', 'html']) {
        for (const credentials of [{ token: olivia }, { bank: 'BANKNL2AXXX' }]) {
          assert.equal((await a.call('GET', `/reports/${kind}?month=2026-11&format=${format}`, credentials)).status, 200);
        }
      }
    }
    assert.deepEqual(await storeFingerprint(a), afterLogin);
    // The check would see a write: logging in (a session row) changed the fingerprint.
    assert.notDeepEqual(afterLogin, before);
  });
});
