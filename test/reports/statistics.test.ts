/**
 * Regulator statistics and the report formats (docs/reports.md) on the embedded store (PGlite): a
 * cycle of bulk files from three banks, cut off, netted, settled by the settlement agent and
 * delivered. The figures are checked against the files themselves — what each bank sent (the
 * generated messages) and what each received (the bulk pacs.008 in its mailbox) — and the positions
 * worked out from them; the HTML is looked at in Chromium (screenshot under test-results/) and the PDF
 * rendered page by page with pdftoppm.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, parseXml as parsePacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { reconciliationReport, renderReport, statisticsReport, type StatisticsReport } from '../../switch/reports/index.ts';
import { percent } from '../../switch/reports/statistics.ts';
import { STATISTICS_CSV_HEADER } from '../../switch/reports/render.ts';
import { harness, type Harness } from '../engine/support.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { root } from '../support/cli-workspace.ts';

const DAY = '2026-11-26';
const CHROMIUM = '/usr/bin/chromium';
let xsd: XsdValidator;
let h: Harness;
const sent: Pacs008[] = [];
let report: StatisticsReport;

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok);
  return parsed.minor;
};

before(async () => {
  xsd = new XsdValidator();
  h = await harness('pglite', undefined, xsd);
  const [a, b, c, d, e] = DEMO_BANKS as [typeof DEMO_BANKS[number], typeof DEMO_BANKS[number], typeof DEMO_BANKS[number], typeof DEMO_BANKS[number], typeof DEMO_BANKS[number]];
  const files = [
    { sender: a, receivers: [b, c, d], count: 40 },
    { sender: b, receivers: [a, e], count: 25 },
    { sender: c, receivers: [a, b, d, e], count: 12 },
  ];
  let n = 0;
  for (const f of files) {
    const model = bulkCreditTransfer({ seed: 100 + n, sender: f.sender, receivers: f.receivers, transactionCount: f.count, settlementDate: DAY,
      createdAt: '2026-11-26T09:00:00Z', messageId: `${f.sender.bic.slice(0, 8)}-STAT${++n}` });
    const result = await h.engine.submit({ bytes: new TextEncoder().encode(buildPacs008(model)), sender: f.sender.bic, fileName: `stat-${n}.xml` });
    assert.equal(result.status, 'ACCP');
    sent.push(model);
  }
  await h.dispatch();
  assert.ok((await h.closeAndSettle()) !== undefined);
  await h.dispatch();
  report = await statisticsReport(h.engine, { period: { date: DAY } });
});
after(async () => {
  await h?.close();
  await xsd?.close();
});

/** What the messages say: per debtor, creditor and (debtor→creditor), count and sum in EUR. */
function fromMessages(): { bySender: Map<string, [number, bigint]>; byPair: Map<string, [number, bigint]> } {
  const bySender = new Map<string, [number, bigint]>();
  const byPair = new Map<string, [number, bigint]>();
  const add = (map: Map<string, [number, bigint]>, key: string, amount: bigint) => {
    const [count, sum] = map.get(key) ?? [0, 0n];
    map.set(key, [count + 1, sum + amount]);
  };
  for (const m of sent) {
    for (const t of m.transactions) {
      const amount = minor(t.interbankSettlementAmount.value, 'EUR');
      add(bySender, t.debtorAgent, amount);
      add(byPair, `${t.debtorAgent} ${t.creditorAgent}`, amount);
    }
  }
  return { bySender, byPair };
}

/** The bulk files each creditor holds: its transactions, count and sum. */
function receivedInMailboxes(): Map<string, [number, bigint]> {
  const received = new Map<string, [number, bigint]>();
  for (const bank of DEMO_BANKS) {
    for (const file of h.mailboxes.outbound(bank.bic).filter((f) => f.startsWith('pacs.008'))) {
      for (const t of parsePacs008(h.mailboxes.read(bank.bic, 'outbound', file).toString('utf8')).transactions) {
        const [count, sum] = received.get(bank.bic) ?? [0, 0n];
        received.set(bank.bic, [count + 1, sum + minor(t.interbankSettlementAmount.value, 'EUR')]);
      }
    }
  }
  return received;
}

