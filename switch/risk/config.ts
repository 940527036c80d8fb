/**
 * The `risk` section of the scheme configuration (docs/risk.md "Configuration"): the limits by
 * service, account type, risk level and participant, and the score thresholds. Part of the scheme
 * register, so `config apply` changes it while the switch runs. Pure: checked here, resolved to minor
 * units by switch/risk/limits.ts.
 */
import { parseAmount } from '../iso/amount.ts';
import type { AccountType, RiskLevel, RiskService } from './types.ts';
import { checkScoringConfig, type ScoringConfig } from './scoring-config.ts';

export const accountTypes: readonly AccountType[] = ['personal', 'business', 'government', 'other'];
export const riskLevels: readonly RiskLevel[] = ['low', 'medium', 'high'];
const services: readonly RiskService[] = ['realtime', 'batch'];

/** A daily limit: the amount (decimal text in the rule's currency) and/or count per business day. */
export interface DailyLimit {
  readonly amount?: string;
  readonly count?: number;
}

/**
 * One limit rule. It applies to a payment when every selector it names matches (a selector left out
 * matches everything). For each limit, the most specific matching rule that sets it wins
 * (docs/risk.md "Limits"): a participant's override before the scheme's rules.
 */
export interface RiskLimitRule {
  readonly currency: string;
  readonly participant?: string;
  readonly service?: RiskService;
  readonly accountType?: AccountType;
  readonly riskLevel?: RiskLevel;
  /** Largest single payment. Over it: AM02. */
  readonly perTransaction?: string;
  /** Per debtor account (debtor agent, account) and business day. Over it: AM14. */
  readonly debtorAccountDaily?: DailyLimit;
  /** Per creditor account (creditor agent, account) and business day: fan-in. Over it: AM14. */
  readonly creditorAccountDaily?: DailyLimit;
  /** Per debtor participant and business day. Over it: AM14. */
  readonly participantDaily?: DailyLimit;
}

export interface RiskConfig {
  readonly limits: readonly RiskLimitRule[];
  /** Score (0..100) at or above which a payment is held for review. Default 101: never. */
  readonly holdScore: number;
  /** Score at or above which a payment is rejected (FRAD). Default 101: never. */
  readonly rejectScore: number;
  /** An exact screening match on a BIC, IBAN or country: 'reject' (RR04, default) or 'hold' like a name match. */
  readonly exactMatch: 'reject' | 'hold';
  /** Risk level of an account or customer without a profile. Default 'medium'. */
  readonly unknownRiskLevel: RiskLevel;
  /** The risk score's weights and thresholds (docs/risk.md "Scoring"); absent: the score is not computed. When
   * given, holdScore and rejectScore default to its holdThreshold and rejectThreshold (and must agree with them). */
  readonly scoring?: ScoringConfig;
}

const RULE_KEYS = ['currency', 'participant', 'service', 'accountType', 'riskLevel', 'perTransaction', 'debtorAccountDaily',
  'creditorAccountDaily', 'participantDaily'];
const DAILY_KEYS = ['amount', 'count'];
const RISK_KEYS = ['limits', 'holdScore', 'rejectScore', 'exactMatch', 'unknownRiskLevel', 'scoring'];
/** Rules in one configuration: enough for every participant to override a few; a larger list is a generated mistake. */
const RULES_MAX = 10_000;
const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(where: string, o: Record<string, unknown>, known: readonly string[], problems: string[]): void {
  for (const key of Object.keys(o)) {
    if (key.startsWith('_') || key.startsWith('$') || known.includes(key)) continue;
    problems.push(`${where}.${key}: unknown field (known: ${known.join(', ')})`);
  }
}

function checkAmount(where: string, raw: unknown, currency: string, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    problems.push(`${where}: an amount as decimal text is required, e.g. "1000.00"`);
    return undefined;
  }
  const parsed = parseAmount(raw, currency);
  if (!parsed.ok || parsed.minor <= 0n) {
    problems.push(`${where}: ${JSON.stringify(raw)} is not a positive ${currency} amount`);
    return undefined;
  }
  return raw;
}

function checkDaily(where: string, raw: unknown, currency: string, problems: string[]): DailyLimit | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    problems.push(`${where}: an object { "amount": "…", "count": n } is required`);
    return undefined;
  }
  unknownKeys(where, raw, DAILY_KEYS, problems);
  const amount = checkAmount(`${where}.amount`, raw.amount, currency, problems);
  let count: number | undefined;
  if (raw.count !== undefined) {
    if (typeof raw.count !== 'number' || !Number.isInteger(raw.count) || raw.count < 1 || raw.count > 1_000_000_000) {
      problems.push(`${where}.count: a whole number from 1 to 1000000000 is required`);
    } else count = raw.count;
  }
  if (amount === undefined && count === undefined) {
    if (raw.amount === undefined && raw.count === undefined) problems.push(`${where}: name an amount, a count or both`);
    return undefined;
  }
  return { ...(amount === undefined ? {} : { amount }), ...(count === undefined ? {} : { count }) };
}

