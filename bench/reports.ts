/**
 * Reports benchmark (`npm run bench`, section reports; docs/reports.md "Scale"): a business day of N
 * settled payments generated with generate_series into a scratch PostgreSQL schema (five banks, two
 * currencies, batch and real-time, spread over the day's hours, three settled cycles with their
 * positions), then the daily statistics report (JSON) made in a child process that reports its time
 * and peak resident memory, and the camt.053 of the day's largest participant (the one with the most
 * entries) streamed to a file in another child (switch/engine/statements.ts). The figures are time per
 * million payments of the day, and peak RSS of each child.
 *
 *   node --import tsx bench/reports.ts [--payments N]    # standalone
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Engine } from '../switch/engine/engine.ts';
import { loadConfig } from '../switch/config.ts';
import { dropSchema, freshSchemaUrl } from '../switch/store/scratch.ts';
import { renderReport, statisticsReport } from '../switch/reports/index.ts';

const DAY = '2026-11-26';
const here = fileURLToPath(import.meta.url);
const configPath = fileURLToPath(new URL('../config/demo-scheme.json', import.meta.url));

function databaseBase(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export interface ReportsBenchRow {
  readonly payments: number;
  readonly generateS: number;
  readonly statisticsS: number;
  readonly sPerMillion: number;
  readonly peakRssMiB: number;
  /** The camt.053 of the largest participant: its entries, time, per million payments of the day, peak RSS, file size. */
  readonly statementEntries: number;
  readonly statementS: number;
  readonly statementSPerMillion: number;
  readonly statementPeakRssMiB: number;
  readonly statementMiB: number;
}

/** The day's rows: N payments over three settled cycles, with the cycles' positions. */
async function generate(url: string, payments: number): Promise<void> {
  // The schema: an engine opened once writes it (migrations) and the scheme register.
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url });
  const cycleIds = (await engine.cycles()).map((c) => c.id);
  await engine.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`UPDATE cycles SET business_date = $1, state = 'SETTLED' WHERE id = ANY ($2::bigint[])`, [DAY, cycleIds.map(String)]);
    await client.query(`INSERT INTO cycles (business_date, sequence, state) VALUES ($1, 2, 'SETTLED'), ($1, 3, 'SETTLED')`, [DAY]);
    await client.query(`INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
                        VALUES ('in', 'BANKDEFFXXX', 'pacs.008.001.08', 'BENCH-1', 'x', 1, '\\x00')`);
    const banks = ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKBEBBXXX', 'BANKITMMXXX'];
    // Batch and real-time, EUR and SEK, debtor and creditor from the five banks (never the same), over 08:00–16:00 UTC.
    await client.query(
      `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, instructing_agent, debtor_agent, creditor_agent,
                             currency, amount_minor, settlement_date, state, cycle_id, created_at, transaction_xml)
       SELECT (SELECT min(id) FROM messages), g, 'CREDIT', CASE WHEN g % 5 = 0 THEN 'realtime' ELSE 'batch' END, 'T' || g,
              b.banks[1 + g % 5], b.banks[1 + g % 5], b.banks[1 + (g / 5 + g % 5 + 1 + (g / 25) % 4) % 5],
              CASE WHEN g % 7 = 0 THEN 'SEK' ELSE 'EUR' END, 100 + (g::bigint * 7919) % 500000, $2::date,
              CASE WHEN g % 97 = 0 THEN 'REJECTED' ELSE 'SETTLED' END,
              (SELECT id FROM cycles WHERE business_date = $2 ORDER BY sequence LIMIT 1 OFFSET g % 3),
              $2::date + time '08:00' + (g * interval '28800 seconds') / $3::int, CASE WHEN g % 5 = 0 THEN '<x/>' END
         FROM generate_series(1, $3::int) AS g, (SELECT $1::text[] AS banks) b`, [banks, DAY, payments]);
    await client.query(`UPDATE payments SET creditor_agent = CASE debtor_agent WHEN 'BANKDEFFXXX' THEN 'BANKFRPPXXX' ELSE 'BANKDEFFXXX' END
                         WHERE creditor_agent = debtor_agent`);
    await client.query(`INSERT INTO cycle_positions (cycle_id, bic, currency, net_minor)
       SELECT cycle_id, bic, currency, SUM(net) FROM (
         SELECT cycle_id, creditor_agent AS bic, currency, amount_minor AS net FROM payments WHERE state = 'SETTLED'
         UNION ALL SELECT cycle_id, debtor_agent, currency, -amount_minor FROM payments WHERE state = 'SETTLED') f
        GROUP BY 1, 2, 3`);
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** In the child: the statistics of the day, rendered as JSON; prints its time and peak RSS. */
async function child(url: string): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, readOnly: true });
  const started = performance.now();
  const report = await statisticsReport(engine, { period: { date: DAY } });
  const bytes = await renderReport(report, 'json', { generatedAt: '-' });
  const ms = performance.now() - started;
  await engine.close();
  const total = report.totals.reduce((n, t) => n + t.count, 0);
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, total, bytes: bytes.length }) + '\n');
}

