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
import { BIC_PATTERN as BIC } from '../iso/bic.ts';
import type { Finding } from '../iso/finding.ts';
import type { AmountText, GroupFacts, MessageFacts, TransactionFacts } from '../iso/message.ts';
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
  /** Line of a transaction's element in the file, for locations. */
  readonly transactionLine?: (tx: TransactionFacts) => number | undefined;
  /** Line of the group header (or of the message root). */
  readonly groupLine?: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** CtrlSum is compared at 5 decimals, the most any ISO currency amount may carry. */
const CONTROL_SUM_SCALE = 5;

/**
 * Group-level findings make the whole message RJCT; transaction findings carry transactionIndex and
 * reject only their transaction (file outcome PART when others pass). Group findings come first.
 */
export function checkMessage(facts: MessageFacts, options: RuleOptions): Finding[] {
  const checker = new MessageChecker(options);
  const transactionFindings = facts.transactions.flatMap((tx) => checker.add(tx));
  return [...checker.finish(facts.group), ...transactionFindings];
}

/**
 * The rules applied one transaction at a time, keeping only what the group rules need (count, sums,
 * the ids seen): a 100,000-transaction file is checked without holding its facts.
 */
export class MessageChecker {
  private count = 0;
  /** Sum of amounts at CONTROL_SUM_SCALE, or null once an amount is not a decimal. */
  private controlSum: bigint | null = 0n;
  /** Sum in minor units for the total amount check, in the first currency seen. */
  private totalMinor = 0n;
  private totalCurrency: string | undefined;
  private totalProblem: { kind: 'currency'; index: number; currency: string } | { kind: 'unparseable' } | undefined;
  private readonly seenTransactionIds = new Map<string, number>();
  private readonly seenUetrs = new Map<string, number>();

  constructor(private readonly options: RuleOptions) {}

  /** Check one transaction; returns its findings (transaction rules, then duplicates). */
  add(tx: TransactionFacts): Finding[] {
    this.count++;
    if (tx.amount) {
      const scaled = parseDecimalScaled(tx.amount.value, CONTROL_SUM_SCALE);
      this.controlSum = this.controlSum === null || scaled === null ? null : this.controlSum + scaled;
      if (this.totalProblem === undefined) {
        this.totalCurrency ??= tx.amount.currency;
        if (tx.amount.currency !== this.totalCurrency) {
          this.totalProblem = { kind: 'currency', index: tx.index, currency: tx.amount.currency };
        } else {
          const parsed = parseAmount(tx.amount.value, tx.amount.currency);
          if (parsed.ok) this.totalMinor += parsed.minor;
          else this.totalProblem = { kind: 'unparseable' };
        }
      }
    }
    const findings = checkTransaction(tx, this.options);
    this.checkDuplicate(tx, 'TxId', tx.transactionId, this.seenTransactionIds, findings);
    this.checkDuplicate(tx, 'UETR', tx.uetr, this.seenUetrs, findings);
    return findings;
  }

  private checkDuplicate(tx: TransactionFacts, kind: 'TxId' | 'UETR', value: string | undefined,
    seen: Map<string, number>, findings: Finding[]): void {
    if (value === undefined) return;
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, tx.index);
      return;
    }
    findings.push({
      code: REASON.duplicate, path: `${this.options.rootPath}/${tx.path}${kind === 'UETR' ? '/PmtId/UETR' : ''}`,
      line: this.options.transactionLine?.(tx),
      message: `${kind} ${value} repeats transaction ${first + 1} of this message`,
      transactionId: tx.transactionId, transactionIndex: tx.index,
    });
  }

  /** The group-header rules, once every transaction has been added. */
  finish(group: GroupFacts): Finding[] {
    const options = this.options;
    const findings: Finding[] = [];
    const at = (relative: string, code: string, message: string): void => {
      findings.push({ code, path: `${options.rootPath}/${relative}`, line: options.groupLine, message });
    };
    if (group.numberOfTransactions !== undefined && Number(group.numberOfTransactions) !== this.count) {
      at('GrpHdr/NbOfTxs', REASON.numberOfTransactionsMismatch,
        `NbOfTxs is ${group.numberOfTransactions} but the message holds ${this.count} transactions`);
    }
    if (this.count > limits.transactionsPerMessageMax) {
      at('GrpHdr/NbOfTxs', REASON.tooManyTransactions,
        `${this.count} transactions exceed the scheme limit of ${limits.transactionsPerMessageMax}`);
    }
    if (group.controlSum !== undefined) {
      const declared = parseDecimalScaled(group.controlSum, CONTROL_SUM_SCALE);
      if (declared === null || this.controlSum === null || declared !== this.controlSum) {
        at('GrpHdr/CtrlSum', REASON.controlSumMismatch,
          `CtrlSum ${group.controlSum} does not equal the sum of the transaction amounts` +
          (this.controlSum === null ? '' : ` (${formatScaled(this.controlSum)})`));
      }
    }
    if (group.totalAmount !== undefined) this.checkTotal(group.totalAmount, at);
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

  private checkTotal(total: AmountText, at: (relative: string, code: string, message: string) => void): void {
    const parsed = parseAmount(total.value, total.currency);
    if (!parsed.ok) {
      at('GrpHdr/TtlIntrBkSttlmAmt', parsed.reason === 'decimals' ? REASON.decimalsInvalid : REASON.currencyInvalid,
        `total amount ${total.value} ${total.currency} is not valid for its currency (${parsed.reason})`);
      return;
    }
    const problem = this.totalProblem;
    if (problem?.kind === 'unparseable') return; // reported on the transaction itself
    if (problem?.kind === 'currency' || (this.totalCurrency !== undefined && this.totalCurrency !== total.currency)) {
      const [index, currency] = problem?.kind === 'currency' ? [problem.index, problem.currency] : [0, this.totalCurrency!];
      at('GrpHdr/TtlIntrBkSttlmAmt', REASON.totalAmountMismatch,
        `total is in ${total.currency} but transaction ${index + 1} is in ${currency}`);
      return;
    }
    if (this.totalMinor !== parsed.minor) {
      at('GrpHdr/TtlIntrBkSttlmAmt', REASON.totalAmountMismatch,
        `total ${total.value} ${total.currency} does not equal the sum of the transactions`);
    }
  }
}

export function checkTransaction(tx: TransactionFacts, options: RuleOptions): Finding[] {
  const findings: Finding[] = [];
  const line = options.transactionLine?.(tx);
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
      const problem = options.directory.checkAmount(tx.amount.currency, parsed.minor, tx.localInstrument);
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

function formatScaled(value: bigint): string {
  const digits = value.toString().padStart(CONTROL_SUM_SCALE + 1, '0');
  return `${digits.slice(0, -CONTROL_SUM_SCALE)}.${digits.slice(-CONTROL_SUM_SCALE)}`.replace(/\.?0+$/, '');
}
