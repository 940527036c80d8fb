/**
 * Scheme rules over the facts every message module extracts (switch/iso/message.ts): group-header
 * rules (counts, sums, dates), transaction rules (amount, currency decimals, BIC, IBAN, duplicate ids)
 * and, when a scheme configuration is given, the participant directory and limits.
 *
 * Pure functions: facts in, findings out. A rule never throws for bad input.
 * Rules run in a fixed order, so a message gets the same findings in the same order every time.
 */
import { isValidIBAN } from 'ibantools';
import { parseAmount, parseDecimalScaled } from '../iso/amount.ts';
import type { Finding } from '../iso/finding.ts';
import type { GroupFacts, MessageFacts, TransactionFacts } from '../iso/message.ts';
import { REASON } from '../iso/reason-codes.ts';
import { limits } from '../limits.ts';
import type { SchemeDirectory } from './directory.ts';

export interface RuleOptions {
  /** Element path of the message root, e.g. /Document/FIToFICstmrCdtTrf. */
  readonly rootPath: string;
  /** Current business date (YYYY-MM-DD) of the scheme calendar; date rules apply only when set. */
  readonly businessDate?: string;
  /** The authenticated sender's BIC; when set, the group's instructing agent must be it. */
  readonly sender?: string;
  /** Participant directory and limits; directory rules apply only when set. */
  readonly directory?: SchemeDirectory;
  /** Line of each transaction element in the file (by transaction index), for locations. */
  readonly transactionLine?: (index: number) => number | undefined;
  /** Line of the group header (or of the message root). */
  readonly groupLine?: number;
}

const BIC = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** CtrlSum is compared at 5 decimals, the most any ISO currency amount may carry. */
const CONTROL_SUM_SCALE = 5;

/**
 * Group-level findings make the whole message RJCT; transaction findings carry transactionIndex and
 * reject only their transaction (file outcome PART when others pass).
 */
export function checkMessage(facts: MessageFacts, options: RuleOptions): Finding[] {
  return [...checkGroup(facts, options), ...facts.transactions.flatMap((tx) => checkTransaction(tx, options)),
    ...checkDuplicates(facts.transactions, options)];
}

export function checkGroup(facts: MessageFacts, options: RuleOptions): Finding[] {
  const { group, transactions } = facts;
  const findings: Finding[] = [];
  const at = (relative: string, code: string, message: string): void => {
    findings.push({ code, path: `${options.rootPath}/${relative}`, line: options.groupLine, message });
  };
  if (group.numberOfTransactions !== undefined) {
    const declared = Number(group.numberOfTransactions);
    if (declared !== transactions.length) {
      at('GrpHdr/NbOfTxs', REASON.numberOfTransactionsMismatch,
        `NbOfTxs is ${group.numberOfTransactions} but the message holds ${transactions.length} transactions`);
    }
  }
  if (transactions.length > limits.transactionsPerMessageMax) {
    at('GrpHdr/NbOfTxs', REASON.tooManyTransactions,
      `${transactions.length} transactions exceed the scheme limit of ${limits.transactionsPerMessageMax}`);
  }
  if (group.controlSum !== undefined) {
    const declared = parseDecimalScaled(group.controlSum, CONTROL_SUM_SCALE);
    const actual = sumScaled(transactions);
    if (declared === null || actual === null || declared !== actual) {
      at('GrpHdr/CtrlSum', REASON.controlSumMismatch,
        `CtrlSum ${group.controlSum} does not equal the sum of the transaction amounts` +
        (actual === null ? '' : ` (${formatScaled(actual)})`));
    }
  }
  if (group.totalAmount !== undefined) checkTotal(group, transactions, at);
  if (group.settlementDate !== undefined) {
    checkDate(group.settlementDate, options, (code, message) => at('GrpHdr/IntrBkSttlmDt', code, message));
  }
  if (options.sender !== undefined && group.instructingAgent !== undefined && group.instructingAgent !== options.sender) {
    at('GrpHdr/InstgAgt/FinInstnId/BICFI', REASON.senderMismatch,
      `instructing agent ${group.instructingAgent} is not the authenticated sender ${options.sender}`);
  }
  if (options.directory && group.instructingAgent !== undefined) {
    const problem = options.directory.checkParticipant(group.instructingAgent);
    if (problem) at('GrpHdr/InstgAgt/FinInstnId/BICFI', problem.code, problem.message);
  }
  return findings;
}

function checkTotal(group: GroupFacts, transactions: readonly TransactionFacts[],
  at: (relative: string, code: string, message: string) => void): void {
  const total = group.totalAmount!;
  const parsed = parseAmount(total.value, total.currency);
  if (!parsed.ok) {
    at('GrpHdr/TtlIntrBkSttlmAmt', REASON.currencyInvalid,
      `total amount ${total.value} ${total.currency} is not valid for its currency (${parsed.reason})`);
    return;
  }
  let sum = 0n;
  for (const tx of transactions) {
    if (!tx.amount) continue;
    if (tx.amount.currency !== total.currency) {
      at('GrpHdr/TtlIntrBkSttlmAmt', REASON.totalAmountMismatch,
        `total is in ${total.currency} but transaction ${tx.index + 1} is in ${tx.amount.currency}`);
      return;
    }
    const amount = parseAmount(tx.amount.value, tx.amount.currency);
    if (!amount.ok) return; // reported on the transaction itself
    sum += amount.minor;
  }
  if (sum !== parsed.minor) {
    at('GrpHdr/TtlIntrBkSttlmAmt', REASON.totalAmountMismatch,
      `total ${total.value} ${total.currency} does not equal the sum of the transactions`);
  }
}

