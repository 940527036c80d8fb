/**
 * PostgreSQL CPU of the risk stage's scoring statements alone (docs/performance.md "Risk stage",
 * session 10): the server process's own CPU time (/proc/<pg_backend_pid()>/stat, utime + stime) around
 * each `scoreAll` and `recordAll` of switch/risk/statistics.ts, on a fresh schema of DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres), in two shapes of the risk benchmark
 * (bench/engine.ts `riskChild`):
 *
 *   batch     FILES files of PER_FILE payments, every account new (as the benchmark's batch files);
 *   realtime  GROUPS groups of GROUP payments among 400 debtor → creditor pairs (as the benchmark's real-time
 *             messages), 2,000 payments a second of simulated time.
 *
 * `node --import tsx bench/risk-statements.ts [FILES PER_FILE GROUPS GROUP]` (default 5 2000 300 100).
 *
 * `… bench/risk-statements.ts counters [FILES PER_FILE GROUPS GROUP]`: the daily counters' statements
 * instead (switch/engine/risk.ts), in the same two shapes (a debtor-account, a creditor-account and a
 * participant counter per payment), both ways, alternating: `upsert` locks every counter by an upsert
 * and writes every one back (session 9), `select` locks the existing ones FOR UPDATE, inserts the new
 * ones with their values and writes back the existing ones that moved (session 10, decision 92).
 * CPU time is counted in clock ticks (10 ms): compare totals, not single statements.
 */
import { readFileSync } from 'node:fs';
import { openDatabase, type Database, type Queryable } from '../switch/store/database.ts';
import { migrate } from '../switch/store/migrate.ts';
import { dropSchema, freshSchemaUrl } from '../switch/store/scratch.ts';
import { StatisticsScorer } from '../switch/risk/statistics.ts';
import { SCORING_DEFAULTS } from '../switch/risk/scoring-config.ts';
import type { PaymentRiskFacts } from '../switch/risk/types.ts';

const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function backendCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function payment(debtor: string, creditor: string, amount: bigint, at: Date): PaymentRiskFacts {
  return {
    service: 'realtime', currency: 'EUR', amount, instructingAgent: 'BANKDEFFXXX', debtorAgent: 'BANKDEFFXXX', creditorAgent: 'BANKFRPPXXX',
    debtorAccount: debtor, creditorAccount: creditor, debtor: { name: 'Anna Debtor' }, creditor: { name: 'Claude Creditor' },
    receivedAt: at, businessDate: at.toISOString().slice(0, 10),
  };
}

async function open(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const schema = `riskstmt_${process.pid}`;
  const db = await openDatabase({ url: await freshSchemaUrl(baseUrl, schema), poolSize: 1 });
  await migrate(db);
  return {
    db,
    drop: async () => {
      await db.close();
      await dropSchema(baseUrl, schema);
    },
  };
}

interface Totals { score: number; record: number; payments: number }

async function measure(db: Database, groups: Iterable<PaymentRiskFacts[]>): Promise<Totals> {
  const scorer = new StatisticsScorer({ config: SCORING_DEFAULTS, timeZone: 'Europe/Berlin' });
  const totals: Totals = { score: 0, record: 0, payments: 0 };
  for (const group of groups) {
    await db.transaction(async (tx: Queryable) => {
      const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid') as [{ pid: number }];
      const t0 = backendCpuS(pid);
      await scorer.scoreAll(tx, group);
      const t1 = backendCpuS(pid);
      await scorer.recordAll(tx, group);
      const t2 = backendCpuS(pid);
      totals.score += t1 - t0;
      totals.record += t2 - t1;
      totals.payments += group.length;
    });
  }
  return totals;
}

function* batchFiles(files: number, perFile: number, start: number): Generator<PaymentRiskFacts[]> {
  for (let f = 0; f < files; f++) {
    const at = new Date(start + f * 20_000);
    yield Array.from({ length: perFile }, (_, i) => payment(`DE00B${f}X${i}`, `FR00B${f}X${i}`, BigInt(100 + ((i * 7919) % 500_000)), at));
  }
}

function* realtimeGroups(groups: number, size: number, start: number): Generator<PaymentRiskFacts[]> {
  let n = 0;
  for (let g = 0; g < groups; g++) {
    yield Array.from({ length: size }, () => {
      const k = n % 400;
      const at = new Date(start + Math.floor(n / 2));
      n++;
      return payment(`DE00R${k}`, `FR00R${(k * 7) % 400}`, BigInt(100 + ((n * 7919) % 500_000)), at);
    });
  }
}

type Key = readonly [scope: string, key: string, currency: string];

