/**
 * The risk score's cost per payment (docs/performance.md "Risk scoring"), with and without it in the
 * same run, on the embedded store (PGlite) and on PostgreSQL. A payment's transaction "without" is one
 * INSERT of the payment row (the least any intake transaction does); "with" adds the score (one SELECT)
 * and its record (one statement of upserts), as the risk stage will. The payments are the synthetic day
 * of `clearhouse risk evaluate` (seed 1), after its history. On PostgreSQL also with 8 transactions in
 * flight (payments per second), since concurrent payments of one account contend for its rows.
 */
import pg from 'pg';
import { openDatabase, type Database } from '../switch/store/database.ts';
import { migrate } from '../switch/store/migrate.ts';
import { dropSchema, freshSchemaUrl } from '../switch/store/scratch.ts';
import { StatisticsScorer, recordScoringStatistics } from '../switch/risk/statistics.ts';
import { SCORING_DEFAULTS } from '../switch/risk/scoring-config.ts';
import { syntheticDay, type SyntheticPayment } from '../switch/risk/synthetic-day.ts';
import type { PaymentRiskFacts } from '../switch/risk/types.ts';

export interface ScoringBenchRow {
  store: string;
  payments: number;
  inFlight: number;
  withoutMicrosecondsPerPayment: number;
  withMicrosecondsPerPayment: number;
  scoringMicrosecondsPerPayment: number;
  withoutPaymentsPerSecond: number;
  withPaymentsPerSecond: number;
}

const IN_FLIGHT = 8;

function databaseBase(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseBase(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function insertPayment(tx: { query: Database['query'] }, facts: PaymentRiskFacts): Promise<void> {
  await tx.query('INSERT INTO bench_scoring_payments (debtor_account, creditor_account, amount_minor, received_at) VALUES ($1, $2, $3, $4)',
    [facts.debtorAccount, facts.creditorAccount, facts.amount, facts.receivedAt]);
}

/** Runs every payment through `work`, `inFlight` transactions at a time; wall time in ms. */
async function run(payments: readonly SyntheticPayment[], inFlight: number, work: (p: SyntheticPayment) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < payments.length; i = next++) await work(payments[i]!);
  }));
  return performance.now() - started;
}

async function measure(db: Database, store: string, count: number, inFlights: readonly number[]): Promise<ScoringBenchRow[]> {
  await migrate(db);
  await db.query(`CREATE TABLE bench_scoring_payments (id bigserial PRIMARY KEY, debtor_account text, creditor_account text,
    amount_minor bigint NOT NULL, received_at timestamptz NOT NULL)`);
  const day = syntheticDay(1, count);
  for (let i = 0; i < day.history.length; i += 500) {
    const batch = day.history.slice(i, i + 500);
    await db.transaction(async (tx) => { for (const p of batch) await recordScoringStatistics(tx, p.facts); });
  }
  const scorer = new StatisticsScorer({ config: SCORING_DEFAULTS, timeZone: day.timeZone, accountRiskLevel: (_a, account) => day.riskLevels.get(account) });
  const rows: ScoringBenchRow[] = [];
  for (const inFlight of inFlights) {
    // Halves of the day alternate without and with, so that load on the machine weighs on both alike.
    const half = Math.floor(day.payments.length / 2);
    const parts = [day.payments.slice(0, half), day.payments.slice(half)];
    let withoutMs = 0;
    let withMs = 0;
    for (const part of parts) {
      withoutMs += await run(part, inFlight, (p) => db.transaction((tx) => insertPayment(tx, p.facts), { retryable: true }));
      withMs += await run(part, inFlight, (p) => db.transaction(async (tx) => {
        await scorer.score(tx, p.facts);
        await insertPayment(tx, p.facts);
        await scorer.record(tx, p.facts);
      }, { retryable: true }));
    }
    const n = day.payments.length;
    rows.push({
      store, payments: n, inFlight,
      withoutMicrosecondsPerPayment: Math.round((withoutMs * 1000) / n), withMicrosecondsPerPayment: Math.round((withMs * 1000) / n),
      scoringMicrosecondsPerPayment: Math.round(((withMs - withoutMs) * 1000) / n),
      withoutPaymentsPerSecond: Math.round(n / (withoutMs / 1000)), withPaymentsPerSecond: Math.round(n / (withMs / 1000)),
    });
  }
  return rows;
}

export async function benchmarkScoring(quick: boolean): Promise<ScoringBenchRow[]> {
  const count = quick ? 1_000 : 5_000;
  const rows: ScoringBenchRow[] = [];
  const pglite = await openDatabase({});
  try {
    rows.push(...await measure(pglite, 'PGlite (in memory)', count, [1]));
  } finally {
    await pglite.close();
  }
  if (await postgresReachable()) {
    const schema = `bench_scoring_${process.pid}`;
    const db = await openDatabase({ url: await freshSchemaUrl(databaseBase(), schema), poolSize: IN_FLIGHT });
    try {
      rows.push(...await measure(db, 'PostgreSQL', count, [1, IN_FLIGHT]));
    } finally {
      await db.close();
      await dropSchema(databaseBase(), schema);
    }
  }
  return rows;
}
