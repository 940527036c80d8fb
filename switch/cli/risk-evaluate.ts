/**
 * `clearhouse risk evaluate [--seed N] [--payments M] [--config FILE] [--json]`: a seeded synthetic day
 * with labelled fraud replayed through the risk score on an embedded store (in memory), reporting
 * precision and recall at the hold and reject thresholds and the cost per payment
 * (switch/risk/evaluation.ts, docs/risk.md "Scoring"). Exit codes: 0 done; 2 usage or configuration.
 */
import type { Command } from 'commander';
import { limits } from '../limits.ts';

export interface RiskEvaluateOptions {
  readonly seed: string;
  readonly payments: string;
  readonly config?: string;
  readonly json?: boolean;
}

export const RISK_EVALUATE_DEFAULTS = { seed: '1', payments: '2000' } as const;

function wholeNumber(text: string, name: string, min: number, max: number): number | string {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) return `${name} takes a whole number from ${min} to ${max}, not ${text}`;
  return Number(text);
}

export async function riskEvaluateCommand(options: RiskEvaluateOptions): Promise<number> {
  const seed = wholeNumber(options.seed, '--seed', 0, 999_999_999);
  const payments = wholeNumber(options.payments, '--payments', 100, limits.scoring.evaluatePaymentsMax);
  const usage = [seed, payments].find((v): v is string => typeof v === 'string');
  if (usage !== undefined) {
    process.stderr.write(`clearhouse risk evaluate: ${usage}\n`);
    return 2;
  }
  const { SCORING_DEFAULTS } = await import('../risk/scoring-config.ts');
  let config = SCORING_DEFAULTS;
  if (options.config !== undefined) {
    const { loadConfig, ConfigError } = await import('../config.ts');
    try {
      config = loadConfig(options.config).risk?.scoring ?? SCORING_DEFAULTS;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`clearhouse risk evaluate: ${error.message}\n`);
      return 2;
    }
  }
  const { openDatabase } = await import('../store/database.ts');
  const { migrate } = await import('../store/migrate.ts');
  const { evaluateScoring } = await import('../risk/evaluation.ts');
  const db = await openDatabase({});
  try {
    await migrate(db);
    const report = await evaluateScoring(db, { seed: seed as number, payments: payments as number, config });
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ ...report, config }, null, 2)}\n`);
      return 0;
    }
    const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;
    const row = (name: string, r: typeof report.hold): string =>
      `  ${name.padEnd(7)} score ≥ ${String(r.threshold).padEnd(4)} flagged ${String(r.flagged).padStart(6)}  fraud among them ${String(r.truePositives).padStart(6)}  ` +
      `precision ${percent(r.precision).padStart(7)}  recall ${percent(r.recall).padStart(7)}`;
    process.stdout.write([
      `risk evaluate: seed ${report.seed}, ${report.payments} payments (${report.fraud} labelled fraud) after ${report.historyPayments} payments of history, ` +
        `${report.store === 'pglite' ? 'embedded store (PGlite, in memory)' : report.store}`,
      row('hold', report.hold),
      row('reject', report.reject),
      `  recall at hold by kind: ${Object.entries(report.byKind).map(([k, v]) => `${k} ${percent(v.recallAtHold)} of ${v.payments}`).join(', ')}`,
      `  largest contribution among the flagged: ${Object.entries(report.topFeatureWhenFlagged).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `  cost per payment (its transaction: score, and record when it passes): ${report.costMicrosecondsPerPayment.total} µs ` +
        `(score ${report.costMicrosecondsPerPayment.score} µs, record ${report.costMicrosecondsPerPayment.record} µs)`,
      `  scores digest ${report.scoresDigest.slice(0, 16)} (the same for the same seed, size and configuration)`,
      '',
    ].join('\n'));
    return 0;
  } finally {
    await db.close();
  }
}

export function registerRiskEvaluateCommand(risk: Command): void {
  risk
    .command('evaluate')
    .description('replay a seeded synthetic day with labelled fraud through the risk score: precision, recall, cost per payment')
    .option('--seed <n>', 'the seed of the day', RISK_EVALUATE_DEFAULTS.seed)
    .option('--payments <m>', `payments of the day (100..${limits.scoring.evaluatePaymentsMax})`, RISK_EVALUATE_DEFAULTS.payments)
    .option('--config <file>', 'scheme configuration whose risk.scoring weights and thresholds to use (default: the defaults)')
    .option('--json', 'print the report as JSON')
    .action(async (options: RiskEvaluateOptions) => {
      process.exitCode = await riskEvaluateCommand(options);
    });
}