/** One group's counter statements, `way`: every key the group's payments take, each taking 1 minor unit. */
async function counterStatements(tx: Queryable, way: 'upsert' | 'select', date: string, takes: readonly Key[]): Promise<void> {
  const unique = new Map<string, Key>();
  for (const k of takes) unique.set(k.join('\u0000'), k);
  const sorted = [...unique.values()].sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
  const params = [date, sorted.map((k) => k[0]), sorted.map((k) => k[1]), sorted.map((k) => k[2])];
  const taken = new Map<string, number>();
  for (const k of takes) taken.set(k.join('\u0000'), (taken.get(k.join('\u0000')) ?? 0) + 1);
  const write = (rows: readonly Key[], values: Map<string, { amount: bigint; count: number }>): Promise<unknown> => tx.query(
    `UPDATE risk_counters r SET amount_minor = t.a::bigint, count = t.n
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) AS t(s, k, c, a, n)
      WHERE r.business_date = $6::date AND r.scope = t.s AND r.key = t.k AND r.currency = t.c`,
    [rows.map((k) => k[0]), rows.map((k) => k[1]), rows.map((k) => k[2]), rows.map((k) => values.get(k.join('\u0000'))!.amount.toString()),
      rows.map((k) => values.get(k.join('\u0000'))!.count), date]);
  const values = new Map<string, { amount: bigint; count: number }>();
  if (way === 'upsert') {
    const locked = await tx.query<{ scope: string; key: string; currency: string; amount_minor: bigint; count: number }>(
      `INSERT INTO risk_counters AS r (business_date, scope, key, currency)
       SELECT $1::date, s, k, c FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(s, k, c, n) ORDER BY n
       ON CONFLICT (business_date, scope, key, currency) DO UPDATE SET count = r.count
       RETURNING r.scope, r.key, r.currency, r.amount_minor, r.count`, params);
    for (const r of locked) {
      const id = [r.scope, r.key, r.currency].join('\u0000');
      values.set(id, { amount: BigInt(r.amount_minor) + BigInt(taken.get(id)!), count: Number(r.count) + taken.get(id)! });
    }
    await write(sorted, values);
    return;
  }
  const locked = await tx.query<{ scope: string; key: string; currency: string; amount_minor: bigint; count: number }>(
    `SELECT r.scope, r.key, r.currency, r.amount_minor, r.count
       FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(s, k, c, n)
       JOIN risk_counters r ON r.business_date = $1::date AND r.scope = t.s AND r.key = t.k AND r.currency = t.c
      ORDER BY t.n FOR UPDATE OF r`, params);
  const existing = new Set<string>();
  for (const r of locked) {
    const id = [r.scope, r.key, r.currency].join('\u0000');
    existing.add(id);
    values.set(id, { amount: BigInt(r.amount_minor) + BigInt(taken.get(id)!), count: Number(r.count) + taken.get(id)! });
  }
  const missing = sorted.filter((k) => !existing.has(k.join('\u0000')));
  if (missing.length > 0) {
    await tx.query(
      `INSERT INTO risk_counters (business_date, scope, key, currency, amount_minor, count)
       SELECT $1::date, s, k, c, a::bigint, n FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) WITH ORDINALITY AS t(s, k, c, a, n, o)
        ORDER BY o ON CONFLICT (business_date, scope, key, currency) DO NOTHING RETURNING 1`,
      [date, missing.map((k) => k[0]), missing.map((k) => k[1]), missing.map((k) => k[2]), missing.map((k) => String(taken.get(k.join('\u0000'))!)),
        missing.map((k) => taken.get(k.join('\u0000'))!)]);
  }
  await write(sorted.filter((k) => existing.has(k.join('\u0000'))), values);
}

async function measureCounters(db: Database, way: 'upsert' | 'select', groups: Iterable<PaymentRiskFacts[]>): Promise<{ cpuS: number; payments: number }> {
  const totals = { cpuS: 0, payments: 0 };
  for (const group of groups) {
    await db.transaction(async (tx: Queryable) => {
      const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid') as [{ pid: number }];
      const t0 = backendCpuS(pid);
      await counterStatements(tx, way, '2026-11-26', group.flatMap((f): Key[] => [['debtor-account', `${f.debtorAgent}/${f.debtorAccount}`, f.currency],
        ['creditor-account', `${f.creditorAgent}/${f.creditorAccount}`, f.currency], ['participant', `${f.debtorAgent.slice(0, 4)}${group.indexOf(f) % 20}`, f.currency]]));
      totals.cpuS += backendCpuS(pid) - t0;
      totals.payments += group.length;
    });
  }
  return totals;
}

const countersMode = process.argv[2] === 'counters';
const [files = 5, perFile = 2000, groups = 300, size = 100] = process.argv.slice(countersMode ? 3 : 2).map(Number);
if (countersMode) {
  const start = Date.parse('2026-11-26T08:00:00Z');
  const perPayment = (t: { cpuS: number; payments: number }): string => `${(t.cpuS * 1e6 / t.payments).toFixed(1)} µs/payment (${t.cpuS.toFixed(2)} s)`;
  for (const way of ['upsert', 'select', 'upsert', 'select'] as const) {
    const { db, drop } = await open();
    try {
      const b = await measureCounters(db, way, batchFiles(files, perFile, start));
      const r = await measureCounters(db, way, realtimeGroups(groups, size, start));
      console.log(`counters by ${way}: batch ${files} × ${perFile} (new accounts) ${perPayment(b)}; realtime ${groups} × ${size} (400 pairs) ${perPayment(r)}`);
    } finally {
      await drop();
    }
  }
  process.exit(0);
}
const { db, drop } = await open();
try {
  const start = Date.parse('2026-11-26T08:00:00Z');
  const round = (s: number, n: number): string => `${(s * 1000 / n * 1000).toFixed(1)} µs/payment (${s.toFixed(2)} s)`;
  const b = await measure(db, batchFiles(files, perFile, start));
  console.log(`batch ${files} × ${perFile}, new accounts: score ${round(b.score, b.payments)}, record ${round(b.record, b.payments)}`);
  const r = await measure(db, realtimeGroups(groups, size, start + 3_600_000));
  console.log(`realtime ${groups} × ${size}, 400 pairs: score ${round(r.score, r.payments)}, record ${round(r.record, r.payments)}`);
  console.log(JSON.stringify({ batch: b, realtime: r }));
} finally {
  await drop();
}
