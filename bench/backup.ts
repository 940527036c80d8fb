/**
 * Backup and restore benchmark (`npm run bench -- --only backup`; docs/operations.md "Backup and
 * restore"): a store of N settled payments generated with SQL into a scratch PostgreSQL schema, shaped
 * like a batch day (files of 10,000 payments whose bytes are stored, each payment's 1.1 KB transaction
 * element in payment_xml, the cycle steps in payment_transition_sets; one in five payments real-time
 * with its own transaction XML and two transition rows), then, each in a child process that reports its
 * time and peak resident memory:
 *   backup of the PostgreSQL store → restore into a new empty schema → restore of the same file into
 *   a new PGlite directory → backup of that PGlite store.
 * The figures are seconds per million payments and peak RSS (bounded: it must not grow with N).
 *
 *   node --import tsx bench/backup.ts [--payments N]    # standalone
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Engine } from '../switch/engine/engine.ts';
import { loadConfig } from '../switch/config.ts';
import { dropSchema, freshSchemaUrl } from '../switch/store/scratch.ts';
import { openDatabase } from '../switch/store/database.ts';
import { restoreBackup, writeBackup } from '../switch/store/backup.ts';
import { TYPESCRIPT_IMPORT } from '../switch/typescript-import.ts';

const DAY = '2026-11-26';
const PER_FILE = 10_000;
/** The V8 heap limit of each step's process (PGlite's own memory, WebAssembly, is outside it). */
const HEAP_MIB = 256;
const here = fileURLToPath(import.meta.url);
const configPath = fileURLToPath(new URL('../config/demo-scheme.json', import.meta.url));

function databaseBase(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export interface BackupBenchRow {
  readonly step: string;
  readonly payments: number;
  readonly seconds: number;
  readonly sPerMillion: number;
  readonly peakRssMiB: number;
  readonly fileMiB: number;
}

export async function generate(url: string, payments: number): Promise<void> {
  const engine = await Engine.open({ config: loadConfig(configPath), databaseUrl: url });
  await engine.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO cycles (business_date, sequence, state) VALUES ($1, 1, 'SETTLED'), ($1, 2, 'SETTLED'), ($1, 3, 'SETTLED')`, [DAY]);
    const files = Math.ceil(payments / PER_FILE);
    // The files themselves (bytes kept in messages), about 1.1 KB per payment, not all alike.
    await client.query(`INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
       SELECT 'in', 'BANKDEFFXXX', 'pacs.008.001.08', 'BENCH-' || f, md5(f::text), $2::int * 1100,
              convert_to((SELECT string_agg('<CdtTrfTxInf><PmtId><TxId>' || f || '-' || t || '</TxId></PmtId>' || md5(f::text || '-' || t) || repeat(md5((f * 100000 + t)::text), 2) || repeat('<Cdtr><Nm>Bench</Nm></Cdtr>', 20) || '</CdtTrfTxInf>', '')
                            FROM generate_series(1, $2::int) t), 'UTF8')
         FROM generate_series(1, $1::int) f`, [files, PER_FILE]);
    const banks = ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKBEBBXXX', 'BANKITMMXXX'];
    await client.query(
      `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, instructing_agent, debtor_agent, creditor_agent,
                             currency, amount_minor, settlement_date, state, cycle_id, created_at, transaction_xml)
       SELECT (SELECT id FROM messages WHERE message_id = 'BENCH-' || (1 + (g - 1) / ${PER_FILE})), g, 'CREDIT',
              CASE WHEN g % 5 = 0 THEN 'realtime' ELSE 'batch' END, 'T' || g,
              b.banks[1 + g % 5], b.banks[1 + g % 5], b.banks[1 + (g % 5 + 1 + (g / 5) % 4) % 5],
              'EUR', 100 + (g::bigint * 7919) % 500000, $2::date, 'SETTLED',
              (SELECT id FROM cycles WHERE business_date = $2 ORDER BY sequence LIMIT 1 OFFSET g % 3),
              $2::date + time '08:00' + (g * interval '28800 seconds') / $3::int,
              CASE WHEN g % 5 = 0 THEN '<CdtTrfTxInf>' || md5(g::text) || md5((g + 1)::text) || repeat('<Cdtr><Nm>Bench</Nm></Cdtr>', 40) || '</CdtTrfTxInf>' END
         FROM generate_series(1, $3::int) AS g, (SELECT $1::text[] AS banks) b`, [banks, DAY, payments]);
    await client.query(`INSERT INTO payment_xml (payment_id, transaction_xml)
       SELECT id, '<CdtTrfTxInf>' || md5(id::text) || md5((id + 1)::text) || repeat('<Cdtr><Nm>Bench</Nm></Cdtr>', 40) || '</CdtTrfTxInf>' FROM payments WHERE mode = 'batch'`);
    await client.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, at)
       SELECT id, s.f, s.t, 'bench', created_at FROM payments, (VALUES ('RECEIVED', 'RESERVED'), ('RESERVED', 'COMMITTED')) AS s(f, t)
        WHERE mode = 'realtime'`);
    await client.query(`INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
       SELECT cycle_id, s.f, s.t, 'bench', array_agg(id ORDER BY id) FROM payments,
              (VALUES ('RECEIVED', 'ACCEPTED'), ('ACCEPTED', 'NETTED'), ('NETTED', 'SETTLED')) AS s(f, t)
        WHERE mode = 'batch' GROUP BY cycle_id, message_id, s.f, s.t`);
    await client.query(`INSERT INTO cycle_positions (cycle_id, bic, currency, net_minor)
       SELECT cycle_id, bic, currency, SUM(net) FROM (
         SELECT cycle_id, creditor_agent AS bic, currency, amount_minor AS net FROM payments
         UNION ALL SELECT cycle_id, debtor_agent, currency, -amount_minor FROM payments) f
        GROUP BY 1, 2, 3`);
  } finally {
    await client.end();
  }
}