export function checkTransaction(tx: TransactionFacts, options: RuleOptions): Finding[] {
  const findings: Finding[] = [];
  const line = options.transactionLine?.(tx.index);
  const at = (relative: string, code: string, message: string): void => {
    findings.push({
      code, path: `${options.rootPath}/${tx.path}${relative ? '/' + relative : ''}`, line, message,
      transactionId: tx.transactionId, transactionIndex: tx.index,
    });
  };
  if (tx.amount) {
    const parsed = parseAmount(tx.amount.value, tx.amount.currency);
    if (!parsed.ok) {
      at(tx.amountElement ?? 'IntrBkSttlmAmt', parsed.reason === 'decimals' ? REASON.decimalsInvalid
        : parsed.reason === 'currency' ? REASON.currencyInvalid : REASON.amountInvalid,
        parsed.reason === 'decimals'
          ? `amount ${tx.amount.value} has more decimals than ${tx.amount.currency} allows`
          : `amount ${tx.amount.value} ${tx.amount.currency}: ${parsed.reason === 'currency' ? 'unknown currency' : 'not a decimal amount'}`);
    } else if (parsed.minor <= 0n) {
      at(tx.amountElement ?? 'IntrBkSttlmAmt', REASON.zeroAmount, 'amount must be greater than zero');
    } else if (options.directory) {
      const problem = options.directory.checkAmount(tx.amount.currency, parsed.minor);
      if (problem) at(tx.amountElement ?? 'IntrBkSttlmAmt', problem.code, problem.message);
    }
  }
  for (const bic of tx.bics) {
    if (!BIC.test(bic.value)) {
      findings.push({ code: REASON.invalidBic, path: `${options.rootPath}/${bic.path}`, line,
        message: `BIC ${bic.value} is not a valid BIC`, transactionId: tx.transactionId, transactionIndex: tx.index });
    }
  }
  for (const iban of tx.ibans) {
    if (!isValidIBAN(iban.value)) {
      findings.push({ code: REASON.invalidIban, path: `${options.rootPath}/${iban.path}`, line,
        message: `IBAN ${iban.value} fails its check digits or country format`,
        transactionId: tx.transactionId, transactionIndex: tx.index });
    }
  }
  if (tx.settlementDate !== undefined) {
    checkDate(tx.settlementDate, options, (code, message) => at('IntrBkSttlmDt', code, message));
  }
  if (options.directory) {
    for (const [relative, bic] of [['CdtrAgt/FinInstnId/BICFI', tx.creditorAgent], ['InstdAgt/FinInstnId/BICFI', tx.instructedAgent]] as const) {
      if (bic === undefined || !BIC.test(bic)) continue;
      const problem = options.directory.checkParticipant(bic);
      if (problem) at(relative, problem.code, problem.message);
    }
  }
  return findings;
}

/** Duplicate transaction ids and UETRs inside one message (across messages is the store's job). */
export function checkDuplicates(transactions: readonly TransactionFacts[], options: RuleOptions): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  for (const tx of transactions) {
    for (const [kind, value, relative] of [['TxId', tx.transactionId, 'id'], ['UETR', tx.uetr, 'PmtId/UETR']] as const) {
      if (value === undefined) continue;
      const key = `${kind}\u0000${value}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, tx.index);
        continue;
      }
      findings.push({
        code: REASON.duplicate, path: `${options.rootPath}/${tx.path}${kind === 'UETR' ? '/' + relative : ''}`,
        line: options.transactionLine?.(tx.index),
        message: `${kind} ${value} repeats transaction ${first + 1} of this message`,
        transactionId: tx.transactionId, transactionIndex: tx.index,
      });
    }
  }
  return findings;
}

function checkDate(date: string, options: RuleOptions, report: (code: string, message: string) => void): void {
  const match = DATE.exec(date);
  const valid = match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  if (!valid) {
    report(REASON.invalidDate, `${date} is not a calendar date`);
    return;
  }
  if (options.businessDate !== undefined && date < options.businessDate) {
    report(REASON.settlementDatePast, `settlement date ${date} is before the current business date ${options.businessDate}`);
  }
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1]!;
}

function sumScaled(transactions: readonly TransactionFacts[]): bigint | null {
  let sum = 0n;
  for (const tx of transactions) {
    if (!tx.amount) continue;
    const value = parseDecimalScaled(tx.amount.value, CONTROL_SUM_SCALE);
    if (value === null) return null;
    sum += value;
  }
  return sum;
}

function formatScaled(value: bigint): string {
  const digits = value.toString().padStart(CONTROL_SUM_SCALE + 1, '0');
  return `${digits.slice(0, -CONTROL_SUM_SCALE)}.${digits.slice(-CONTROL_SUM_SCALE)}`.replace(/\.?0+$/, '');
}
