/**
 * A seeded synthetic scheme day of payments with labelled fraud, for `clearhouse risk evaluate`
 * (docs/risk.md "Scoring"). Pure and deterministic: the same seed and size give the same payments.
 *
 * Accounts have a usual amount (log-normal), a daily rate, a few usual payees and a risk level. Five
 * days of ordinary history come first (recorded into the statistics, not judged), then the day itself:
 * ordinary payments, with the honest oddities that make false positives (a new payee, a large
 * purchase, a late payment, a new shop paid by many first-time customers), and four kinds of fraud:
 *
 * - `takeover`: a stolen account sends a burst of 3–5 payments of 7 to 33 times its usual amount to a new creditor;
 * - `mule`: one new creditor account is paid by 6–10 debtor accounts that never paid it before;
 * - `night`: a larger than usual payment to a new creditor in the small hours (scheme local time);
 * - `high-risk`: an account of risk level high pays a new creditor a larger than usual amount.
 */
import { random } from '../demo/generate.ts';
import type { PaymentRiskFacts, RiskLevel } from './types.ts';

export type FraudKind = 'takeover' | 'mule' | 'night' | 'high-risk';
export const FRAUD_KINDS: readonly FraudKind[] = ['takeover', 'mule', 'night', 'high-risk'];

export interface SyntheticPayment {
  readonly facts: PaymentRiskFacts;
  /** The fraud it belongs to; undefined: an honest payment. */
  readonly fraud?: FraudKind;
}

export interface SyntheticDay {
  readonly timeZone: string;
  readonly businessDate: string;
  /** Ordinary payments of the days before, in time order: recorded, never judged. */
  readonly history: readonly SyntheticPayment[];
  /** The day's payments in time order, labelled. */
  readonly payments: readonly SyntheticPayment[];
  /** Each account's risk level (reference data the stage would look up). */
  readonly riskLevels: ReadonlyMap<string, RiskLevel>;
}

const BANKS = ['BANKDEFFXXX', 'BANKFRPPXXX', 'BANKNL2AXXX', 'BANKBEBBXXX', 'BANKITMMXXX'];
const TIME_ZONE = 'Europe/Berlin';
/** Thursday 26 November 2026; Berlin is UTC+1 then. */
const DAY_START_UTC_MS = Date.parse('2026-11-25T23:00:00Z');
const BUSINESS_DATE = '2026-11-26';
const HISTORY_DAYS = 5;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

interface Account {
  readonly id: string;
  readonly bank: string;
  readonly logAmountMean: number;
  readonly logAmountSd: number;
  /** Payments a day on average. */
  readonly rate: number;
  readonly payees: readonly Account[];
  readonly level: RiskLevel;
}

