/**
 * The risk stage's rules as pure functions (docs/risk.md): which limits apply to a payment, and what
 * the stage decides from a freeze, a limit, screening hits and a score. No I/O: the engine
 * (switch/engine/risk.ts) reads profiles, freezes and counters, and applies the decision.
 */
import { parseAmount, formatAmount } from '../iso/amount.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { DailyLimit, RiskConfig, RiskLimitRule } from './config.ts';
import type { AccountType, RiskDisposal, RiskLevel, RiskScore, RiskService, ScreeningHit } from './types.ts';

export interface MinorDaily {
  readonly amount?: bigint;
  readonly count?: number;
}

export interface ResolvedLimits {
  readonly perTransaction?: bigint;
  readonly debtorAccountDaily: MinorDaily;
  readonly creditorAccountDaily: MinorDaily;
  readonly participantDaily: MinorDaily;
}

/** What a rule is matched against: one side of one payment. */
export interface LimitSelector {
  readonly participant: string;
  readonly service: RiskService;
  readonly currency: string;
  readonly accountType: AccountType;
  readonly riskLevel: RiskLevel;
}

function matches(rule: RiskLimitRule, s: LimitSelector): boolean {
  return rule.currency === s.currency && (rule.participant === undefined || rule.participant === s.participant) &&
    (rule.service === undefined || rule.service === s.service) && (rule.accountType === undefined || rule.accountType === s.accountType) &&
    (rule.riskLevel === undefined || rule.riskLevel === s.riskLevel);
}

/** A participant's override outranks every scheme rule; then risk level, account type, service. */
function specificity(rule: RiskLimitRule): number {
  return (rule.participant === undefined ? 0 : 8) + (rule.riskLevel === undefined ? 0 : 4) + (rule.accountType === undefined ? 0 : 2) +
    (rule.service === undefined ? 0 : 1);
}

function minor(text: string, currency: string): bigint {
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) throw new Error(`risk limit ${text} ${currency} is not an amount (checked at load)`);
  return parsed.minor;
}

/** Of the rules that set `pick`, the most specific; of equally specific ones, the smallest value. */
function strictest<T>(rules: readonly RiskLimitRule[], pick: (r: RiskLimitRule) => T | undefined, smaller: (a: T, b: T) => boolean): T | undefined {
  let best: T | undefined;
  let bestRank = -1;
  for (const rule of rules) {
    const value = pick(rule);
    if (value === undefined) continue;
    const rank = specificity(rule);
    if (rank > bestRank || (rank === bestRank && best !== undefined && smaller(value, best))) {
      best = value;
      bestRank = rank;
    }
  }
  return best;
}

function daily(rules: readonly RiskLimitRule[], pick: (r: RiskLimitRule) => DailyLimit | undefined, currency: string): MinorDaily {
  const amount = strictest(rules, (r) => { const d = pick(r); return d?.amount === undefined ? undefined : minor(d.amount, currency); }, (a, b) => a < b);
  const count = strictest(rules, (r) => pick(r)?.count, (a, b) => a < b);
  return { ...(amount === undefined ? {} : { amount }), ...(count === undefined ? {} : { count }) };
}

/** The limits of one payment: the debtor side's per-transaction, debtor-account and participant limits, the creditor side's fan-in. */
export function resolveLimits(config: RiskConfig, debtor: LimitSelector, creditor: LimitSelector): ResolvedLimits {
  return { ...debtorLimits(config, debtor), creditorAccountDaily: creditorLimits(config, creditor) };
}

type DebtorLimits = Omit<ResolvedLimits, 'creditorAccountDaily'>;

function debtorLimits(config: RiskConfig, debtor: LimitSelector): DebtorLimits {
  const forDebtor = config.limits.filter((r) => matches(r, debtor));
  const perTransaction = strictest(forDebtor, (r) => (r.perTransaction === undefined ? undefined : minor(r.perTransaction, debtor.currency)), (a, b) => a < b);
  // The participant's own daily limit is its own: matched on the participant, service and currency only.
  const forParticipant = forDebtor.filter((r) => r.accountType === undefined && r.riskLevel === undefined);
  return {
    ...(perTransaction === undefined ? {} : { perTransaction }),
    debtorAccountDaily: daily(forDebtor, (r) => r.debtorAccountDaily, debtor.currency),
    participantDaily: daily(forParticipant, (r) => r.participantDaily, debtor.currency),
  };
}

function creditorLimits(config: RiskConfig, creditor: LimitSelector): MinorDaily {
  return daily(config.limits.filter((r) => matches(r, creditor)), (r) => r.creditorAccountDaily, creditor.currency);
}

const selectorKey = (s: LimitSelector): string => `${s.participant}\u0000${s.service}\u0000${s.currency}\u0000${s.accountType}\u0000${s.riskLevel}`;

/**
 * resolveLimits for many payments (one real-time group, one file): each side's limits resolved once per
 * distinct (participant, service, currency, account type, risk level) and shared by the payments that
 * have it (the result is the same object for the same selectors: read only).
 */
export function limitResolver(config: RiskConfig): (debtor: LimitSelector, creditor: LimitSelector) => ResolvedLimits {
  const debtors = new Map<string, DebtorLimits>();
  const creditors = new Map<string, MinorDaily>();
  const both = new Map<string, ResolvedLimits>();
  return (debtor, creditor) => {
    const dk = selectorKey(debtor);
    const ck = selectorKey(creditor);
    const key = `${dk}\u0001${ck}`;
    let limits = both.get(key);
    if (limits !== undefined) return limits;
    let d = debtors.get(dk);
    if (d === undefined) debtors.set(dk, d = debtorLimits(config, debtor));
    let c = creditors.get(ck);
    if (c === undefined) creditors.set(ck, c = creditorLimits(config, creditor));
    limits = { ...d, creditorAccountDaily: c };
    both.set(key, limits);
    return limits;
  };
}

