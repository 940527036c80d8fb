/**
 * Scheme rules over the facts every message module extracts (switch/iso/message.ts): group-header
 * rules (counts, sums, dates), transaction rules (amount, currency decimals, BIC, IBAN, duplicate ids)
 * and, when a scheme configuration is given, the participant directory and limits.
 *
 * With the authenticated sender, every party a message binds to it must name it (a participant acts
 * only for itself, docs/scheme-rules.md "Who may send what"): the BAH From (pipeline.ts), the
 * instructing agent at group and transaction level, a payment's debtor agent, a return's original
 * creditor agent, a recall's case creator, a payee verification's assigner and first agent, and the
 * account servicer that answers one. Its BIC8 and BIC11 forms are the same institution.
 *
 * Pure functions: facts in, findings out. A rule never throws for bad input.
 * Rules run in a fixed order, so a message gets the same findings in the same order every time.
 */
import { validIban } from './iban.ts';
import { parseAmount, parseDecimalScaled, type AmountResult } from '../iso/amount.ts';
import type { Finding } from '../iso/finding.ts';
import type { AmountText, GroupFacts, MessageFacts, TransactionFacts } from '../iso/message.ts';
import { REASON } from '../iso/reason-codes.ts';
import { BIC_PATTERN as BIC, sameInstitution } from '../iso/bic.ts';
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
  /** The message version, e.g. 'pacs.008.001.08': rules that apply to some messages only need it. */
  readonly messageId?: string;
  /** Line of a transaction's element in the file, for locations. */
  readonly transactionLine?: (tx: TransactionFacts) => number | undefined;
  /** Line of the group header (or of the message root). */
  readonly groupLine?: number;
  /** The rules for a pacs.008 dated after the business date; without them any later date passes. */
  readonly futureDates?: FutureDateRules;
}

/**
 * A pacs.008 dated after the business date (docs/scheme-rules.md, "Future-dated payments"): a batch
 * payment is warehoused when its date is a business day no later than `latest`, else refused (DT03 a
 * weekend or holiday, DT04 beyond the horizon); a real-time payment is refused (DT04) when `realtime`
 * (the scheme runs LclInstrm INST as real time: it settles on the business date it is accepted).
 */
export interface FutureDateRules {
  /** The last settlement date accepted: the business date advanced by the scheme's horizon in business days. */
  readonly latest: string;
  readonly isBusinessDay: (date: string) => boolean;
  readonly realtime: boolean;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** CtrlSum is compared at 5 decimals, the most any ISO currency amount may carry. */
const CONTROL_SUM_SCALE = 5;

/**
 * The messages a participant sends that move money: their amounts are the message's own, in one
 * currency, within limits.amounts.messageMinorMax, and (pacs.008) of one service.
 */
const MONEY_MESSAGES: ReadonlySet<string> = new Set(['pacs.008.001.08', 'pacs.004.001.09']);
/**
 * Statements and advices (camt.052/053/054) report what was booked; their entries are not payments.
 * The payment rules stay off them: a payment's entry and its charges entry share a UETR, a settlement
 * instruction's entry may exceed the per-payment ceiling, and a bank named in an old entry need not be
 * in good standing today. The format rules (amounts, decimals, BIC, IBAN) still apply.
 */
const REPORT_MESSAGES: ReadonlySet<string> = new Set(['camt.052.001.08', 'camt.053.001.08', 'camt.054.001.08']);
/** Case messages: the group's instructing agent is the case assigner, repeated in each transaction's facts. */
const CASE_MESSAGES: ReadonlySet<string> = new Set(['camt.056.001.08', 'camt.029.001.09']);
/**
 * Further parties that must name the sender, by message (BICs are matched by their path in the
 * transaction): a return comes from the original payment's creditor agent; a recall's case is
 * created by the bank that recalls.
 */
const SENDER_PARTIES: Readonly<Record<string, RegExp>> = {
  'pacs.004.001.09': /\/OrgnlTxRef\/CdtrAgt\/FinInstnId\/BICFI$/,
  'camt.056.001.08': /(?:^|\/)Case\/Cretr\/Agt\/FinInstnId\/BICFI$/,
  // A payee bank reports on its own accounts only (docs/risk.md, "Payee verification").
  'acmt.024.001.04': /\/(?:Orgnl|Updtd)PtyAndAcctId\/Agt\/FinInstnId\/BICFI$/,
  // A participant asks for reports on its own account only (docs/reports.md, "Intraday report").
  'camt.060.001.05': /(?:^|\/)AcctOwnr\/(?:Agt\/FinInstnId\/BICFI|Pty\/Id\/OrgId\/AnyBIC)$/,
};
/** Where the group's instructing agent stands, by message (GrpHdr/InstgAgt for most). */
const INSTRUCTING_AGENT_PATH: Readonly<Record<string, string>> = {
  'camt.056.001.08': 'Assgnmt/Assgnr/Agt/FinInstnId/BICFI',
  'camt.029.001.09': 'Assgnmt/Assgnr/Agt/FinInstnId/BICFI',
  'acmt.023.001.04': 'Assgnmt/Assgnr/Agt/FinInstnId/BICFI',
  'acmt.024.001.04': 'Assgnmt/Assgnr/Agt/FinInstnId/BICFI',
};

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
  /** Money messages: the first transaction in another currency, or in another service, than the first. */
  private firstCurrency: string | undefined;
  private otherCurrency: TransactionFacts | undefined;
  private firstInstant: boolean | undefined;
  private otherService: TransactionFacts | undefined;
  /** Money messages: the sum of the amounts in minor units (each transaction's own currency, one currency unless refused). */
  private sumMinor = 0n;

