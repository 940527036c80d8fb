/**
 * Counterparties for the demo and the tests, talking to the switch only through mailboxes, as real
 * ones would: they read what the switch delivered to them and submit their answers.
 *
 *  SettlementAgentSimulator  keeps settlement accounts per participant and currency, books each pacs.009
 *                            once and answers it with a pacs.002: ACSC, or RJCT AM04 when the debit is
 *                            beyond the account's balance (or the participant is in `rejectParticipants`).
 *  BankSimulator             answers each real-time pacs.008 forwarded to the bank with a pacs.002:
 *                            ACCP, RJCT (AC04 closed account) or nothing at all (to test timeouts).
 */
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs009 } from '../iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parsePacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs028 } from '../iso/messages/pacs.028.001.03/index.ts';
import type { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { Engine } from '../engine/engine.ts';
import { isoDateTime } from '../engine/context.ts';
import { parseAmount } from '../iso/amount.ts';
import { signDetached } from '../../connectors/signing/cms.ts';
import type { KeyAndCertificate } from '../../connectors/signing/pki.ts';

/** One booking on the agent's books: a participant's settlement account debited or credited. */
export interface SettlementBooking {
  /** The pacs.009's InstrId/TxId (the switch's `C<cycle>-A<attempt>-<BIC>-<CCY>`). */
  readonly instructionId: string;
  readonly messageId: string;
  /** The cycle the instruction is for, read from its id (undefined when the id has another form). */
  readonly cycleId: string | undefined;
  readonly participant: string;
  readonly currency: string;
  readonly direction: 'DEBIT' | 'CREDIT';
  readonly amountMinor: bigint;
  /** As the participant's balance moved: negative for a debit. */
  readonly signedMinor: bigint;
}

/** Opening balance of a participant account nobody funded explicitly (the demo's and tools' default). */
export const DEFAULT_OPENING_BALANCE_MINOR = 1_000_000_000_000n;

export interface SettlementAgentOptions {
  /** Opening balance of every participant account not listed in `openingBalances` (default DEFAULT_OPENING_BALANCE_MINOR). */
  readonly openingBalanceMinor?: bigint;
  /** Opening balances per participant BIC and currency, in minor units. */
  readonly openingBalances?: Readonly<Record<string, Readonly<Record<string, bigint>>>>;
  /**
   * Run as a separate counterparty: each answer is signed with this key and certificate (the agent's,
   * from the scheme PKI) and put into the agent's inbound/ with its detached signature (FILE.p7s), for
   * the switch to read through the agent's connector and verify; without it answers go straight to
   * the engine (the in-process `--simulate-settlement` shortcut).
   */
  readonly signer?: KeyAndCertificate;
  /**
   * In-process (no signer): also keep each answer as a file in the agent's mailbox (inbound/, then
   * archive/ once the switch took it), so that the agent's folder holds both directions (the demo's evidence).
   */
  readonly fileAnswers?: boolean;
}

/**
 * The settlement agent (the central bank's RTGS) with real books: a settlement account per
 * participant and currency, and the clearing house's technical account (`switchBic`) the participants
 * pay into and are paid from. Each pacs.009 is booked at most once (by its InstrId and by its MsgId: a
 * replayed instruction is answered again with the first answer and not booked again); a debit beyond
 * the participant's balance is refused (pacs.002 RJCT AM04). `rejectParticipants` refuses a
 * participant's instructions whatever its balance (a secondary test aid).
 */
export class SettlementAgentSimulator {
  private answered = 0;
  private readonly balances = new Map<string, bigint>();
  private readonly bookingList: SettlementBooking[] = [];
  /** First answer per instruction id and per MsgId: replays get it again. */
  private readonly answers = new Map<string, { settled: boolean }>();

  constructor(
    private readonly engine: Engine,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    readonly rejectParticipants: Set<string> = new Set(),
    private readonly options: SettlementAgentOptions = {},
  ) {}

  /** The balance of `participant`'s account in `currency` (opened at its opening balance when first seen). */
  balance(participant: string, currency: string): bigint {
    const key = `${participant}|${currency}`;
    let value = this.balances.get(key);
    if (value === undefined) {
      value = participant === this.engine.switchBic ? 0n
        : this.options.openingBalances?.[participant]?.[currency] ?? this.options.openingBalanceMinor ?? DEFAULT_OPENING_BALANCE_MINOR;
      this.balances.set(key, value);
    }
    return value;
  }

  /** Pays `amountMinor` into (or, negative, out of) a participant's account: funding by other means. */
  fund(participant: string, currency: string, amountMinor: bigint): void {
    this.balances.set(`${participant}|${currency}`, this.balance(participant, currency) + amountMinor);
  }

  /** Sets a participant's balance outright (tests: an account that cannot cover its debit). */
  setBalance(participant: string, currency: string, amountMinor: bigint): void {
    this.balance(participant, currency);
    this.balances.set(`${participant}|${currency}`, amountMinor);
  }

  /** The books: every account's balance and every booking, in the order booked. */
  books(): { readonly balances: { participant: string; currency: string; balanceMinor: bigint }[]; readonly bookings: readonly SettlementBooking[] } {
    const balances = [...this.balances].map(([key, balanceMinor]) => {
      const [participant, currency] = key.split('|') as [string, string];
      return { participant, currency, balanceMinor };
    }).sort((a, b) => (a.participant + a.currency < b.participant + b.currency ? -1 : 1));
    return { balances, bookings: [...this.bookingList] };
  }

  /** Sum of the bookings per participant and currency (`cycleId` given: that cycle's only), e.g. 'BANKDEFFXXX|EUR' -> -1050n. */
  bookedPerParticipant(cycleId?: bigint | string): Map<string, bigint> {
    const sums = new Map<string, bigint>();
    for (const b of this.bookingList) {
      if (cycleId !== undefined && b.cycleId !== cycleId.toString()) continue;
      const key = `${b.participant}|${b.currency}`;
      sums.set(key, (sums.get(key) ?? 0n) + b.signedMinor);
    }
    return sums;
  }

  /** Answer every instruction waiting in the agent's mailbox; returns how many were answered. */
  async answerAll(): Promise<number> {
    let count = 0;
    for (const file of this.mailboxes.outbound(this.bic)) {
      if ((!file.startsWith('pacs.009') && !file.startsWith('pacs.028')) || file.endsWith('.p7s')) continue;
      let text: string;
      try {
        text = this.mailboxes.read(this.bic, 'outbound', file).toString('utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken by another simulator
        throw error;
      }
      const xml = file.startsWith('pacs.028') ? this.answerQuery(text) : this.answer(text);
      if (xml === undefined) {
        archiveUnlessGone(this.mailboxes, this.bic, file);
        continue;
      }
      await this.send(xml, `answer-${file}`);
      // Another simulator process may have answered and archived the same instruction first: its
      // answer and ours are the same, the engine takes one and ignores the other.
      archiveUnlessGone(this.mailboxes, this.bic, file);
      count++;
    }
    return count;
  }

  private async send(xml: string, fileName: string): Promise<void> {
    const bytes = new TextEncoder().encode(xml);
    if (!this.options.signer) {
      await submitKept(this.engine, this.options.fileAnswers ? this.mailboxes : undefined, this.bic, fileName, bytes);
      return;
    }
    // The signature first: the switch takes a file only with its .p7s beside it.
    this.mailboxes.put(this.bic, `${fileName}.p7s`, signDetached(bytes, { ...this.options.signer, signingTime: this.engine.clock.now() }));
    this.mailboxes.put(this.bic, fileName, bytes);
  }

  /** Books one pacs.009 (unless already booked) and returns the pacs.002 that answers it. */
  answer(text: string): string {
    const instruction = parsePacs009(text);
    const t = instruction.transactions[0]!;
    const instructionId = t.paymentIdentification.instructionId ?? t.paymentIdentification.transactionId ?? instruction.groupHeader.messageId;
    const messageId = instruction.groupHeader.messageId;
    const debit = t.creditor === this.engine.switchBic;
    const participant = debit ? t.debtor : t.creditor;
    const currency = t.interbankSettlementAmount.currency;
    const parsed = parseAmount(t.interbankSettlementAmount.value, currency);
    let outcome = this.answers.get(`I|${instructionId}`) ?? this.answers.get(`M|${messageId}`);
    let reason: string | undefined;
    if (outcome === undefined) {
      const amountMinor = parsed.ok ? parsed.minor : -1n;
      if (amountMinor <= 0n) reason = 'AM12';
      else if (this.rejectParticipants.has(participant) || (debit && this.balance(participant, currency) < amountMinor)) reason = 'AM04';
      outcome = { settled: reason === undefined };
      if (outcome.settled) this.book({ instructionId, messageId, participant, currency, debit, amountMinor });
      this.answers.set(`I|${instructionId}`, outcome);
      this.answers.set(`M|${messageId}`, outcome);
    } else if (!outcome.settled) {
      reason = 'AM04';
    }
    return buildPacs002({
      groupHeader: { messageId: `RTGS-${++this.answered}-${messageId}`.slice(0, 35), creationDateTime: isoDateTime(this.engine.clock.now()),
        instructingAgent: this.bic, instructedAgent: this.engine.switchBic },
      originalGroups: [{ originalMessageId: messageId, originalMessageNameId: 'pacs.009.001.08' }],
      transactions: [{
        originalTransactionId: t.paymentIdentification.transactionId, transactionStatus: outcome.settled ? 'ACSC' : 'RJCT',
        ...(outcome.settled ? {} : { statusReasons: [{ reason: { code: reason ?? 'AM04' },
          additionalInformation: [reason === 'AM12' ? 'invalid amount' : 'insufficient funds on the settlement account'] }] }),
      }],
    });
  }

  /**
   * A status request (pacs.028) about instructions: answered with the pacs.002 of the first answer
   * (nothing booked); an instruction the agent never received is not answered (undefined when none is known).
   */
  answerQuery(text: string): string | undefined {
    const request = parsePacs028(text);
    const known = request.transactions.map((t) => ({ id: t.originalTransactionId ?? t.originalInstructionId ?? '', outcome:
      this.answers.get(`I|${t.originalTransactionId ?? t.originalInstructionId ?? ''}`) })).filter((k) => k.outcome !== undefined);
    if (known.length === 0) return undefined;
    return buildPacs002({
      groupHeader: { messageId: `RTGS-${++this.answered}-${request.groupHeader.messageId}`.slice(0, 35), creationDateTime: isoDateTime(this.engine.clock.now()),
        instructingAgent: this.bic, instructedAgent: this.engine.switchBic },
      originalGroups: [{ originalMessageId: request.originalGroups[0]?.originalMessageId ?? request.groupHeader.messageId, originalMessageNameId: 'pacs.009.001.08' }],
      transactions: known.map((k) => ({ originalTransactionId: k.id, transactionStatus: k.outcome!.settled ? 'ACSC' : 'RJCT',
        ...(k.outcome!.settled ? {} : { statusReasons: [{ reason: { code: 'AM04' } }] }) })),
    });
  }

  private book(b: { instructionId: string; messageId: string; participant: string; currency: string; debit: boolean; amountMinor: bigint }): void {
    const signedMinor = b.debit ? -b.amountMinor : b.amountMinor;
    this.balances.set(`${b.participant}|${b.currency}`, this.balance(b.participant, b.currency) + signedMinor);
    const technical = this.engine.switchBic;
    this.balances.set(`${technical}|${b.currency}`, this.balance(technical, b.currency) - signedMinor);
    this.bookingList.push({ instructionId: b.instructionId, messageId: b.messageId, cycleId: /^C(\d+)-/.exec(b.instructionId)?.[1],
      participant: b.participant, currency: b.currency, direction: b.debit ? 'DEBIT' : 'CREDIT', amountMinor: b.amountMinor, signedMinor });
  }
}

export type BankAnswer = 'accept' | 'reject' | 'silent';

export class BankSimulator {
  private answered = 0;
  constructor(
    private readonly engine: Pick<Engine, 'submit' | 'clock' | 'switchBic'>,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    private readonly policy: (transactionId: string) => BankAnswer = () => 'accept',
    /** Also keep each answer as a file in the bank's mailbox (inbound/, then archive/): the demo's evidence. */
    private readonly fileAnswers = false,
  ) {}

  /** Answer every real-time payment forwarded to the bank; returns how many were answered. */
  async answerRealtime(): Promise<number> {
    let count = 0;
    for (const file of this.mailboxes.outbound(this.bic)) {
      if (!file.startsWith('pacs.008')) continue;
      const message = parsePacs008(this.mailboxes.read(this.bic, 'outbound', file).toString('utf8'));
      const realtime = message.transactions.length === 1 &&
        message.transactions[0]!.paymentTypeInformation?.localInstrument !== undefined &&
        'code' in message.transactions[0]!.paymentTypeInformation.localInstrument &&
        message.transactions[0]!.paymentTypeInformation.localInstrument.code === 'INST';
      if (!realtime) continue;
      const t = message.transactions[0]!;
      const answer = this.policy(t.paymentIdentification.transactionId ?? '');
      if (answer === 'silent') {
        this.mailboxes.archiveOutbound(this.bic, file);
        continue;
      }
      const xml = buildPacs002({
        groupHeader: { messageId: `${this.bic.slice(0, 8)}-ANS-${++this.answered}`, creationDateTime: isoDateTime(this.engine.clock.now()),
          instructingAgent: this.bic, instructedAgent: this.engine.switchBic },
        originalGroups: [{ originalMessageId: message.groupHeader.messageId, originalMessageNameId: 'pacs.008.001.08' }],
        transactions: [{
          originalEndToEndId: t.paymentIdentification.endToEndId,
          ...(t.paymentIdentification.transactionId ? { originalTransactionId: t.paymentIdentification.transactionId } : {}),
          ...(t.paymentIdentification.uetr ? { originalUetr: t.paymentIdentification.uetr } : {}),
          transactionStatus: answer === 'accept' ? 'ACCP' : 'RJCT',
          ...(answer === 'reject' ? { statusReasons: [{ reason: { code: 'AC04' } }] } : {}),
        }],
      });
      await submitKept(this.engine, this.fileAnswers ? this.mailboxes : undefined, this.bic, `answer-${file}`, new TextEncoder().encode(xml));
      // Answered (stored by the switch): only now is the delivered file moved away.
      this.mailboxes.archiveOutbound(this.bic, file);
      count++;
    }
    return count;
  }
}

/**
 * Submits a party's message to the switch; with `mailboxes`, the file is first put into the party's
 * inbound/ and archived once the switch stored it, as a connector would leave it.
 */
export async function submitKept(engine: Pick<Engine, 'submit'>, mailboxes: DirectoryMailboxes | undefined, sender: string, fileName: string, bytes: Uint8Array) {
  if (!mailboxes) return engine.submit({ bytes, sender, fileName });
  mailboxes.put(sender, fileName, bytes);
  const result = await engine.submit({ bytes, sender, fileName });
  mailboxes.archive(sender, fileName);
  return result;
}

function archiveUnlessGone(mailboxes: DirectoryMailboxes, bic: string, file: string): void {
  try {
    mailboxes.archiveOutbound(bic, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