/** The higher of two risk levels (an account's and its customer's). */
export function higherLevel(a: RiskLevel, b: RiskLevel | undefined): RiskLevel {
  const order: readonly RiskLevel[] = ['low', 'medium', 'high'];
  return b !== undefined && order.indexOf(b) > order.indexOf(a) ? b : a;
}

/**
 * What the sender of a payment stopped by screening is told (rejected by the stage, or by an operator
 * after a screening hold): a neutral code and text that do not reveal the screening, the list or the
 * entry (tipping-off: docs/scheme-rules.md "Risk reason codes"). The real reason stays in the risk events.
 */
export const SCREENING_TOLD = { code: REASON.screeningNeutral, text: 'not processed by the clearing house' } as const;

/** What the stage knows of one payment before its daily counters are taken. */
export interface Judgement {
  readonly currency: string;
  readonly amount: bigint;
  readonly limits: ResolvedLimits;
  /** Frozen: which party (account or participant), as text for AddtlInf; undefined when not frozen. */
  readonly frozen?: string;
  readonly hits: readonly ScreeningHit[];
  readonly score?: RiskScore;
}

/** A reason the stage holds or rejects, for the risk events. */
export interface Finding {
  readonly kind: 'limit-breach' | 'screening-hit' | 'score' | 'frozen';
  readonly text: string;
}

/**
 * The decision before the daily counters (docs/risk.md "Disposal"), strictest first: a frozen account
 * or participant (AC06), over the per-transaction limit (AM02), an exact sanctions match on a BIC, IBAN
 * or country (RR04 recorded, MS03 told: SCREENING_TOLD; or hold), a score at the reject threshold (FRAD); then hold on a name match or a score
 * at the hold threshold; otherwise pass (and the counters are taken: `counterBreach`).
 */
export function judge(config: RiskConfig, j: Judgement): { readonly disposal: RiskDisposal; readonly findings: readonly Finding[] } {
  const findings: Finding[] = [];
  if (j.frozen !== undefined) {
    const text = `${j.frozen} is frozen by the scheme's risk management`;
    return { disposal: { kind: 'reject', code: REASON.accountFrozen, text }, findings: [{ kind: 'frozen', text }] };
  }
  if (j.limits.perTransaction !== undefined && j.amount > j.limits.perTransaction) {
    const text = `over the per-transaction limit of ${formatAmount(j.limits.perTransaction, j.currency)} ${j.currency} for the account's type and risk`;
    return { disposal: { kind: 'reject', code: REASON.riskTransactionLimit, text }, findings: [{ kind: 'limit-breach', text }] };
  }
  const exact = j.hits.filter((h) => h.kind !== 'name');
  const names = j.hits.filter((h) => h.kind === 'name');
  for (const h of j.hits) findings.push({ kind: 'screening-hit', text: `${h.field} ${h.kind} matches ${h.matched} (${h.list} ${h.entryId}, ${h.similarity.toFixed(2)})` });
  if (exact.length > 0 && config.exactMatch === 'reject') {
    const h = exact[0]!;
    // Recorded with the list and entry (the events); the sender is told neither (tipping-off).
    return { disposal: { kind: 'reject', code: REASON.regulatoryReason, text: `${h.field} ${h.kind} is on the list ${h.list} (entry ${h.entryId})`,
      told: SCREENING_TOLD }, findings };
  }
  const score = j.score?.score;
  if (score !== undefined && score >= Math.min(config.holdScore, config.rejectScore)) {
    const top = j.score!.features.slice(0, 3).map((f) => f.name).join(', ');
    findings.push({ kind: 'score', text: `risk score ${score.toFixed(1)} (top features: ${top || 'none'})` });
    if (score >= config.rejectScore) {
      return { disposal: { kind: 'reject', code: REASON.riskScoreReject, text: `risk score ${score.toFixed(1)} at or above the reject threshold ${config.rejectScore}` }, findings };
    }
  }
  const reasons = [
    ...exact.map((h) => `exact match: ${h.field} ${h.kind} ${h.matched} (${h.list})`),
    ...names.map((h) => `name match: ${h.field} ~ ${h.matched} (${h.list}, ${h.similarity.toFixed(2)})`),
    ...(score !== undefined && score >= config.holdScore ? [`risk score ${score.toFixed(1)} at or above the hold threshold ${config.holdScore}`] : []),
  ];
  return { disposal: reasons.length > 0 ? { kind: 'hold', reasons } : { kind: 'pass' }, findings };
}

export type CounterScope = 'debtor-account' | 'creditor-account' | 'participant';

/** The text of a daily counter breach (AM14), for AddtlInf. */
export function counterBreachText(scope: CounterScope, _key: string, what: 'amount' | 'count', limit: MinorDaily, currency: string,
  used: { amount: bigint; count: number }): string {
  const whose = scope === 'participant' ? 'participant' : scope === 'debtor-account' ? 'debtor account' : 'creditor account';
  return what === 'amount'
    ? `over the ${whose}'s daily limit of ${formatAmount(limit.amount!, currency)} ${currency} (${formatAmount(used.amount, currency)} ${currency} used)`
    : `over the ${whose}'s daily limit of ${limit.count} payments (${used.count} made)`;
}