  constructor(private readonly options: RuleOptions) {}

  private get moneyMessage(): boolean {
    return this.options.messageId !== undefined && MONEY_MESSAGES.has(this.options.messageId);
  }

  /** Check one transaction; returns its findings (transaction rules, then duplicates). */
  add(tx: TransactionFacts): Finding[] {
    this.count++;
    // Parsed once for the sums and the transaction's own rules (three parses per transaction before).
    const amount = tx.amount ? parseAmount(tx.amount.value, tx.amount.currency) : undefined;
    if (this.moneyMessage) this.addMoney(tx, amount);
    if (tx.amount) {
      const scaled = parseDecimalScaled(tx.amount.value, CONTROL_SUM_SCALE);
      this.controlSum = this.controlSum === null || scaled === null ? null : this.controlSum + scaled;
      if (this.totalProblem === undefined) {
        this.totalCurrency ??= tx.amount.currency;
        if (tx.amount.currency !== this.totalCurrency) {
          this.totalProblem = { kind: 'currency', index: tx.index, currency: tx.amount.currency };
        } else {
          if (amount!.ok) this.totalMinor += amount!.minor;
          else this.totalProblem = { kind: 'unparseable' };
        }
      }
    }
    const findings = checkTransaction(tx, this.options, amount);
    if (isReportMessage(this.options.messageId)) return findings;
    this.checkDuplicate(tx, 'TxId', tx.transactionId, this.seenTransactionIds, findings);
    this.checkDuplicate(tx, 'UETR', tx.uetr, this.seenUetrs, findings);
    return findings;
  }