/** In the child: one step, timed; prints its time and peak RSS. */
async function child(step: string, store: string, file: string): Promise<void> {
  const db = await openDatabase(store.startsWith('postgres') ? { url: store, poolSize: 2 } : { directory: store });
  const started = performance.now();
  if (step === 'backup') await writeBackup(db, file, { createdAt: new Date(), systemTimeAt: new Date() });
  else await restoreBackup(db, file, { restoredAt: new Date() });
  const ms = performance.now() - started;
  await db.close();
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
}

function runChild(step: string, store: string, file: string): { ms: number; maxRssKiB: number } {
  // A small V8 heap: a step whose memory grew with the store would fail here rather than pass slowly.
  const run = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, ...TYPESCRIPT_IMPORT, here, '--child', step, store, file],
    { encoding: 'utf8', timeout: 3_600_000 });
  if (run.status !== 0) throw new Error(`backup bench child (${step}) failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ms: number; maxRssKiB: number };
}

export async function benchmarkBackup(payments: number): Promise<BackupBenchRow[]> {
  const source = `backup_bench_${process.pid}`;
  const target = `backup_bench_${process.pid}_restored`;
  const work = mkdtempSync(join(tmpdir(), 'clearhouse-backup-bench-'));
  const sourceUrl = await freshSchemaUrl(databaseBase(), source);
  const targetUrl = await freshSchemaUrl(databaseBase(), target);
  try {
    await generate(sourceUrl, payments);
    const rows: BackupBenchRow[] = [];
    const row = (step: string, measured: { ms: number; maxRssKiB: number }, file: string): void => {
      const seconds = measured.ms / 1000;
      rows.push({ step, payments, seconds: round(seconds), sPerMillion: round(seconds / (payments / 1e6)),
        peakRssMiB: round(measured.maxRssKiB / 1024), fileMiB: round(statSync(file).size / 2 ** 20) });
    };
    const fromPostgres = join(work, 'postgres.gz');
    row('backup (PostgreSQL)', runChild('backup', sourceUrl, fromPostgres), fromPostgres);
    row('restore (PostgreSQL)', runChild('restore', targetUrl, fromPostgres), fromPostgres);
    const pglite = join(work, 'pglite');
    row('restore (PGlite)', runChild('restore', pglite, fromPostgres), fromPostgres);
    const fromPglite = join(work, 'pglite.gz');
    row('backup (PGlite)', runChild('backup', pglite, fromPglite), fromPglite);
    return rows;
  } finally {
    await dropSchema(databaseBase(), source);
    await dropSchema(databaseBase(), target);
    rmSync(work, { recursive: true, force: true });
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

if (process.argv[1] === here) {
  const childIndex = process.argv.indexOf('--child');
  if (childIndex >= 0) await child(process.argv[childIndex + 1]!, process.argv[childIndex + 2]!, process.argv[childIndex + 3]!);
  else {
    const i = process.argv.indexOf('--payments');
    console.table(await benchmarkBackup(i >= 0 ? Number(process.argv[i + 1]) : 200_000));
  }
}
