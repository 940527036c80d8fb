/**
 * Reports benchmark (`npm run bench -- --only reports [--reports-size N]`; docs/reports.md "Scale"): a
 * business day of N settled payments generated set-based (generate_series) into a scratch PostgreSQL
 * schema (five banks, two currencies, batch and real-time, spread over the day's hours, three settled
 * cycles with their positions), then, each in its own child process that reports its time and peak
 * resident memory: the daily statistics (JSON), the day's reconciliation (JSON), the camt.053 of the
 * day's largest participant (the one with the most entries) streamed to a file, and the business-day
 * close (every participant's paged camt.053 into the outbox). The figures are seconds per million
 * payments of the day, and peak RSS of each child: flat RSS from 100k to 1M means bounded memory.
 *
 *   node --import tsx bench/reports.ts [--payments N]    # standalone
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Engine } from '../switch/engine/engine.ts';
import { loadConfig } from '../switch/config.ts';
import { dropSchema, freshSchemaUrl } from '../switch/store/scratch.ts';
import { reconciliationReport, renderReport, statisticsReport } from '../switch/reports/index.ts';
import { ManualClock } from '../switch/clock.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const DAY = '2026-11-26';
const NEXT_DAY = '2026-11-27';
const here = fileURLToPath(import.meta.url);
const configPath = fileURLToPath(new URL('../config/demo-scheme.json', import.meta.url));

function databaseBase(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** One measured step: its time, per million payments of the day, and the peak RSS of the child that did it. */
export interface ReportsBenchStep {
  readonly step: 'statistics' | 'reconciliation' | 'camt.053 largest' | 'day close';
  readonly payments: number;
  readonly seconds: number;
  readonly sPerMillion: number;
  readonly peakRssMiB: number;
  /** What the step produced: statement entries (camt.053, the close's statements), bytes written. */
  readonly entries: number | null;
  readonly outputMiB: number;
}

export interface ReportsBenchResult {
  readonly payments: number;
  readonly generateS: number;
  readonly loadAverage: { readonly before: string; readonly after: string };
  readonly steps: readonly ReportsBenchStep[];
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
    // The next day's open cycle: the close child's engine, opened on DAY, finds a cycle open and opens none on DAY.
    await client.query(`INSERT INTO cycles (business_date, sequence, state) VALUES ($1, 1, 'OPEN')`, [NEXT_DAY]);
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
         SELECT cycle_id, creditor_agent AS bic, currency, amount_minor AS net FROM payments_effective WHERE state = 'SETTLED'
         UNION ALL SELECT cycle_id, debtor_agent, currency, -amount_minor FROM payments_effective WHERE state = 'SETTLED') f
        GROUP BY 1, 2, 3`);
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

type Measured = { ms: number; maxRssKiB: number; entries: number | null; bytes: number; total?: number };

function report(measured: Omit<Measured, 'maxRssKiB'>): void {
  process.stdout.write(JSON.stringify({ ...measured, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
}

/** In the child: the statistics of the day, rendered as JSON; prints its time and peak RSS. */
async function statisticsChild(url: string): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, readOnly: true });
  const started = performance.now();
  const made = await statisticsReport(engine, { period: { date: DAY } });
  const bytes = await renderReport(made, 'json', { generatedAt: '-' });
  const ms = performance.now() - started;
  await engine.close();
  report({ ms, entries: null, bytes: bytes.length, total: made.totals.reduce((n, t) => n + t.count, 0) });
}

/** In the child: the reconciliation of the day, rendered as JSON (the bench's day has no agent messages: it reports mismatches, capped). */
async function reconciliationChild(url: string): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, readOnly: true });
  const started = performance.now();
  const made = await reconciliationReport(engine, { period: { date: DAY } });
  const bytes = await renderReport(made, 'json', { generatedAt: '-' });
  const ms = performance.now() - started;
  await engine.close();
  const received = made.sections.at(-1)!.rows.reduce((n, r) => n + r.figures.received.count, 0);
  report({ ms, entries: null, bytes: bytes.length, total: received });
}

/** In the child: the camt.053 of the participant with the most entries, streamed to a file; prints time, entries and peak RSS. */
async function statementChild(url: string, file: string): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, readOnly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const [largest] = (await client.query<{ bic: string; currency: string }>(
    `SELECT bic, currency FROM (SELECT debtor_agent AS bic, currency FROM payments_effective WHERE state = 'SETTLED'
                                UNION ALL SELECT creditor_agent, currency FROM payments_effective WHERE state = 'SETTLED') e
      GROUP BY bic, currency ORDER BY COUNT(*) DESC LIMIT 1`)).rows;
  await client.end();
  const started = performance.now();
  await pipeline(Readable.from(engine.statementDocument(DAY, largest!.bic, largest!.currency, 'BENCH-STM-1')), createWriteStream(file));
  const ms = performance.now() - started;
  await engine.close();
  report({ ms, entries: await countEntries(file), bytes: statSync(file).size });
}

/**
 * In the child: the business-day close of DAY (switch/engine/day-close.ts): every participant's camt.053
 * pages and day_statements rows, the admi.004 to each. The engine opens with its clock on DAY (nothing
 * to close yet), then the clock moves to the next day and the close is timed alone.
 */
async function closeChild(url: string): Promise<void> {
  const clock = new ManualClock(`${DAY}T12:00:00Z`);
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url, clock });
  clock.set(`${NEXT_DAY}T12:00:00Z`);
  const started = performance.now();
  const closed = await engine.closeBusinessDays();
  const ms = performance.now() - started;
  await engine.close();
  if (closed.length !== 1 || closed[0]!.businessDate !== DAY) throw new Error(`the close closed ${JSON.stringify(closed)}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const [made] = (await client.query<{ entries: string; bytes: string }>(
    `SELECT (SELECT SUM(credit_count + debit_count) FROM day_statements WHERE business_date = $1::date)::text AS entries,
            (SELECT SUM(size_bytes) FROM messages WHERE direction = 'out' AND message_type = 'camt.053.001.08')::text AS bytes`, [DAY])).rows;
  await client.end();
  report({ ms, entries: Number(made!.entries), bytes: Number(made!.bytes) });
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

