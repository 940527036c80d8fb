/**
 * The Scorer port over the store (docs/risk.md "Scoring"): the statistics the features need, kept
 * incrementally in the database (migration 018) and read in the payment's own transaction. Per payment
 * scoring is one indexed SELECT and recording is one statement of upserts (data-modifying CTEs), so a
 * payment costs two round trips; every counter moves by `x = x + 1` on the row the upsert locked, so
 * payments recorded concurrently, in any number of processes, are all counted, and a pair paid twice at
 * once is one new debtor (its row is created once). The same SQL runs on PostgreSQL and PGlite.
 */
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';
import { packColumn, unpackedColumn as u } from '../store/packed-columns.ts';
import type { PaymentRiskFacts, RiskLevel, RiskScore, Scorer } from './types.ts';
import type { ScoringConfig } from './scoring-config.ts';
import { accountKey, logAmount, scorePayment, type AccountRiskLevels, type ScoringStatistics } from './scoring.ts';

/** The risk level of an account from reference data (the stage's profiles); undefined: not known. */
export type AccountRiskLevelLookup = (agent: string, account: string) => RiskLevel | undefined | Promise<RiskLevel | undefined>;

export interface StatisticsScorerOptions {
  readonly config: ScoringConfig;
  /** The scheme's time zone (calendar.timeZone): usual hours are local there. */
  readonly timeZone: string;
  readonly accountRiskLevel?: AccountRiskLevelLookup;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The scorer the risk stage calls: score before the payment is accepted, record once it is. */
export class StatisticsScorer implements Scorer {
  constructor(private readonly options: StatisticsScorerOptions) {}

  async score(tx: Queryable, facts: PaymentRiskFacts): Promise<RiskScore> {
    const [statistics, levels] = await Promise.all([readScoringStatistics(tx, facts), this.levels(facts)]);
    return scorePayment(facts, statistics, levels, this.options.config, this.options.timeZone);
  }

  record(tx: Queryable, facts: PaymentRiskFacts): Promise<void> {
    return recordScoringStatistics(tx, facts);
  }

