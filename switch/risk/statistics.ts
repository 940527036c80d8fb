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