/** A synthetic day of about `paymentCount` payments (the fraud included), from `seed`. */
export function syntheticDay(seed: number, paymentCount: number): SyntheticDay {
  const next = random(seed);
  const uniform = (a: number, b: number): number => a + (b - a) * next();
  const integer = (a: number, b: number): number => Math.floor(uniform(a, b + 1));
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

  let serial = 0;
  const newAccountId = (kind: string): string => `${kind}${String(++serial).padStart(7, '0')}`;
  const riskLevels = new Map<string, RiskLevel>();
  const payeePool: Account[] = Array.from({ length: Math.max(20, Math.ceil(paymentCount / 8)) }, () => ({
    id: newAccountId('PAYEE'), bank: pick(BANKS), logAmountMean: 0, logAmountSd: 0, rate: 0, payees: [], level: 'low' as RiskLevel,
  }));
  const accounts: Account[] = Array.from({ length: Math.max(20, Math.ceil(paymentCount / 4)) }, () => {
    const roll = next();
    const level: RiskLevel = roll < 0.04 ? 'high' : roll < 0.12 ? 'medium' : 'low';
    const account: Account = {
      id: newAccountId('ACCT'), bank: pick(BANKS), logAmountMean: uniform(Math.log(2_000), Math.log(200_000)), logAmountSd: uniform(0.3, 0.7),
      rate: uniform(0.5, 4.5), payees: Array.from({ length: integer(3, 6) }, () => pick(payeePool)), level,
    };
    riskLevels.set(account.id, level);
    return account;
  });
  const highRisk = accounts.filter((a) => a.level === 'high');
  const strangers = (): Account => ({ id: newAccountId('NEW'), bank: pick(BANKS), logAmountMean: 0, logAmountSd: 0, rate: 0, payees: [], level: 'low' });

  const payment = (from: Account, to: Account, amountLog: number, atMs: number, fraud?: FraudKind): SyntheticPayment => ({
    facts: {
      service: next() < 0.7 ? 'realtime' : 'batch', currency: 'EUR', amount: BigInt(Math.max(1, Math.round(Math.exp(amountLog)))),
      instructingAgent: from.bank, debtorAgent: from.bank, creditorAgent: to.bank, debtorAccount: from.id, creditorAccount: to.id,
      debtor: { name: from.id }, creditor: { name: to.id }, receivedAt: new Date(atMs), businessDate: BUSINESS_DATE,
    },
    ...(fraud === undefined ? {} : { fraud }),
  });
  /** A daytime instant (07:00–22:00 local) of the day `dayOffset` days from the evaluated one. */
  const daytime = (dayOffset: number): number => DAY_START_UTC_MS + dayOffset * 24 * HOUR_MS + uniform(7, 22) * HOUR_MS;
  const usualAmount = (a: Account): number => a.logAmountMean + a.logAmountSd * normal();

  // History: each account's ordinary days, nearly always to its usual payees.
  const history: SyntheticPayment[] = [];
  for (let day = -HISTORY_DAYS; day < 0; day++) {
    for (const a of accounts) {
      const count = Math.floor(a.rate + next());
      for (let i = 0; i < count; i++) history.push(payment(a, next() < 0.95 ? pick(a.payees) : pick(payeePool), usualAmount(a), daytime(day)));
    }
  }

  // The fraud of the day.
  const payments: SyntheticPayment[] = [];
  const events = (share: number): number => Math.max(2, Math.round(paymentCount * share));
  for (let e = 0; e < events(0.004); e++) {
    const victim = pick(accounts);
    const mule = strangers();
    const start = daytime(0);
    for (let i = 0, n = integer(3, 5); i < n; i++) {
      payments.push(payment(victim, mule, victim.logAmountMean + uniform(2, 3.5), start + uniform(0, 20) * MINUTE_MS, 'takeover'));
    }
  }
  for (let e = 0; e < events(0.002); e++) {
    const mule = strangers();
    const start = daytime(0);
    for (let i = 0, n = integer(6, 10); i < n; i++) {
      const from = pick(accounts);
      payments.push(payment(from, mule, usualAmount(from) + uniform(0, 0.7), start + uniform(0, 180) * MINUTE_MS, 'mule'));
    }
  }
  for (let e = 0; e < events(0.006); e++) {
    const from = pick(accounts);
    const at = DAY_START_UTC_MS + uniform(1, 4.5) * HOUR_MS;
    payments.push(payment(from, strangers(), from.logAmountMean + uniform(0.8, 2), at, 'night'));
  }
  for (let e = 0; e < events(0.006) && highRisk.length > 0; e++) {
    const from = pick(highRisk);
    payments.push(payment(from, strangers(), from.logAmountMean + uniform(1, 2), daytime(0), 'high-risk'));
  }

  // The honest day: mostly usual payees and amounts; a new payee now and then, a large purchase, a late
  // payment, and a few new shops paid by many first-time customers (honest fan-in).
  const shops = Array.from({ length: Math.max(1, Math.round(paymentCount / 1000)) }, () => strangers());
  const totalRate = accounts.reduce((s, a) => s + a.rate, 0);
  const honest = paymentCount - payments.length;
  for (let i = 0; i < honest; i++) {
    let r = next() * totalRate;
    const from = accounts.find((a) => (r -= a.rate) < 0) ?? accounts[accounts.length - 1]!;
    const roll = next();
    const to = roll < 0.8 ? pick(from.payees) : roll < 0.99 ? pick(payeePool) : pick(shops);
    const at = next() < 0.03 ? DAY_START_UTC_MS + ((uniform(22.5, 25.5) * HOUR_MS) % (24 * HOUR_MS)) : daytime(0);
    const amount = next() < 0.02 ? from.logAmountMean + uniform(1, 2) : usualAmount(from);
    payments.push(payment(from, to, amount, at));
  }
  const byTime = (a: SyntheticPayment, b: SyntheticPayment): number => a.facts.receivedAt.getTime() - b.facts.receivedAt.getTime();
  history.sort(byTime);
  payments.sort(byTime);
  return { timeZone: TIME_ZONE, businessDate: BUSINESS_DATE, history, payments, riskLevels };
}