  /** The scores of a real-time group's or a batch file's payments, each against the statistics before them all: one statement. */
  async scoreAll(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<RiskScore[]> {
    const [statistics, levels] = await Promise.all([readScoringStatisticsAll(tx, facts), Promise.all(facts.map((f) => this.levels(f)))]);
    return facts.map((f, i) => scorePayment(f, statistics[i]!, levels[i]!, this.options.config, this.options.timeZone));
  }

  /** Record the accepted payments of a group or file, in their order: one statement. */
  recordAll(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<void> {
    return recordScoringStatisticsAll(tx, facts);
  }

  private async levels(facts: PaymentRiskFacts): Promise<AccountRiskLevels> {
    // The stage gives the levels it found (profiles, else its default); a lookup is for callers without a stage.
    if (facts.debtorRiskLevel !== undefined || facts.creditorRiskLevel !== undefined) {
      return { ...(facts.debtorRiskLevel === undefined ? {} : { debtor: facts.debtorRiskLevel }),
        ...(facts.creditorRiskLevel === undefined ? {} : { creditor: facts.creditorRiskLevel }) };
    }
    const lookup = this.options.accountRiskLevel;
    if (lookup === undefined) return {};
    const [debtor, creditor] = await Promise.all([
      facts.debtorAccount === undefined ? undefined : lookup(facts.debtorAgent, facts.debtorAccount),
      facts.creditorAccount === undefined ? undefined : lookup(facts.creditorAgent, facts.creditorAccount),
    ]);
    return { ...(debtor === undefined ? {} : { debtor }), ...(creditor === undefined ? {} : { creditor }) };
  }
}

function keys(facts: PaymentRiskFacts): { debtor: string | null; creditor: string | null } {
  return {
    debtor: facts.debtorAccount === undefined ? null : accountKey(facts.debtorAgent, facts.debtorAccount),
    creditor: facts.creditorAccount === undefined ? null : accountKey(facts.creditorAgent, facts.creditorAccount),
  };
}

function bucketStart(at: Date, widthMs: number): Date {
  return new Date(Math.floor(at.getTime() / widthMs) * widthMs);
}

interface StatisticsRow {
  payment_count: bigint | null;
  log_amount_mean: number | null;
  log_amount_m2: number | null;
  pair_first_seen_at: Date | null;
  creditor_first_seen_at: Date | null;
  payments_last_hour: bigint | number | null;
  payments_last_day: bigint | number | null;
  new_debtors_last_day: bigint | number | null;
}

/**
 * The statistics of the payment's accounts as they stand before it, in one statement: the debtor's
 * Welford row, the pair's and creditor's first payments, and sums over at most 288 velocity and 24
 * fan-in buckets, each read by its primary key's range.
 */
export async function readScoringStatistics(tx: Queryable, facts: PaymentRiskFacts): Promise<ScoringStatistics> {
  const { debtor, creditor } = keys(facts);
  const at = facts.receivedAt;
  const velocityBucket = bucketStart(at, limits.scoring.velocityBucketMs).getTime();
  const fanInBucket = bucketStart(at, limits.scoring.fanInBucketMs).getTime();
  const [row] = await tx.query<StatisticsRow>(`
    SELECT d.payment_count, d.log_amount_mean, d.log_amount_m2,
      (SELECT first_seen_at FROM scoring_account_pairs WHERE debtor_account = $1 AND creditor_account = $2) AS pair_first_seen_at,
      (SELECT first_seen_at FROM scoring_creditor_accounts WHERE creditor_account = $2) AS creditor_first_seen_at,
      v.payments_last_hour, v.payments_last_day,
      (SELECT coalesce(sum(debtor_count), 0) FROM scoring_creditor_new_debtors
        WHERE creditor_account = $2 AND bucket_start > $7 AND bucket_start <= $4) AS new_debtors_last_day
    FROM (SELECT coalesce(sum(payment_count) FILTER (WHERE bucket_start > $5), 0) AS payments_last_hour,
        coalesce(sum(payment_count), 0) AS payments_last_day
      FROM scoring_debtor_velocity WHERE debtor_account = $1 AND bucket_start > $6 AND bucket_start <= $4) AS v
    LEFT JOIN scoring_debtor_amounts d ON d.debtor_account = $1 AND d.currency = $3`,
  [debtor, creditor, facts.currency, at, new Date(velocityBucket - HOUR_MS), new Date(velocityBucket - DAY_MS), new Date(fanInBucket - DAY_MS)]);
  if (row === undefined) throw new Error('readScoringStatistics: the statement returned no row');
  return statisticsOf(row);
}

function statisticsOf(row: StatisticsRow): ScoringStatistics {
  return {
    ...(row.payment_count === null ? {} : {
      debtorHistory: { count: Number(row.payment_count), logAmountMean: Number(row.log_amount_mean), logAmountM2: Number(row.log_amount_m2) },
    }),
    debtorPaymentsLastHour: Number(row.payments_last_hour ?? 0),
    debtorPaymentsLastDay: Number(row.payments_last_day ?? 0),
    ...(row.pair_first_seen_at === null ? {} : { pairFirstSeenAt: new Date(row.pair_first_seen_at) }),
    creditorNewDebtorsLastDay: Number(row.new_debtors_last_day ?? 0),
    ...(row.creditor_first_seen_at === null ? {} : { creditorFirstSeenAt: new Date(row.creditor_first_seen_at) }),
  };
}

/**
 * readScoringStatistics for many payments in one statement (the same SQL, over `unnest` of the
 * payments' keys and windows): each row as that payment alone would read it in the same snapshot.
 */
export async function readScoringStatisticsAll(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<ScoringStatistics[]> {
  if (facts.length === 0) return [];
  // Per payment its two keys, currency, receivedAt and the windows' starts, as the statement for one
  // payment computes them (bucketStart), in epoch milliseconds: a number is sent as its digits, a Date as
  // a formatted local time. ms / 1000.0 is within 1e-7 s of the exact second, so to_timestamp's rounding
  // to the microsecond gives back the very instant (both stores).
  const columns = { debtor: [] as (string | null)[], creditor: [] as (string | null)[], currency: [] as string[], at: [] as number[],
    hour: [] as number[], day: [] as number[], fanIn: [] as number[] };
  const velocityWidth = limits.scoring.velocityBucketMs;
  const fanInWidth = limits.scoring.fanInBucketMs;
  for (const f of facts) {
    const at = f.receivedAt.getTime();
    // bucketStart's arithmetic on the epoch milliseconds (no Date made per payment).
    const velocityBucket = Math.floor(at / velocityWidth) * velocityWidth;
    columns.debtor.push(f.debtorAccount === undefined ? null : accountKey(f.debtorAgent, f.debtorAccount));
    columns.creditor.push(f.creditorAccount === undefined ? null : accountKey(f.creditorAgent, f.creditorAccount));
    columns.currency.push(f.currency);
    columns.at.push(at);
    columns.hour.push(velocityBucket - HOUR_MS);
    columns.day.push(velocityBucket - DAY_MS);
    columns.fanIn.push(Math.floor(at / fanInWidth) * fanInWidth - DAY_MS);
  }
  // The debtor's velocity buckets of the last day read once for both windows (one range scan, not two).
  const rows = await tx.query<StatisticsRow & { n: bigint | number }>(`
    SELECT q.n, d.payment_count, d.log_amount_mean, d.log_amount_m2,
      (SELECT first_seen_at FROM scoring_account_pairs WHERE debtor_account = q.debtor AND creditor_account = q.creditor) AS pair_first_seen_at,
      (SELECT first_seen_at FROM scoring_creditor_accounts WHERE creditor_account = q.creditor) AS creditor_first_seen_at,
      v.payments_last_hour, v.payments_last_day,
      (SELECT coalesce(sum(debtor_count), 0) FROM scoring_creditor_new_debtors
        WHERE creditor_account = q.creditor AND bucket_start > q.fan_in_from AND bucket_start <= q.at) AS new_debtors_last_day
    FROM (SELECT u.debtor, u.creditor, u.currency, u.n, to_timestamp(u.ms / 1000.0) AS at, to_timestamp(u.hour_ms / 1000.0) AS hour_from,
            to_timestamp(u.day_ms / 1000.0) AS day_from, to_timestamp(u.fan_in_ms / 1000.0) AS fan_in_from
          FROM unnest(${u('$1', 'text')}, ${u('$2', 'text')}, ${u('$3', 'text')}, ${u('$4', 'float8')}, ${u('$5', 'float8')},
                      ${u('$6', 'float8')}, ${u('$7', 'float8')})
               WITH ORDINALITY AS u(debtor, creditor, currency, ms, hour_ms, day_ms, fan_in_ms, n)) AS q
    CROSS JOIN LATERAL (SELECT coalesce(sum(payment_count) FILTER (WHERE bucket_start > q.hour_from), 0) AS payments_last_hour,
        coalesce(sum(payment_count), 0) AS payments_last_day
      FROM scoring_debtor_velocity WHERE debtor_account = q.debtor AND bucket_start > q.day_from AND bucket_start <= q.at) AS v
    LEFT JOIN scoring_debtor_amounts d ON d.debtor_account = q.debtor AND d.currency = q.currency`,
  [packColumn(columns.debtor), packColumn(columns.creditor), packColumn(columns.currency), packColumn(columns.at), packColumn(columns.hour),
    packColumn(columns.day), packColumn(columns.fanIn)]);
  const out: ScoringStatistics[] = new Array<ScoringStatistics>(facts.length);
  for (const row of rows) out[Number(row.n) - 1] = statisticsOf(row);
  return out;
}

/** A debtor account's Welford in one currency over a group's payments (in their order), its first and last payment (epoch ms). */
interface AmountRecord { readonly currency: string; n: number; mean: number; m2: number; first: number; last: number }

/**
 * A debtor account's part of a group's record: its Welford per currency, its payments per velocity
 * bucket, and the creditor accounts it paid (each with its first payment in the group's order). A
 * group holds one currency and one bucket per account almost always (a batch file's payments share
 * their receipt), so those are short lists searched in place (at most the scheme's currencies, and the
 * 5-minute buckets the group's times span); the creditors after the first in a Map.
 */
interface DebtorRecord {
  readonly debtor: string;
  readonly amounts: AmountRecord[];
  readonly buckets: { readonly start: number; n: number }[];
  creditor: string | undefined;
  creditorAt: number;
  moreCreditors: Map<string, number> | undefined;
}

/** recordScoringStatisticsAll's parameters: each column packed (packColumn), in the order the statement's rows are locked in. */
interface RecordColumns {
  readonly amountDebtor: string; readonly amountCurrency: string; readonly amountCount: string; readonly amountMean: string;
  readonly amountM2: string; readonly amountFirst: string; readonly amountLast: string;
  readonly velocityDebtor: string; readonly velocityBucket: string; readonly velocityCount: string;
  readonly debtors: string;
  readonly pairDebtor: string; readonly pairCreditor: string; readonly pairAt: string;
  readonly creditors: string; readonly creditorAt: string;
  /** The group's latest payment (epoch ms): the retention is counted back from it. */
  readonly latestMs: number;
}

/**
 * The record's columns for a group, in one pass over its payments and one sort of its debtor accounts,
 * times as epoch milliseconds throughout (no Date per payment, no key string built per look-up: the
 * accounts' own keys are the maps' keys). Amount and velocity rows come in (debtor, currency) and (debtor,
 * bucket) order, so two groups upserting the same rows lock them in the same order; pairs in debtor order.
 */
function recordColumns(facts: readonly PaymentRiskFacts[]): RecordColumns {
  const velocityWidth = limits.scoring.velocityBucketMs;
  const byDebtor = new Map<string, DebtorRecord>();
  const creditorFirst = new Map<string, number>();
  let latestMs = facts[0]!.receivedAt.getTime();
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const at = f.receivedAt.getTime();
    if (at > latestMs) latestMs = at;
    const creditor = f.creditorAccount === undefined ? null : accountKey(f.creditorAgent, f.creditorAccount);
    if (creditor !== null && !creditorFirst.has(creditor)) creditorFirst.set(creditor, at);
    if (f.debtorAccount === undefined) continue;
    const debtor = accountKey(f.debtorAgent, f.debtorAccount);
    let d = byDebtor.get(debtor);
    if (d === undefined) {
      d = { debtor, amounts: [], buckets: [], creditor: undefined, creditorAt: 0, moreCreditors: undefined };
      byDebtor.set(debtor, d);
    }
    const x = logAmount(f.amount);
    let a: AmountRecord | undefined;
    for (const candidate of d.amounts) if (candidate.currency === f.currency) a = candidate;
    if (a === undefined) d.amounts.push({ currency: f.currency, n: 1, mean: x, m2: 0, first: at, last: at });
    else {
      // Welford, as recordScoringStatistics's SQL computes it.
      const delta = x - a.mean;
      a.n += 1;
      a.m2 = a.m2 + delta * (delta - delta / a.n);
      a.mean = a.mean + delta / a.n;
      if (at < a.first) a.first = at;
      if (at > a.last) a.last = at;
    }
    const start = Math.floor(at / velocityWidth) * velocityWidth;
    // Searched from the newest: a group's times move forward.
    let bucket: { readonly start: number; n: number } | undefined;
    for (let k = d.buckets.length - 1; k >= 0 && bucket === undefined; k--) if (d.buckets[k]!.start === start) bucket = d.buckets[k];
    if (bucket === undefined) d.buckets.push({ start, n: 1 });
    else bucket.n += 1;
    if (creditor === null || creditor === d.creditor) continue;
    if (d.creditor === undefined) {
      d.creditor = creditor;
      d.creditorAt = at;
    } else if (d.moreCreditors === undefined) d.moreCreditors = new Map([[creditor, at]]);
    else if (!d.moreCreditors.has(creditor)) d.moreCreditors.set(creditor, at);
  }
  const debtors = [...byDebtor.values()].sort((x, y) => (x.debtor < y.debtor ? -1 : x.debtor > y.debtor ? 1 : 0));
  const amount = { debtor: [] as string[], currency: [] as string[], n: [] as number[], mean: [] as number[], m2: [] as number[],
    first: [] as number[], last: [] as number[] };
  const velocity = { debtor: [] as string[], bucket: [] as number[], n: [] as number[] };
  const pair = { debtor: [] as string[], creditor: [] as string[], at: [] as number[] };
  for (const d of debtors) {
    if (d.amounts.length > 1) d.amounts.sort((x, y) => (x.currency < y.currency ? -1 : x.currency > y.currency ? 1 : 0));
    for (const a of d.amounts) {
      amount.debtor.push(d.debtor);
      amount.currency.push(a.currency);
      amount.n.push(a.n);
      amount.mean.push(a.mean);
      amount.m2.push(a.m2);
      amount.first.push(a.first);
      amount.last.push(a.last);
    }
    if (d.buckets.length > 1) d.buckets.sort((x, y) => x.start - y.start);
    for (const b of d.buckets) {
      velocity.debtor.push(d.debtor);
      velocity.bucket.push(b.start);
      velocity.n.push(b.n);
    }
    if (d.creditor === undefined) continue;
    pair.debtor.push(d.debtor);
    pair.creditor.push(d.creditor);
    pair.at.push(d.creditorAt);
    if (d.moreCreditors !== undefined) {
      for (const [creditor, at] of d.moreCreditors) {
        pair.debtor.push(d.debtor);
        pair.creditor.push(creditor);
        pair.at.push(at);
      }
    }
  }
  return {
    amountDebtor: packColumn(amount.debtor), amountCurrency: packColumn(amount.currency), amountCount: packColumn(amount.n),
    amountMean: packColumn(amount.mean), amountM2: packColumn(amount.m2), amountFirst: packColumn(amount.first), amountLast: packColumn(amount.last),
    velocityDebtor: packColumn(velocity.debtor), velocityBucket: packColumn(velocity.bucket), velocityCount: packColumn(velocity.n),
    debtors: packColumn(debtors.map((d) => d.debtor)),
    pairDebtor: packColumn(pair.debtor), pairCreditor: packColumn(pair.creditor), pairAt: packColumn(pair.at),
    creditors: packColumn([...creditorFirst.keys()]), creditorAt: packColumn([...creditorFirst.values()]),
    latestMs,
  };
}

/**
 * Add accepted payments to the statistics, in the caller's transaction, in one statement with the same
 * effect as recordScoringStatistics for each in turn: per debtor account and currency the group's own
 * Welford (count, mean, M2), computed here in the payments' order, merged into the stored row on the row
 * the upsert locked (Chan et al.'s combination; for one payment it is the very arithmetic of
 * recordScoringStatistics, so the stored values are bit for bit the same; for several payments of one
 * account in one group they agree to rounding, about 1e-15 relative); velocity buckets incremented by the
 * group's count; each new pair inserted once (at its first payment) and counted once in its creditor's
 * new-debtor bucket; each creditor's first payment noted; the accounts' buckets older than the
 * retention before the group's latest payment deleted.
 */
export async function recordScoringStatisticsAll(tx: Queryable, facts: readonly PaymentRiskFacts[]): Promise<void> {
  if (facts.length === 0) return;
  const columns = recordColumns(facts);
  await tx.query(`
    WITH amounts AS (
      INSERT INTO scoring_debtor_amounts AS s (debtor_account, currency, payment_count, log_amount_mean, log_amount_m2, first_seen_at, last_seen_at)
      SELECT d, c, n, m, q, to_timestamp(f / 1000.0), to_timestamp(l / 1000.0)
        FROM unnest(${u('$1', 'text')}, ${u('$2', 'text')}, ${u('$3', 'int')}, ${u('$4', 'float8')}, ${u('$5', 'float8')}, ${u('$6', 'float8')},
                    ${u('$7', 'float8')})
        WITH ORDINALITY AS t(d, c, n, m, q, f, l, o) ORDER BY o
      ON CONFLICT (debtor_account, currency) DO UPDATE SET
        payment_count = s.payment_count + EXCLUDED.payment_count,
        log_amount_mean = s.log_amount_mean + (EXCLUDED.log_amount_mean - s.log_amount_mean) * EXCLUDED.payment_count
          / (s.payment_count + EXCLUDED.payment_count),
        log_amount_m2 = s.log_amount_m2 + EXCLUDED.log_amount_m2 + (EXCLUDED.log_amount_mean - s.log_amount_mean)
          * ((EXCLUDED.log_amount_mean - s.log_amount_mean) - (EXCLUDED.log_amount_mean - s.log_amount_mean) * EXCLUDED.payment_count
            / (s.payment_count + EXCLUDED.payment_count)) * EXCLUDED.payment_count,
        first_seen_at = least(s.first_seen_at, EXCLUDED.first_seen_at),
        last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
      RETURNING 1
    ), velocity AS (
      INSERT INTO scoring_debtor_velocity AS v (debtor_account, bucket_start, payment_count)
      SELECT d, to_timestamp(b / 1000.0), n FROM unnest(${u('$8', 'text')}, ${u('$9', 'float8')}, ${u('$10', 'int')}) WITH ORDINALITY AS t(d, b, n, o) ORDER BY o
      ON CONFLICT (debtor_account, bucket_start) DO UPDATE SET payment_count = v.payment_count + EXCLUDED.payment_count
      RETURNING 1
    ), velocity_pruned AS (
      DELETE FROM scoring_debtor_velocity WHERE debtor_account = ANY(${u('$11', 'text')}) AND bucket_start < $18 RETURNING 1
    ), pair AS (
      INSERT INTO scoring_account_pairs (debtor_account, creditor_account, first_seen_at)
      SELECT d, c, to_timestamp(f / 1000.0) FROM unnest(${u('$12', 'text')}, ${u('$13', 'text')}, ${u('$14', 'float8')}) AS t(d, c, f)
      ON CONFLICT (debtor_account, creditor_account) DO NOTHING
      RETURNING creditor_account, first_seen_at
    ), fan_in AS (
      -- Each new pair's fan-in bucket from its first payment as inserted (epoch seconds are exact in
      -- numeric, so this is bucketStart's floor to the bucket width, as the one-by-one record sends it).
      INSERT INTO scoring_creditor_new_debtors AS f (creditor_account, bucket_start, debtor_count)
      SELECT creditor_account, to_timestamp(b), count(*)
        FROM (SELECT creditor_account, floor(extract(epoch FROM first_seen_at) / $15::numeric) * $15::numeric AS b FROM pair) AS t
       GROUP BY creditor_account, b ORDER BY creditor_account, b
      ON CONFLICT (creditor_account, bucket_start) DO UPDATE SET debtor_count = f.debtor_count + EXCLUDED.debtor_count
      RETURNING 1
    ), fan_in_pruned AS (
      DELETE FROM scoring_creditor_new_debtors WHERE creditor_account = ANY(${u('$16', 'text')}) AND bucket_start < $18 RETURNING 1
    ), creditor AS (
      INSERT INTO scoring_creditor_accounts (creditor_account, first_seen_at)
      SELECT c, to_timestamp(f / 1000.0) FROM unnest(${u('$16', 'text')}, ${u('$17', 'float8')}) AS t(c, f)
      ON CONFLICT (creditor_account) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM amounts) + (SELECT count(*) FROM velocity) + (SELECT count(*) FROM velocity_pruned)
      + (SELECT count(*) FROM fan_in) + (SELECT count(*) FROM fan_in_pruned) + (SELECT count(*) FROM creditor) AS changed`,
  [columns.amountDebtor, columns.amountCurrency, columns.amountCount, columns.amountMean, columns.amountM2, columns.amountFirst, columns.amountLast,
    columns.velocityDebtor, columns.velocityBucket, columns.velocityCount, columns.debtors,
    columns.pairDebtor, columns.pairCreditor, columns.pairAt, limits.scoring.fanInBucketMs / 1000,
    columns.creditors, columns.creditorAt, new Date(columns.latestMs - limits.scoring.bucketRetentionMs)]);
}

/**
 * Add an accepted payment to the statistics, in the caller's transaction, in one statement: Welford's
 * update of the debtor's mean and M2 of ln(amount) computed on the row the upsert locked; the velocity
 * bucket incremented; the pair inserted once, and only when it is new, the creditor's new-debtor
 * bucket incremented; the creditor's first payment noted; and the two accounts' buckets older than
 * limits.scoring.bucketRetentionMs deleted (so an account's bucket rows stay bounded while it is active).
 */
export async function recordScoringStatistics(tx: Queryable, facts: PaymentRiskFacts): Promise<void> {
  const { debtor, creditor } = keys(facts);
  const at = facts.receivedAt;
  await tx.query(`
    WITH amounts AS (
      INSERT INTO scoring_debtor_amounts AS s (debtor_account, currency, payment_count, log_amount_mean, log_amount_m2, first_seen_at, last_seen_at)
      SELECT $1, $3, 1, $4, 0, $5, $5 WHERE $1::text IS NOT NULL
      ON CONFLICT (debtor_account, currency) DO UPDATE SET
        payment_count = s.payment_count + 1,
        log_amount_mean = s.log_amount_mean + (EXCLUDED.log_amount_mean - s.log_amount_mean) / (s.payment_count + 1),
        log_amount_m2 = s.log_amount_m2 + (EXCLUDED.log_amount_mean - s.log_amount_mean)
          * ((EXCLUDED.log_amount_mean - s.log_amount_mean) - (EXCLUDED.log_amount_mean - s.log_amount_mean) / (s.payment_count + 1)),
        first_seen_at = least(s.first_seen_at, EXCLUDED.first_seen_at),
        last_seen_at = greatest(s.last_seen_at, EXCLUDED.last_seen_at)
      RETURNING 1
    ), velocity AS (
      INSERT INTO scoring_debtor_velocity AS v (debtor_account, bucket_start, payment_count)
      SELECT $1, $6, 1 WHERE $1::text IS NOT NULL
      ON CONFLICT (debtor_account, bucket_start) DO UPDATE SET payment_count = v.payment_count + 1
      RETURNING 1
    ), velocity_pruned AS (
      DELETE FROM scoring_debtor_velocity WHERE debtor_account = $1 AND bucket_start < $8 RETURNING 1
    ), pair AS (
      INSERT INTO scoring_account_pairs (debtor_account, creditor_account, first_seen_at)
      SELECT $1, $2, $5 WHERE $1::text IS NOT NULL AND $2::text IS NOT NULL
      ON CONFLICT (debtor_account, creditor_account) DO NOTHING
      RETURNING creditor_account
    ), fan_in AS (
      INSERT INTO scoring_creditor_new_debtors AS f (creditor_account, bucket_start, debtor_count)
      SELECT creditor_account, $7, 1 FROM pair
      ON CONFLICT (creditor_account, bucket_start) DO UPDATE SET debtor_count = f.debtor_count + 1
      RETURNING 1
    ), fan_in_pruned AS (
      DELETE FROM scoring_creditor_new_debtors WHERE creditor_account = $2 AND bucket_start < $8 RETURNING 1
    ), creditor AS (
      INSERT INTO scoring_creditor_accounts (creditor_account, first_seen_at)
      SELECT $2, $5 WHERE $2::text IS NOT NULL
      ON CONFLICT (creditor_account) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM amounts) + (SELECT count(*) FROM velocity) + (SELECT count(*) FROM velocity_pruned)
      + (SELECT count(*) FROM fan_in) + (SELECT count(*) FROM fan_in_pruned) + (SELECT count(*) FROM creditor) AS changed`,
  [debtor, creditor, facts.currency, logAmount(facts.amount), at,
    bucketStart(at, limits.scoring.velocityBucketMs), bucketStart(at, limits.scoring.fanInBucketMs),
    new Date(at.getTime() - limits.scoring.bucketRetentionMs)]);
}

/**
 * Delete every velocity and fan-in bucket older than limits.scoring.bucketRetentionMs before `now`,
 * whatever its account: run at the business-day roll, it bounds the tables by the accounts active in
 * the last day (an account's own old buckets also go whenever it is recorded). Returns the rows deleted.
 */
export async function pruneScoringBuckets(tx: Queryable, now: Date): Promise<number> {
  const before = new Date(now.getTime() - limits.scoring.bucketRetentionMs);
  const [row] = await tx.query<{ deleted: bigint }>(`
    WITH velocity AS (DELETE FROM scoring_debtor_velocity WHERE bucket_start < $1 RETURNING 1),
      fan_in AS (DELETE FROM scoring_creditor_new_debtors WHERE bucket_start < $1 RETURNING 1)
    SELECT (SELECT count(*) FROM velocity) + (SELECT count(*) FROM fan_in) AS deleted`, [before]);
  return Number(row?.deleted ?? 0n);
}