const STEPS = [
  { step: 'statistics', flag: '--statistics-child' },
  { step: 'reconciliation', flag: '--reconciliation-child' },
  { step: 'camt.053 largest', flag: '--statement-child' },
  // Last: it closes the day (statements and messages written into the schema).
  { step: 'day close', flag: '--close-child' },
] as const;

function runChild(flag: string, args: readonly string[]): Measured {
  const run = spawnSync(process.execPath, [...TYPESCRIPT_IMPORT, here, flag, ...args], { encoding: 'utf8', timeout: 3 * 3_600_000 });
  if (run.status !== 0) throw new Error(`reports bench ${flag} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Measured;
}

const loadText = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

export async function benchmarkReports(payments: number): Promise<ReportsBenchResult> {
  const name = `reports_bench_${process.pid}`;
  const url = await freshSchemaUrl(databaseBase(), name);
  const before = loadText();
  try {
    const started = performance.now();
    await generate(url, payments);
    const generateS = (performance.now() - started) / 1000;
    const steps: ReportsBenchStep[] = [];
    for (const { step, flag } of STEPS) {
      const directory = mkdtempSync(join(tmpdir(), 'clearhouse-bench-reports-'));
      try {
        const measured = runChild(flag, [url, join(directory, 'statement.camt.053.xml')]);
        if (measured.total !== undefined && measured.total !== payments) throw new Error(`${step} counted ${measured.total} payments of ${payments}`);
        const seconds = measured.ms / 1000;
        steps.push({ step, payments, seconds: round(seconds), sPerMillion: round(seconds / (payments / 1e6)), peakRssMiB: round(measured.maxRssKiB / 1024),
          entries: measured.entries, outputMiB: round(measured.bytes / 2 ** 20) });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }
    return { payments, generateS: round(generateS), loadAverage: { before, after: loadText() }, steps };
  } finally {
    await dropSchema(databaseBase(), name);
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

if (process.argv[1] === here) {
  const flag = process.argv[2];
  const [url, file] = [process.argv[3]!, process.argv[4]!];
  if (flag === '--statistics-child') await statisticsChild(url);
  else if (flag === '--reconciliation-child') await reconciliationChild(url);
  else if (flag === '--statement-child') await statementChild(url, file);
  else if (flag === '--close-child') await closeChild(url);
  else {
    const i = process.argv.indexOf('--payments');
    const result = await benchmarkReports(i >= 0 ? Number(process.argv[i + 1]) : 100_000);
    console.table(result.steps);
    console.log(`generated in ${result.generateS} s; load average (1, 5, 15 min) ${result.loadAverage.before} before, ${result.loadAverage.after} after`);
  }
}