/** In the child: the camt.053 of the participant with the most entries, streamed to a file; prints time, entries and peak RSS. */
async function statementChild(url: string, file: string): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, readOnly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const [largest] = (await client.query<{ bic: string; currency: string }>(
    `SELECT bic, currency FROM (SELECT debtor_agent AS bic, currency FROM payments WHERE state = 'SETTLED'
                                UNION ALL SELECT creditor_agent, currency FROM payments WHERE state = 'SETTLED') e
      GROUP BY bic, currency ORDER BY COUNT(*) DESC LIMIT 1`)).rows;
  await client.end();
  const started = performance.now();
  await pipeline(Readable.from(engine.statementDocument(DAY, largest!.bic, largest!.currency, 'BENCH-STM-1')), createWriteStream(file));
  const ms = performance.now() - started;
  await engine.close();
  const entries = (await countEntries(file));
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, entries, bytes: statSync(file).size }) + '\n');
}

/** The <Ntry> elements of the written file, counted by streaming it (the file is never read whole). */
async function countEntries(file: string): Promise<number> {
  let count = 0;
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const text = carry + (chunk as string);
    count += text.split('<Ntry>').length - 1;
    // A match lies wholly inside the last 5 characters never: carrying them splits no match and counts none twice.
    carry = text.slice(-5);
  }
  return count;
}

export async function benchmarkReports(payments: number): Promise<ReportsBenchRow> {
  const name = `reports_bench_${process.pid}`;
  const url = await freshSchemaUrl(databaseBase(), name);
  try {
    const started = performance.now();
    await generate(url, payments);
    const generateS = (performance.now() - started) / 1000;
    const run = spawnSync(process.execPath, ['--import', 'tsx', here, '--child', url], { encoding: 'utf8', timeout: 1_800_000 });
    if (run.status !== 0) throw new Error(`reports bench child failed: ${run.stderr}`);
    const measured = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ms: number; maxRssKiB: number; total: number };
    if (measured.total !== payments) throw new Error(`the statistics counted ${measured.total} payments of ${payments}`);
    const statisticsS = measured.ms / 1000;
    const file = join(mkdtempSync(join(tmpdir(), 'clearhouse-bench-stm-')), 'statement.camt.053.xml');
    const stm = spawnSync(process.execPath, ['--import', 'tsx', here, '--statement-child', url, file], { encoding: 'utf8', timeout: 1_800_000 });
    rmSync(dirname(file), { recursive: true, force: true });
    if (stm.status !== 0) throw new Error(`reports bench statement child failed: ${stm.stderr}`);
    const statement = JSON.parse(stm.stdout.trim().split('\n').at(-1)!) as { ms: number; maxRssKiB: number; entries: number; bytes: number };
    const statementS = statement.ms / 1000;
    return { payments, generateS: round(generateS), statisticsS: round(statisticsS), sPerMillion: round(statisticsS / (payments / 1e6)),
      peakRssMiB: round(measured.maxRssKiB / 1024),
      statementEntries: statement.entries, statementS: round(statementS), statementSPerMillion: round(statementS / (payments / 1e6)),
      statementPeakRssMiB: round(statement.maxRssKiB / 1024), statementMiB: round(statement.bytes / 1024 / 1024) };
  } finally {
    await dropSchema(databaseBase(), name);
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

if (process.argv[1] === here) {
  const childIndex = process.argv.indexOf('--child');
  const statementIndex = process.argv.indexOf('--statement-child');
  if (childIndex >= 0) await child(process.argv[childIndex + 1]!);
  else if (statementIndex >= 0) await statementChild(process.argv[statementIndex + 1]!, process.argv[statementIndex + 2]!);
  else {
    const i = process.argv.indexOf('--payments');
    console.table([await benchmarkReports(i >= 0 ? Number(process.argv[i + 1]) : 1_000_000)]);
  }
}
