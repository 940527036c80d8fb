/**
 * The risk score of one payment from explainable features (docs/risk.md "Scoring"). Pure: it takes the
 * payment's facts and a snapshot of the statistics the store keeps for its accounts
 * (switch/risk/statistics.ts reads it and implements the Scorer port), and returns the score with
 * every feature's value, contribution (weight × normalised value) and a sentence an operator can read.
 */
import { institutionKey } from '../iso/bic.ts';
import type { PaymentRiskFacts, RiskLevel, RiskScore, ScoreFeature } from './types.ts';
import type { ScoringConfig, ScoringFeatureName } from './scoring-config.ts';

/** What the store knows of the payment's accounts before it, at its receivedAt. */
export interface ScoringStatistics {
  /** The debtor account's earlier payments in the payment's currency (Welford over ln(amount minor)); absent: none. */
  readonly debtorHistory?: { readonly count: number; readonly logAmountMean: number; readonly logAmountM2: number };
  /** Earlier payments by the debtor account in the last hour and the last 24 hours (any currency, any creditor). */
  readonly debtorPaymentsLastHour: number;
  readonly debtorPaymentsLastDay: number;
  /** When the debtor account first paid this creditor account; absent: never. */
  readonly pairFirstSeenAt?: Date;
  /** Distinct debtor accounts that paid the creditor account for the first time in the last 24 hours, before this payment. */
  readonly creditorNewDebtorsLastDay: number;
  /** When the creditor account was first paid through the switch; absent: never. */
  readonly creditorFirstSeenAt?: Date;
}

/** The risk levels of the payment's two accounts (reference data: the stage's profiles, or test facts). */
export interface AccountRiskLevels {
  readonly debtor?: RiskLevel;
  readonly creditor?: RiskLevel;
}

/** How much each risk level counts (a high-risk account in full). */
const RISK_LEVEL_VALUE: Record<RiskLevel, number> = { low: 0, medium: 0.4, high: 1 };
/** Below this standard deviation of ln(amount) (about ±10 %), an account's history is treated as this
 * spread: a customer who always paid exactly the same sum is not 50 deviations off for a cent more. */
const LOG_AMOUNT_SD_MIN = 0.1;

/** The statistics key of an account: its servicing institution and its identifier as written. */
export function accountKey(agent: string, account: string): string {
  return `${institutionKey(agent)}/${account}`;
}

/** ln of an amount in minor units: the scale on which amounts are compared (a statistic, not money). */
export function logAmount(amountMinor: bigint): number {
  return Math.log(Number(amountMinor > 0n ? amountMinor : 1n));
}

/** The score of one payment: features sorted by contribution, largest first; score = min(100, Σ contributions). */
export function scorePayment(facts: PaymentRiskFacts, statistics: ScoringStatistics, levels: AccountRiskLevels,
  config: ScoringConfig, timeZone: string): RiskScore {
  const features: ScoreFeature[] = [
    amountFeature(facts, statistics, config),
    velocityFeature(statistics, config),
    newCreditorFeature(facts, statistics, config),
    muleFeature(facts, statistics, config),
    timeOfDayFeature(facts, config, timeZone),
    accountRiskFeature(levels, config),
  ];
  features.sort((a, b) => b.contribution - a.contribution || a.name.localeCompare(b.name));
  const total = features.reduce((sum, f) => sum + f.contribution, 0);
  return { score: Math.min(100, Math.round(total * 10) / 10), features };
}

/** The disposal a score asks for under the configured thresholds (the stage combines it with its other rules). */
export function scoreBand(score: number, config: ScoringConfig): 'pass' | 'hold' | 'reject' {
  return score >= config.rejectThreshold ? 'reject' : score >= config.holdThreshold ? 'hold' : 'pass';
}

