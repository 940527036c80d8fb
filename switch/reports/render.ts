/**
 * A report as JSON, CSV (long format: one figure per line, for machines) or a readable HTML page with
 * its charts inline as SVG (docs/reports.md "Formats"). The PDF is this HTML printed (pdf.ts).
 */
import { formatAmount } from '../iso/amount.ts';
import { IDENTITIES, type Figure, type ReconciliationReport } from './reconciliation.ts';
import type { StatisticsReport } from './statistics.ts';
import type { Chart } from './charts.ts';

export type Report = ReconciliationReport | StatisticsReport;

/** JSON with every bigint (minor units) as its decimal string. */
export function toJson(report: Report): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2) + '\n';
}

const signed = (minor: bigint, currency: string): string => (minor < 0n ? `-${formatAmount(-minor, currency)}` : formatAmount(minor, currency));

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function field(value: string | number | bigint | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const line = (values: ReadonlyArray<string | number | bigint | null | undefined>): string => values.map(field).join(',') + '\r\n';

export const RECONCILIATION_CSV_HEADER = ['record', 'section', 'participant', 'currency', 'name', 'count', 'amount_minor', 'amount', 'detail'] as const;
export const STATISTICS_CSV_HEADER = ['record', 'participant', 'counterparty', 'currency', 'key', 'count', 'amount_minor', 'amount'] as const;

export function toCsv(report: Report): string {
  return report.kind === 'reconciliation' ? reconciliationCsv(report) : statisticsCsv(report);
}

function reconciliationCsv(report: ReconciliationReport): string {
  let out = line(RECONCILIATION_CSV_HEADER);
  for (const section of report.sections) {
    for (const row of section.rows) {
      for (const [name, f] of Object.entries(row.figures) as Array<[string, Figure]>) {
        out += line(['figure', section.name, row.participant, row.currency, name, f.count, f.sumMinor, signed(f.sumMinor, row.currency), '']);
      }
    }
  }
  for (const r of report.refusedAtValidation) out += line(['refused-at-validation', report.period, r.participant, '', r.reason, r.count, '', '', '']);
  for (const m of report.mismatches) {
    out += line(['mismatch', m.section, m.participant, m.currency, m.identity, '', '', '', `${m.detail}: expected ${m.expected}, found ${m.actual}`]);
  }
  return out;
}

function statisticsCsv(r: StatisticsReport): string {
  let out = line(STATISTICS_CSV_HEADER);
  const money = (minor: bigint, currency: string) => [minor, signed(minor, currency)] as const;
  for (const t of r.totals) out += line(['total', '', '', t.currency, '', t.count, ...money(t.sumMinor, t.currency)]);
  for (const t of r.accepted) out += line(['accepted', '', '', t.currency, '', t.count, ...money(t.sumMinor, t.currency)]);
  for (const s of r.sentByParticipant) out += line(['sent', s.participant, '', s.currency, '', s.count, ...money(s.sumMinor, s.currency)]);
  for (const s of r.receivedByParticipant) out += line(['received', s.participant, '', s.currency, '', s.count, ...money(s.sumMinor, s.currency)]);
  for (const s of r.byService) out += line(['service', '', '', s.currency, `${s.mode} ${s.kind}`, s.count, ...money(s.sumMinor, s.currency)]);
  for (const s of r.byState) out += line(['state', '', '', '', `${s.mode} ${s.state}`, s.count, s.sumMinor, '']);
  for (const s of r.series) out += line([r.granularity, '', '', s.currency, s.at, s.count, ...money(s.sumMinor, s.currency)]);
  for (const s of r.rejections) out += line(['rejection', s.participant, '', '', `${s.reason} ${s.state}`, s.count, s.sumMinor, '']);
  for (const s of r.refusedAtValidation) out += line(['refused-at-validation', s.participant, '', '', s.reason, s.count, '', '']);
  for (const s of r.unwinds) out += line(['unwind', s.participant, '', s.currency, s.reason, s.count, ...money(s.sumMinor, s.currency)]);
  for (const s of r.settlementFailures) {
    out += line(['settlement-failure', s.participant, '', s.currency, `cycle ${s.cycle} ${s.direction} ${s.reason}`, 1, ...money(s.amountMinor, s.currency)]);
  }
  for (const s of r.capUtilisation) {
    out += line(['cap-utilisation', s.participant, '', s.currency, s.utilisationPercent === null ? 'no cap' : `${s.utilisationPercent}%`, '',
      ...money(s.peakDebitMinor, s.currency)]);
  }
  out += line(['peak-second', '', '', '', r.peakThroughput.secondAt, r.peakThroughput.perSecond, '', '']);
  out += line(['peak-minute', '', '', '', r.peakThroughput.minuteAt, r.peakThroughput.perMinute, '', '']);
  for (const b of r.bilateral) out += line(['bilateral', b.debtor, b.creditor, b.currency, '', b.count, ...money(b.sumMinor, b.currency)]);
  return out;
}

const escape = (text: string | number | bigint): string =>
  String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function table(headings: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | bigint>>, numeric: ReadonlySet<number> = new Set()): string {
  if (rows.length === 0) return '<p class="none">None.</p>';
  const head = headings.map((h, i) => `<th${numeric.has(i) ? ' class="n"' : ''}>${escape(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((v, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${escape(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
  @page { size: A4; margin: 14mm 12mm; }
  body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; font-size: 10.5px; color: #1a1a1a; margin: 18px; }
  h1 { font-size: 19px; margin: 0 0 2px; } h2 { font-size: 14px; margin: 20px 0 6px; border-bottom: 1px solid #bbb; padding-bottom: 2px; }
  h3 { font-size: 12px; margin: 12px 0 4px; }
  .meta { color: #555; margin-bottom: 10px; }
  table { border-collapse: collapse; margin: 4px 0 10px; page-break-inside: auto; } tr { page-break-inside: avoid; }
  th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; } th { background: #eef1f5; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .chart { page-break-inside: avoid; margin: 6px 0 14px; } .chart svg { max-width: 100%; height: auto; }
  .ok { color: #0a6b2d; font-weight: bold; } .bad { color: #b00020; font-weight: bold; } .none { color: #777; font-style: italic; }
`;

function page(title: string, meta: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head>\n` +
    `<body><h1>${escape(title)}</h1><div class="meta">${meta}</div>\n${body}\n</body></html>\n`;
}

export function toHtml(report: Report, charts: readonly Chart[], generatedAt: string): string {
  return report.kind === 'reconciliation' ? reconciliationHtml(report, generatedAt) : statisticsHtml(report, charts, generatedAt);
}

function statisticsHtml(r: StatisticsReport, charts: readonly Chart[], generatedAt: string): string {
  const amount = (minor: bigint, currency: string) => `${signed(minor, currency)} ${currency}`;
  const n = (...i: number[]) => new Set(i);
  const sections = [
    `<h2>Totals</h2>` + table(['currency', 'payments', 'value', 'accepted payments', 'accepted value'],
      r.totals.map((t) => {
        const a = r.accepted.find((x) => x.currency === t.currency);
        return [t.currency, t.count, amount(t.sumMinor, t.currency), a?.count ?? 0, amount(a?.sumMinor ?? 0n, t.currency)];
      }), n(1, 2, 3, 4)),
    `<p>Peak throughput: <b>${r.peakThroughput.perSecond}</b> payments in one second (${escape(r.peakThroughput.secondAt ?? '-')}), ` +
      `<b>${r.peakThroughput.perMinute}</b> in one minute (${escape(r.peakThroughput.minuteAt ?? '-')}), by the store's time of receipt.</p>`,
    `<h2>Charts</h2>` + charts.map((c) => `<div class="chart"><h3>${escape(c.title)}</h3>${c.svg}</div>`).join('\n'),
    `<h2>Volume and value per participant</h2><h3>Sent (as debtor agent)</h3>` +
      table(['participant', 'currency', 'payments', 'value'], r.sentByParticipant.map((s) => [s.participant, s.currency, s.count, amount(s.sumMinor, s.currency)]), n(2, 3)) +
      `<h3>Received (as creditor agent)</h3>` +
      table(['participant', 'currency', 'payments', 'value'], r.receivedByParticipant.map((s) => [s.participant, s.currency, s.count, amount(s.sumMinor, s.currency)]), n(2, 3)),
    `<h2>Per service</h2>` + table(['mode', 'kind', 'currency', 'payments', 'value'],
      r.byService.map((s) => [s.mode, s.kind, s.currency, s.count, amount(s.sumMinor, s.currency)]), n(3, 4)),
    `<h2>Per ${r.granularity === 'hour' ? `hour (${escape(r.timeZone)})` : 'business day'}</h2>` + table([r.granularity, 'currency', 'payments', 'value'],
      r.series.map((s) => [s.at, s.currency, s.count, amount(s.sumMinor, s.currency)]), n(2, 3)),
    `<h2>Rejections by reason code</h2>` + table(['participant', 'reason', 'state', 'payments'],
      r.rejections.map((s) => [s.participant, s.reason, s.state, s.count]), n(3)) +
      `<h3>Refused at validation (transactions, no payment made)</h3>` +
      table(['participant', 'reason', 'transactions'], r.refusedAtValidation.map((s) => [s.participant, s.reason, s.count]), n(2)),
    `<h2>Unwinds</h2>` + table(['participant', 'currency', 'reason', 'payments', 'value'],
      r.unwinds.map((s) => [s.participant, s.currency, s.reason, s.count, amount(s.sumMinor, s.currency)]), n(3, 4)),
    `<h2>Settlement failures</h2>` + table(['cycle', 'participant', 'currency', 'direction', 'amount', 'reason'],
      r.settlementFailures.map((s) => [s.cycle, s.participant, s.currency, s.direction, amount(s.amountMinor, s.currency), s.reason]), n(4)),
    `<h2>Cap utilisation (peak net debit at netting against the cap in force)</h2>` + table(['participant', 'currency', 'peak debit', 'cycle', 'cap', 'utilisation'],
      r.capUtilisation.map((s) => [s.participant, s.currency, amount(s.peakDebitMinor, s.currency), s.cycle ?? '-',
        s.capMinor === null ? 'none' : amount(s.capMinor, s.currency), s.utilisationPercent === null ? '-' : `${s.utilisationPercent} %`]), n(2, 4, 5)),
    `<h2>Bilateral flows</h2>` + table(['debtor agent', 'creditor agent', 'currency', 'payments', 'value'],
      r.bilateral.map((b) => [b.debtor, b.creditor, b.currency, b.count, amount(b.sumMinor, b.currency)]), n(3, 4)),
    `<h2>Cycles</h2>` + table(['cycle', 'business date', 'sequence', 'state'], r.cycles.map((c) => [c.id, c.businessDate, c.sequence, c.state])),
  ];
  const meta = `${escape(r.period)}${r.participant ? ` · participant ${escape(r.participant)}` : ' · all participants'} · generated ${escape(generatedAt)}`;
  return page(`Regulator statistics, ${r.period}`, meta, sections.join('\n'));
}

function reconciliationHtml(r: ReconciliationReport, generatedAt: string): string {
  const verdict = r.ok ? '<p class="ok">Reconciled: every identity holds.</p>'
    : `<p class="bad">${r.mismatches.length + r.mismatchesDropped} mismatch(es): see below. Nothing was adjusted.</p>`;
  const identities = table(['identity', 'checked'], Object.entries(IDENTITIES).map(([k, text]) => [text, r.checked[k as keyof typeof IDENTITIES]]), new Set([1]));
  const mismatches = table(['section', 'identity', 'participant', 'currency', 'expected', 'found', 'detail'],
    r.mismatches.map((m) => [m.section, m.identity, m.participant ?? '', m.currency ?? '', m.expected, m.actual, m.detail]));
  const columns = ['received', 'rejected', 'accepted', 'historyNetted', 'historyUnwound', 'settled', 'incomingAccepted', 'delivered', 'position', 'agentConfirmed'] as const;
  const sections = r.sections.map((s) => `<h2>${escape(s.name)}${s.cycle ? ` (${escape(s.cycle.businessDate)} #${s.cycle.sequence}, ${escape(s.cycle.state)})` : ''}</h2>` +
    table(['participant', 'currency', ...columns],
      s.rows.map((row) => [row.participant, row.currency, ...columns.map((c) => {
        const f = row.figures[c];
        return c === 'position' ? signed(f.sumMinor, row.currency) : `${f.count} / ${signed(f.sumMinor, row.currency)}`;
      })]), new Set(columns.map((_, i) => i + 2))));
  const meta = `${escape(r.period)}${r.participant ? ` · participant ${escape(r.participant)}` : ''} · generated ${escape(generatedAt)}`;
  return page(`Reconciliation, ${r.period}`, meta, [verdict, '<h2>Mismatches</h2>', mismatches, '<h2>Identities checked</h2>', identities, ...sections].join('\n'));
}