function checkScore(where: string, raw: unknown, problems: string[]): number {
  if (raw === undefined) return 101;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > 101) {
    problems.push(`${where}: a score from 0 to 100 is required (101: never)`);
    return 101;
  }
  return raw;
}

/** Check the `risk` section; problems are added to `problems` (the configuration's ConfigError). */
export function checkRiskConfig(raw: unknown, currencies: readonly string[], problems: string[]): RiskConfig | undefined {
  if (!isRecord(raw)) {
    problems.push('risk: an object is required');
    return undefined;
  }
  unknownKeys('risk', raw, RISK_KEYS, problems);
  const limits: RiskLimitRule[] = [];
  if (raw.limits !== undefined && !Array.isArray(raw.limits)) problems.push('risk.limits: a list of rules is required');
  const rawRules = Array.isArray(raw.limits) ? raw.limits : [];
  if (rawRules.length > RULES_MAX) problems.push(`risk.limits: at most ${RULES_MAX} rules`);
  rawRules.slice(0, RULES_MAX).forEach((r: unknown, i) => {
    const where = `risk.limits[${i}]`;
    if (!isRecord(r)) {
      problems.push(`${where}: an object is required`);
      return;
    }
    unknownKeys(where, r, RULE_KEYS, problems);
    const before = problems.length;
    if (typeof r.currency !== 'string' || !currencies.includes(r.currency)) {
      problems.push(`${where}.currency: one of the scheme's currencies (${currencies.join(', ')}) is required`);
      return;
    }
    const currency = r.currency;
    if (r.participant !== undefined && (typeof r.participant !== 'string' || !BIC.test(r.participant))) problems.push(`${where}.participant: a BIC is required`);
    if (r.service !== undefined && !services.includes(r.service as RiskService)) problems.push(`${where}.service: "realtime" or "batch"`);
    if (r.accountType !== undefined && !accountTypes.includes(r.accountType as AccountType)) problems.push(`${where}.accountType: one of ${accountTypes.join(', ')}`);
    if (r.riskLevel !== undefined && !riskLevels.includes(r.riskLevel as RiskLevel)) problems.push(`${where}.riskLevel: one of ${riskLevels.join(', ')}`);
    const perTransaction = checkAmount(`${where}.perTransaction`, r.perTransaction, currency, problems);
    const debtorAccountDaily = checkDaily(`${where}.debtorAccountDaily`, r.debtorAccountDaily, currency, problems);
    const creditorAccountDaily = checkDaily(`${where}.creditorAccountDaily`, r.creditorAccountDaily, currency, problems);
    const participantDaily = checkDaily(`${where}.participantDaily`, r.participantDaily, currency, problems);
    if (problems.length > before) return;
    limits.push({
      currency,
      ...(r.participant === undefined ? {} : { participant: r.participant as string }),
      ...(r.service === undefined ? {} : { service: r.service as RiskService }),
      ...(r.accountType === undefined ? {} : { accountType: r.accountType as AccountType }),
      ...(r.riskLevel === undefined ? {} : { riskLevel: r.riskLevel as RiskLevel }),
      ...(perTransaction === undefined ? {} : { perTransaction }),
      ...(debtorAccountDaily === undefined ? {} : { debtorAccountDaily }),
      ...(creditorAccountDaily === undefined ? {} : { creditorAccountDaily }),
      ...(participantDaily === undefined ? {} : { participantDaily }),
    });
  });
  const scoring = raw.scoring === undefined ? undefined : checkScoringConfig('risk.scoring', raw.scoring, problems);
  // One pair of thresholds: the stage's, which the scoring section's give when the stage's are left out.
  const holdScore = raw.holdScore === undefined && scoring ? scoring.holdThreshold : checkScore('risk.holdScore', raw.holdScore, problems);
  const rejectScore = raw.rejectScore === undefined && scoring ? scoring.rejectThreshold : checkScore('risk.rejectScore', raw.rejectScore, problems);
  if (scoring && (holdScore !== scoring.holdThreshold || rejectScore !== scoring.rejectThreshold)) {
    problems.push('risk.holdScore / risk.rejectScore: must equal risk.scoring.holdThreshold / rejectThreshold (give the thresholds once)');
  }
  if (rejectScore < holdScore) problems.push('risk.rejectScore: must not be below risk.holdScore');
  const exactMatch = raw.exactMatch === undefined ? 'reject' : raw.exactMatch;
  if (exactMatch !== 'reject' && exactMatch !== 'hold') problems.push('risk.exactMatch: "reject" or "hold"');
  const unknownRiskLevel = raw.unknownRiskLevel === undefined ? 'medium' : raw.unknownRiskLevel;
  if (!riskLevels.includes(unknownRiskLevel as RiskLevel)) problems.push(`risk.unknownRiskLevel: one of ${riskLevels.join(', ')}`);
  return {
    limits, holdScore, rejectScore, exactMatch: exactMatch === 'hold' ? 'hold' : 'reject',
    unknownRiskLevel: riskLevels.includes(unknownRiskLevel as RiskLevel) ? unknownRiskLevel as RiskLevel : 'medium',
    ...(scoring === undefined ? {} : { scoring }),
  };
}