function feature(name: ScoringFeatureName, value: number, normalised: number, config: ScoringConfig, explanation: string): ScoreFeature {
  const contribution = Math.round(config.weights[name] * clamp(normalised) * 10) / 10;
  return { name, value: Math.round(value * 100) / 100, contribution, explanation };
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function ramp(x: number, from: number, full: number): number {
  return clamp((x - from) / (full - from));
}

function amountFeature(facts: PaymentRiskFacts, statistics: ScoringStatistics, config: ScoringConfig): ScoreFeature {
  const history = statistics.debtorHistory;
  if (facts.debtorAccount === undefined) return feature('amount', 0, 0, config, 'no debtor account: no history to compare with');
  if (history === undefined || history.count < config.amountHistoryMin) {
    return feature('amount', 0, 0, config, `${history?.count ?? 0} earlier ${facts.currency} payments by the debtor account ` +
      `(fewer than ${config.amountHistoryMin}): no baseline yet`);
  }
  const sd = Math.max(LOG_AMOUNT_SD_MIN, Math.sqrt(history.logAmountM2 / (history.count - 1)));
  const z = (logAmount(facts.amount) - history.logAmountMean) / sd;
  const typical = Math.exp(history.logAmountMean);
  return feature('amount', z, ramp(z, config.amountZFrom, config.amountZFull), config,
    `amount ${z.toFixed(1)} standard deviations from the debtor account's usual (typically ` +
    `${Math.round(typical)} minor units over ${history.count} payments, on a log scale)`);
}

function velocityFeature(statistics: ScoringStatistics, config: ScoringConfig): ScoreFeature {
  const hour = statistics.debtorPaymentsLastHour + 1;
  const day = statistics.debtorPaymentsLastDay + 1;
  const hourly = ramp(hour, config.velocityHourUsual, config.velocityHourFull);
  const daily = ramp(day, config.velocityDayUsual, config.velocityDayFull);
  return feature('velocity', hour, Math.max(hourly, daily), config,
    `${hour} payments by the debtor account in the last hour (usual up to ${config.velocityHourUsual}), ${day} in the last 24 hours ` +
    `(usual up to ${config.velocityDayUsual})`);
}

function newCreditorFeature(facts: PaymentRiskFacts, statistics: ScoringStatistics, config: ScoringConfig): ScoreFeature {
  if (facts.debtorAccount === undefined || facts.creditorAccount === undefined) {
    return feature('newCreditor', 0, 0, config, 'an account is missing: the pair cannot be known');
  }
  const first = statistics.pairFirstSeenAt;
  return first === undefined
    ? feature('newCreditor', 1, 1, config, 'first payment from the debtor account to this creditor account')
    : feature('newCreditor', 0, 0, config, `the debtor account has paid this creditor account since ${first.toISOString()}`);
}

function muleFeature(facts: PaymentRiskFacts, statistics: ScoringStatistics, config: ScoringConfig): ScoreFeature {
  if (facts.creditorAccount === undefined) return feature('muleFanIn', 0, 0, config, 'no creditor account');
  const isNewPair = statistics.pairFirstSeenAt === undefined;
  const debtors = statistics.creditorNewDebtorsLastDay + (isNewPair ? 1 : 0);
  const ageHours = statistics.creditorFirstSeenAt === undefined ? 0
    : (facts.receivedAt.getTime() - statistics.creditorFirstSeenAt.getTime()) / 3_600_000;
  const isNewAccount = ageHours < config.newCreditorAccountHours;
  const normalised = ramp(debtors, 1, config.muleDebtorsFull) * (isNewAccount ? 1 : 0.5);
  return feature('muleFanIn', debtors, normalised, config,
    `${debtors} distinct debtor accounts paid the creditor account for the first time in the last 24 hours; the creditor account is ` +
    (statistics.creditorFirstSeenAt === undefined ? 'paid for the first time' : isNewAccount
      ? `new (first paid ${ageHours.toFixed(1)} h ago)` : `known (first paid ${Math.floor(ageHours / 24)} days ago): counted half`));
}

function timeOfDayFeature(facts: PaymentRiskFacts, config: ScoringConfig, timeZone: string): ScoreFeature {
  const minutes = localMinutes(facts.receivedAt, timeZone);
  const from = hhmm(config.usualHoursFrom);
  const until = hhmm(config.usualHoursUntil);
  const usual = from <= until ? minutes >= from && minutes < until : minutes >= from || minutes < until;
  const local = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return feature('timeOfDay', usual ? 0 : 1, usual ? 0 : 1, config,
    `received at ${local} ${timeZone}, ${usual ? 'within' : 'outside'} the usual hours ${config.usualHoursFrom}–${config.usualHoursUntil}`);
}

function accountRiskFeature(levels: AccountRiskLevels, config: ScoringConfig): ScoreFeature {
  const debtor = levels.debtor === undefined ? 0 : RISK_LEVEL_VALUE[levels.debtor];
  const creditor = levels.creditor === undefined ? 0 : RISK_LEVEL_VALUE[levels.creditor];
  const value = Math.max(debtor, creditor);
  return feature('accountRisk', value, value, config,
    `debtor account risk level ${levels.debtor ?? 'unknown'}, creditor account ${levels.creditor ?? 'unknown'}`);
}

function hhmm(text: string): number {
  return Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight of `at` in `timeZone` (0..1439). */
export function localMinutes(at: Date, timeZone: string): number {
  // The payments of a group or file share their receivedAt: the last answer is kept (formatToParts is the dear part).
  const t = at.getTime();
  if (lastLocal.t === t && lastLocal.timeZone === timeZone) return lastLocal.minutes;
  const minutes = formatLocalMinutes(at, timeZone);
  lastLocal = { t, timeZone, minutes };
  return minutes;
}

let lastLocal = { t: Number.NaN, timeZone: '', minutes: 0 };

function formatLocalMinutes(at: Date, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}