describe('regulator statistics of a settled day (PGlite)', () => {
  it('volume and value per participant, bilateral flows and totals match the messages sent and the files delivered', () => {
    const { bySender, byPair } = fromMessages();
    assert.deepEqual(new Map(report.sentByParticipant.map((s) => [s.participant, [s.count, s.sumMinor]])), bySender);
    assert.deepEqual(new Map(report.receivedByParticipant.map((s) => [s.participant, [s.count, s.sumMinor]])), receivedInMailboxes());
    assert.deepEqual(new Map(report.bilateral.map((b) => [`${b.debtor} ${b.creditor}`, [b.count, b.sumMinor]])), byPair);
    const total = [...bySender.values()].reduce((a, [c, s]) => [a[0] + c, a[1] + s] as [number, bigint], [0, 0n] as [number, bigint]);
    assert.deepEqual(report.totals, [{ currency: 'EUR', count: total[0], sumMinor: total[1] }]);
    assert.deepEqual(report.accepted, report.totals);
    assert.deepEqual(report.byService, [{ mode: 'batch', kind: 'CREDIT', currency: 'EUR', count: total[0], sumMinor: total[1] }]);
    // The series adds up to the day; the busiest second holds at least the largest file (one file's payments are stored together).
    assert.equal(report.series.reduce((n, s) => n + s.count, 0), total[0]);
    assert.ok(report.peakThroughput.perSecond >= 40 && report.peakThroughput.perMinute >= report.peakThroughput.perSecond);
    assert.deepEqual(report.rejections, []);
    assert.deepEqual(report.unwinds, []);
    assert.deepEqual(report.settlementFailures, []);
  });

  it('cap utilisation is each debtor\'s net debit worked out from the messages, against its cap', () => {
    const net = new Map<string, bigint>();
    for (const m of sent) for (const t of m.transactions) {
      const amount = minor(t.interbankSettlementAmount.value, 'EUR');
      net.set(t.debtorAgent, (net.get(t.debtorAgent) ?? 0n) - amount);
      net.set(t.creditorAgent, (net.get(t.creditorAgent) ?? 0n) + amount);
    }
    const debtors = [...net].filter(([, n]) => n < 0n);
    assert.ok(debtors.length > 0);
    for (const [bic, n] of debtors) {
      const row = report.capUtilisation.find((c) => c.participant === bic && c.currency === 'EUR');
      assert.ok(row, bic);
      assert.equal(row.peakDebitMinor, -n);
      assert.equal(row.capMinor, 1_000_000_000n, 'the harness scheme\'s cap: 10,000,000.00');
      assert.equal(row.utilisationPercent, percent(-n, 1_000_000_000n));
    }
    assert.equal(percent(1n, 3n), '33.3');
    assert.equal(percent(2n, 3n), '66.7');
  });

  it('one participant\'s statistics hold only its own payments', async () => {
    const own = await statisticsReport(h.engine, { period: { date: DAY }, participant: 'BANKITMMXXX' });
    assert.ok(own.bilateral.length > 0);
    for (const b of own.bilateral) assert.ok(b.debtor === 'BANKITMMXXX' || b.creditor === 'BANKITMMXXX');
    assert.deepEqual(own.sentByParticipant, []);
    assert.deepEqual(own.receivedByParticipant.map((r) => r.participant), ['BANKITMMXXX']);
  });

  it('the month holds the day: the same totals, a series per business day', async () => {
    const month = await statisticsReport(h.engine, { period: { month: '2026-11' } });
    assert.equal(month.granularity, 'day');
    assert.deepEqual(month.totals, report.totals);
    assert.deepEqual(month.series.map((s) => [s.at, s.count]), [[DAY, report.totals[0]!.count]]);
    assert.deepEqual(month.bilateral, report.bilateral);
    await assert.rejects(statisticsReport(h.engine, { period: { month: '2026-13' } }), /not a month/);
    await assert.rejects(statisticsReport(h.engine, { period: { cycle: 1n } }), /per business day/);
  });

  it('the same day reconciles on PGlite', async () => {
    const reconciliation = await reconciliationReport(h.engine, { period: { date: DAY } });
    assert.deepEqual(reconciliation.mismatches, []);
    assert.equal(reconciliation.ok, true);
    // One bulk file per receiving participant (one currency), each checked as delivered.
    assert.equal(reconciliation.checked.bulkFileDelivered, receivedInMailboxes().size);
    assert.ok(reconciliation.checked.deliveredSettled > 0 && reconciliation.checked.positionSettled > 0);
  });

  it('as CSV and JSON for machines', async () => {
    const csv = Buffer.from(await renderReport(report, 'csv', { generatedAt: '2026-11-26T17:00:00Z' })).toString('utf8');
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines[0], STATISTICS_CSV_HEADER.join(','));
    assert.ok(lines.every((l) => l.split(',').length === STATISTICS_CSV_HEADER.length), 'every line has every column');
    const sentLines = lines.filter((l) => l.startsWith('sent,'));
    assert.equal(sentLines.length, report.sentByParticipant.length);
    const json = JSON.parse(Buffer.from(await renderReport(report, 'json', { generatedAt: '-' })).toString('utf8')) as { totals: Array<{ sumMinor: string; count: number }> };
    assert.equal(json.totals[0]!.sumMinor, report.totals[0]!.sumMinor.toString());
  });

  it('as HTML with its SVG charts, looked at in Chromium', async (t) => {
    if (requireOrSkip(t, !existsSync(CHROMIUM) && `${CHROMIUM} not installed (apt-get install chromium)`)) return;
    const html = Buffer.from(await renderReport(report, 'html', { generatedAt: '2026-11-26T17:00:00Z' })).toString('utf8');
    // A time series, the bars per participant and one heat map (one currency).
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.match(html, /Bilateral flows in EUR/);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      await page.setContent(html);
      // The charts drew marks: bars (paths) and the heat map's cells, with a real size.
      const box = await page.locator('.chart svg').nth(1).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, JSON.stringify(box));
      assert.ok(await page.locator('.chart svg path').count() > 5);
      const text = await page.locator('body').innerText();
      for (const s of report.sentByParticipant) assert.ok(text.includes(s.participant));
      mkdirSync(join(root, 'test-results'), { recursive: true });
      await page.screenshot({ path: join(root, 'test-results', 'reports-statistics.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('as a PDF, every page rendered by pdftoppm', async (t) => {
    if (requireOrSkip(t, !existsSync(CHROMIUM) && `${CHROMIUM} not installed (apt-get install chromium)`)) return;
    if (requireOrSkip(t, spawnSync('pdftoppm', ['-v']).error !== undefined && 'pdftoppm not installed (apt-get install poppler-utils)')) return;
    const pdf = await renderReport(report, 'pdf', { generatedAt: '2026-11-26T17:00:00Z' });
    assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'clearhouse-report-pdf-'));
    writeFileSync(join(dir, 'statistics.pdf'), pdf);
    const r = spawnSync('pdftoppm', ['-r', '50', '-png', join(dir, 'statistics.pdf'), join(dir, 'page')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pages = readdirSync(dir).filter((f) => f.endsWith('.png'));
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    // Not blank: a page with charts and tables compresses to more than an empty one.
    for (const p of pages) assert.ok(statSync(join(dir, p)).size > 3_000, `${p} is nearly empty`);
  });
});
