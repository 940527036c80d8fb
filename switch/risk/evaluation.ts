/**
 * `clearhouse risk evaluate` (docs/risk.md "Scoring"): a seeded synthetic day with labelled fraud
 * (switch/risk/synthetic-day.ts) run through the StatisticsScorer on a store, as the risk stage would:
 * each payment scored and, when it passes, recorded, in one transaction of its own. Reports
 * precision and recall at the hold and reject thresholds, recall per kind of fraud, and the cost per
 * payment with the store. Everything but the timings is deterministic per seed and size.
 */
import { createHash } from 'node:crypto';
import { limits } from '../limits.ts';
import type { Database } from '../store/database.ts';
import { scoreBand } from './scoring.ts';
import type { ScoringConfig } from './scoring-config.ts';
import { StatisticsScorer, recordScoringStatistics } from './statistics.ts';
import { FRAUD_KINDS, syntheticDay, type FraudKind, type SyntheticPayment } from './synthetic-day.ts';
import type { RiskScore } from './types.ts';

export interface EvaluationOptions {
  readonly seed: number;
  readonly payments: number;
  readonly config: ScoringConfig;
  /** Called with every payment of the day and its score, in order (e.g. to list the misses). */
  readonly observe?: (payment: SyntheticPayment, score: RiskScore) => void;
}

export interface ThresholdResult {
  readonly threshold: number;
  readonly flagged: number;
  readonly truePositives: number;
  /** flagged fraud / flagged (1 when nothing is flagged). */
  readonly precision: number;
  /** flagged fraud / fraud. */
  readonly recall: number;
}

export interface EvaluationReport {
  readonly seed: number;
  readonly payments: number;
  readonly fraud: number;
  readonly historyPayments: number;
  readonly hold: ThresholdResult;
  readonly reject: ThresholdResult;
  /** Per kind of fraud: its payments and the share flagged at the hold threshold. */
  readonly byKind: Readonly<Record<FraudKind, { readonly payments: number; readonly recallAtHold: number }>>;
  /** Which feature contributed most, over the payments flagged at hold. */
  readonly topFeatureWhenFlagged: Readonly<Record<string, number>>;
  /** SHA-256 of every score in order: equal for equal seeds, sizes and configurations. */
  readonly scoresDigest: string;
  /** Mean wall time per payment of its transaction (score + record), and of score alone and record alone, in µs. */
  readonly costMicrosecondsPerPayment: { readonly total: number; readonly score: number; readonly record: number };
  readonly store: Database['kind'];
}

/** Payments of history recorded per transaction: the warm-up is not what is measured. */
const HISTORY_BATCH = 500;

export async function evaluateScoring(db: Database, options: EvaluationOptions): Promise<EvaluationReport> {
  if (!Number.isInteger(options.payments) || options.payments < 100 || options.payments > limits.scoring.evaluatePaymentsMax) {
    throw new RangeError(`payments: a whole number from 100 to ${limits.scoring.evaluatePaymentsMax} is required`);
  }
  const day = syntheticDay(options.seed, options.payments);
  const scorer = new StatisticsScorer({ config: options.config, timeZone: day.timeZone, accountRiskLevel: (_agent, account) => day.riskLevels.get(account) });
  for (let i = 0; i < day.history.length; i += HISTORY_BATCH) {
    const batch = day.history.slice(i, i + HISTORY_BATCH);
    await db.transaction(async (tx) => { for (const p of batch) await recordScoringStatistics(tx, p.facts); });
  }
  const digest = createHash('sha256');
  const scores: number[] = [];
  const top: Record<string, number> = {};
  let scoreMs = 0;
  let recordMs = 0;
  const started = performance.now();
  for (const p of day.payments) {
    const score = await db.transaction(async (tx) => {
      const t0 = performance.now();
      const result = await scorer.score(tx, p.facts);
      const t1 = performance.now();
      // Recorded once accepted: a passed payment now; a held one only when an operator releases it, which
      // this replay does not simulate (so a burst of stolen payments cannot become its own baseline).
      if (scoreBand(result.score, options.config) === 'pass') await scorer.record(tx, p.facts);
      scoreMs += t1 - t0;
      recordMs += performance.now() - t1;
      return result;
    });
    scores.push(score.score);
    options.observe?.(p, score);
    digest.update(`${score.score};`);
    if (score.score >= options.config.holdThreshold) top[score.features[0]!.name] = (top[score.features[0]!.name] ?? 0) + 1;
  }
  const totalMs = performance.now() - started;
  const n = day.payments.length;
  const at = (threshold: number): ThresholdResult => {
    let flagged = 0;
    let truePositives = 0;
    day.payments.forEach((p, i) => {
      if (scores[i]! >= threshold) {
        flagged++;
        if (p.fraud !== undefined) truePositives++;
      }
    });
    const fraud = day.payments.filter((p) => p.fraud !== undefined).length;
    return { threshold, flagged, truePositives, precision: ratio(truePositives, flagged, 1), recall: ratio(truePositives, fraud, 1) };
  };
  const byKind = Object.fromEntries(FRAUD_KINDS.map((kind) => {
    const indices = day.payments.flatMap((p, i) => (p.fraud === kind ? [i] : []));
    const caught = indices.filter((i) => scores[i]! >= options.config.holdThreshold).length;
    return [kind, { payments: indices.length, recallAtHold: ratio(caught, indices.length, 1) }];
  })) as EvaluationReport['byKind'];
  return {
    seed: options.seed, payments: n, fraud: day.payments.filter((p) => p.fraud !== undefined).length, historyPayments: day.history.length,
    hold: at(options.config.holdThreshold), reject: at(options.config.rejectThreshold), byKind, topFeatureWhenFlagged: top,
    scoresDigest: digest.digest('hex'),
    costMicrosecondsPerPayment: { total: micro(totalMs / n), score: micro(scoreMs / n), record: micro(recordMs / n) },
    store: db.kind,
  };
}

function ratio(part: number, whole: number, empty: number): number {
  return whole === 0 ? empty : Math.round((part / whole) * 1000) / 1000;
}

function micro(ms: number): number {
  return Math.round(ms * 1000);
}