  /** One currency, one service and a bounded sum per money message. */
  private addMoney(tx: TransactionFacts, amount: AmountResult | undefined): void {
    const instant = tx.localInstrument === 'INST';
    this.firstInstant ??= instant;
    if (instant !== this.firstInstant) this.otherService ??= tx;
    if (!tx.amount) return;
    this.firstCurrency ??= tx.amount.currency;
    if (tx.amount.currency !== this.firstCurrency) this.otherCurrency ??= tx;
    if (amount!.ok) this.sumMinor += amount!.minor;
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
      findings.push({ code, path: relative ? `${options.rootPath}/${relative}` : options.rootPath, line: options.groupLine, message });
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
      const problem = checkDate(group.settlementDate, options, this.firstInstant === true);
      if (problem) at('GrpHdr/IntrBkSttlmDt', problem.code, problem.message);
    }
    if (this.moneyMessage) this.finishMoney(at);
    this.checkSender(group, at);
    return findings;
  }

  /**
   * The sender in good standing for this message, and the group's instructing agent the sender
   * itself (without a sender: an active party of the scheme).
   */
  private checkSender(group: GroupFacts, at: (relative: string, code: string, message: string) => void): void {
    const { sender, directory, messageId } = this.options;
    const agentPath = INSTRUCTING_AGENT_PATH[messageId ?? ''] ?? 'GrpHdr/InstgAgt/FinInstnId/BICFI';
    if (sender !== undefined && directory) {
      const problem = directory.checkSender(sender, messageId);
      if (problem) at('', problem.code, `sender ${sender}: ${problem.message}`);
    }
    for (const party of group.senderParties ?? []) {
      if (sender !== undefined && BIC.test(party.value) && !sameInstitution(party.value, sender)) {
        at(party.path, REASON.senderMismatch, `${party.value} is not the authenticated sender ${sender}`);
      }
    }
    if (group.instructingAgent === undefined) return;
    if (sender !== undefined) {
      if (!sameInstitution(group.instructingAgent, sender)) {
        at(agentPath, REASON.senderMismatch, `instructing agent ${group.instructingAgent} is not the authenticated sender ${sender}`);
      }
    } else if (directory) {
      const problem = directory.checkParticipant(group.instructingAgent);
      if (problem) at(agentPath, problem.code, problem.message);
    }
  }

  /** Money messages: refused whole when they mix currencies or services, or exceed the message ceiling. */
  private finishMoney(at: (relative: string, code: string, message: string) => void): void {
    const currency = this.otherCurrency;
    if (currency?.amount) {
      at(`${currency.path}/${currency.amountElement ?? 'IntrBkSttlmAmt'}`, REASON.mixedCurrencies,
        `transaction ${currency.index + 1} is in ${currency.amount.currency}, the message in ${this.firstCurrency}: a message settles in one currency`);
    }
    const service = this.otherService;
    if (service) {
      at(`${service.path}/PmtTpInf/LclInstrm/Cd`, REASON.mixedServices,
        `transaction ${service.index + 1} is ${service.localInstrument === 'INST' ? 'real-time (INST)' : 'batch'}, the first is not: ` +
        'real-time and batch payments travel in separate messages');
    }
    if (this.sumMinor > limits.amounts.messageMinorMax) {
      at('GrpHdr', REASON.messageAmountOverMaximum,
        `the transactions sum to ${this.sumMinor} minor units, above the scheme's ceiling of ${limits.amounts.messageMinorMax} per message`);
    }
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
    if (problem?.kind === 'currency' && this.moneyMessage) return; // reported as mixed currencies
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

/**
 * One transaction's rules. No closure is made per transaction: under tsx, whose keepNames wrapped every
 * function expression in a naming call (Object.defineProperty), four per transaction were a measurable
 * cost (decision 85); bin/ts-hooks.js adds no naming call (decision 97), but each is still an allocation.
 */
export function checkTransaction(tx: TransactionFacts, options: RuleOptions,
  parsedAmount?: AmountResult): Finding[] {
  const findings: Finding[] = [];
  const line = options.transactionLine?.(tx);
  const at = new TransactionFindings(findings, options, tx, line);
  if (tx.amount) {
    // `parsedAmount`: the same amount already parsed by the caller (MessageChecker.add).
    const parsed = parsedAmount ?? parseAmount(tx.amount.value, tx.amount.currency);
    if (!parsed.ok) {
      at.add(tx.amountElement ?? 'IntrBkSttlmAmt', parsed.reason === 'decimals' ? REASON.decimalsInvalid
        : parsed.reason === 'currency' ? REASON.currencyInvalid : REASON.amountInvalid,
        parsed.reason === 'decimals'
          ? `amount ${tx.amount.value} has more decimals than ${tx.amount.currency} allows`
          : `amount ${tx.amount.value} ${tx.amount.currency}: ${parsed.reason === 'currency' ? 'unknown currency' : 'not a decimal amount'}`);
    } else if (isReportMessage(options.messageId)) {
      // A booked entry: its amount is what it is (zero-amount entries and settlement totals included).
    } else if (parsed.minor <= 0n) {
      at.add(tx.amountElement ?? 'IntrBkSttlmAmt', REASON.zeroAmount, 'amount must be greater than zero');
    } else if (parsed.minor > limits.amounts.paymentMinorMax) {
      at.add(tx.amountElement ?? 'IntrBkSttlmAmt', REASON.amountOverMaximum,
        `amount of ${parsed.minor} minor units exceeds the clearing system's ceiling of ${limits.amounts.paymentMinorMax} per payment`);
    } else if (options.directory) {
      const problem = options.directory.checkAmount(tx.amount.currency, parsed.minor, tx.localInstrument);
      if (problem) at.add(tx.amountElement ?? 'IntrBkSttlmAmt', problem.code, problem.message);
    }
  }
  for (const bic of tx.bics) {
    if (!BIC.test(bic.value)) {
      findings.push({ code: REASON.invalidBic, path: `${options.rootPath}/${bic.path}`, line,
        message: `BIC ${bic.value} is not a valid BIC`, transactionId: tx.transactionId, transactionIndex: tx.index });
    }
  }
  for (const iban of tx.ibans) {
    if (!validIban(iban.value)) {
      findings.push({ code: REASON.invalidIban, path: `${options.rootPath}/${iban.path}`, line,
        message: `IBAN ${iban.value} fails its check digits or country format`,
        transactionId: tx.transactionId, transactionIndex: tx.index });
    }
  }
  if (tx.settlementDate !== undefined) {
    const problem = checkDate(tx.settlementDate, options, tx.localInstrument === 'INST');
    if (problem) at.add('IntrBkSttlmDt', problem.code, problem.message);
  }
  if (!isReportMessage(options.messageId)) checkParties(tx, options, at, findings);
  return findings;
}

/** camt.052/053/054: a report of bookings, to which the payment rules do not apply. */
export function isReportMessage(messageId: string | undefined): boolean {
  return messageId !== undefined && REPORT_MESSAGES.has(messageId);
}

/**
 * The parties of one transaction: those bound to the sender name it; the debtor and creditor agents
 * of a payment are participants in good standing configured for its currency (never the switch or
 * the settlement agent); an instructed agent is a party of the scheme.
 */
function checkParties(tx: TransactionFacts, options: RuleOptions, at: TransactionFindings, findings: Finding[]): void {
  const { sender, directory, messageId } = options;
  const currency = tx.amount?.currency;
  if (sender !== undefined) {
    if (!CASE_MESSAGES.has(messageId ?? '')) bound(at, sender, 'InstgAgt/FinInstnId/BICFI', 'instructing agent', tx.instructingAgent);
    bound(at, sender, 'DbtrAgt/FinInstnId/BICFI', 'debtor agent', tx.debtorAgent);
    const pattern = SENDER_PARTIES[messageId ?? ''];
    for (const bic of pattern ? tx.bics : []) {
      if (!pattern!.test(bic.path) || !BIC.test(bic.value) || sameInstitution(bic.value, sender)) continue;
      findings.push({ code: REASON.senderMismatch, path: `${options.rootPath}/${bic.path}`, line: options.transactionLine?.(tx),
        message: `${bic.value} is not the authenticated sender ${sender}`, transactionId: tx.transactionId, transactionIndex: tx.index });
    }
  }
  if (!directory) return;
  if (validBic(tx.debtorAgent) && (sender === undefined || sameInstitution(tx.debtorAgent, sender))) {
    const problem = directory.checkAgent(tx.debtorAgent, 'debtor', currency);
    // With a sender, its own standing is checked once for the whole message.
    if (problem && (sender === undefined || !problem.standing)) at.add('DbtrAgt/FinInstnId/BICFI', problem.code, problem.message);
  }
  if (validBic(tx.creditorAgent)) {
    const problem = directory.checkAgent(tx.creditorAgent, 'creditor', currency);
    if (problem) at.add('CdtrAgt/FinInstnId/BICFI', problem.code, problem.message);
  }
  if (validBic(tx.instructedAgent)) {
    const problem = directory.checkParticipant(tx.instructedAgent);
    if (problem) at.add('InstdAgt/FinInstnId/BICFI', problem.code, problem.message);
  }
}

/** A transaction's findings, each at a path relative to the transaction element. */
class TransactionFindings {
  constructor(private readonly findings: Finding[], private readonly options: RuleOptions, private readonly tx: TransactionFacts,
    private readonly line: number | undefined) {}
  add(relative: string, code: string, message: string): void {
    const { tx } = this;
    this.findings.push({
      code, path: `${this.options.rootPath}/${tx.path}${relative ? '/' + relative : ''}`, line: this.line, message,
      transactionId: tx.transactionId, transactionIndex: tx.index,
    });
  }
}

function validBic(bic: string | undefined): bic is string {
  return bic !== undefined && BIC.test(bic);
}

/** A party bound to the sender: it must name the sender. */
function bound(at: TransactionFindings, sender: string, relative: string, role: string, bic: string | undefined): void {
  if (validBic(bic) && !sameInstitution(bic, sender)) at.add(relative, REASON.senderMismatch, `${role} ${bic} is not the authenticated sender ${sender}`);
}

/** The settlement-date rules: the first problem, if any. */
function checkDate(date: string, options: RuleOptions, instant: boolean): { readonly code: string; readonly message: string } | undefined {
  const match = DATE.exec(date);
  const valid = match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  if (!valid) return { code: REASON.invalidDate, message: `${date} is not a calendar date` };
  if (options.businessDate !== undefined && date < options.businessDate) {
    return { code: REASON.settlementDatePast, message: `settlement date ${date} is before the current business date ${options.businessDate}` };
  }
  const rules = options.futureDates;
  if (rules === undefined || options.businessDate === undefined || date <= options.businessDate || options.messageId !== 'pacs.008.001.08') return undefined;
  if (instant && rules.realtime) {
    return { code: REASON.settlementDateTooFarAhead, message: `a real-time payment settles on the business date it is accepted (${options.businessDate}); ` +
      `settlement date ${date} is in the future` };
  } else if (date > rules.latest) {
    return { code: REASON.settlementDateTooFarAhead, message: `settlement date ${date} is beyond the scheme's horizon for future-dated payments ` +
      `(the latest accepted now is ${rules.latest})` };
  } else if (!rules.isBusinessDay(date)) {
    return { code: REASON.settlementDateNotBusinessDay, message: `settlement date ${date} is not a business day (weekend or holiday)` };
  }
  return undefined;
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
