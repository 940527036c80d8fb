/**
 * The settlement agent of the simulation, with books: a settlement account per participant and
 * currency with an opening balance, and a ledger of every instruction it booked. It answers each
 * pacs.009 waiting in its mailbox with a pacs.002: ACSC when it books it, RJCT AM04 when the debit
 * would take the participant's account below zero (that is how settlement failures arise, not by a
 * flag). Its answers are written into its own mailbox (inbound/, then archive/) before it submits
 * them, so that the books can be checked from the files alone (docs/simulation.md).
 *
 * Deliberately separate from switch/demo/simulators.ts SettlementAgentSimulator: the judge of the
 * simulation reads these books, never the switch's tables.
 */
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs009 } from '../iso/messages/pacs.009.001.08/index.ts';
import { parseAmount } from '../iso/amount.ts';
import type { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { Engine } from '../engine/engine.ts';
import { isoDateTime } from '../engine/context.ts';

export interface LedgerEntry {
  /** The instruction's MsgId and TxId (C<cycle>-A<attempt>-<BIC>-<CCY>). */
  readonly messageId: string;
  readonly transactionId: string;
  readonly cycle: string;
  readonly participant: string;
  readonly currency: string;
  /** Signed minor units: negative debits the participant's account. */
  readonly amountMinor: bigint;
  readonly status: 'ACSC' | 'RJCT';
}

export class AgentBooks {
  private answered = 0;
  readonly ledger: LedgerEntry[] = [];
  /** Payments into settlement accounts during the day (fund), in order. */
  private readonly funding: string[] = [];
  /** Balance per `${participant} ${currency}`. */
  readonly balances = new Map<string, bigint>();

  constructor(
    private readonly engine: Pick<Engine, 'submit' | 'clock' | 'switchBic'>,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    opening: ReadonlyMap<string, bigint>,
  ) {
    for (const [key, value] of opening) this.balances.set(key, value);
  }

  /** Answer every instruction waiting in the agent's mailbox, in name order; returns how many. */
  async answerAll(): Promise<number> {
    let count = 0;
    for (const file of this.mailboxes.outbound(this.bic)) {
      if (!file.startsWith('pacs.009')) continue;
      const instruction = parsePacs009(this.mailboxes.read(this.bic, 'outbound', file).toString('utf8'));
      const t = instruction.transactions[0]!;
      const participant = t.debtor === this.engine.switchBic ? t.creditor : t.debtor;
      const currency = t.interbankSettlementAmount.currency;
      const parsed = parseAmount(t.interbankSettlementAmount.value, currency);
      if (!parsed.ok) throw new Error(`settlement agent: ${file} carries an amount it cannot read`);
      const signed = t.debtor === this.engine.switchBic ? parsed.minor : -parsed.minor;
      const key = `${participant} ${currency}`;
      const balance = this.balances.get(key) ?? 0n;
      const covered = balance + signed >= 0n;
      if (covered) this.balances.set(key, balance + signed);
      const transactionId = t.paymentIdentification.transactionId ?? '';
      this.ledger.push({ messageId: instruction.groupHeader.messageId, transactionId, cycle: /^C(\d+)-/.exec(transactionId)?.[1] ?? '?',
        participant, currency, amountMinor: signed, status: covered ? 'ACSC' : 'RJCT' });
      const messageId = `RTGS-${String(++this.answered).padStart(6, '0')}`;
      const xml = buildPacs002({
        groupHeader: { messageId, creationDateTime: isoDateTime(this.engine.clock.now()), instructingAgent: this.bic, instructedAgent: this.engine.switchBic },
        originalGroups: [{ originalMessageId: instruction.groupHeader.messageId, originalMessageNameId: 'pacs.009.001.08' }],
        transactions: [{
          originalTransactionId: transactionId, transactionStatus: covered ? 'ACSC' : 'RJCT',
          ...(covered ? {} : { statusReasons: [{ reason: { code: 'AM04' }, additionalInformation: ['insufficient funds on the settlement account'] }] }),
        }],
      });
      const bytes = new TextEncoder().encode(xml);
      const name = `pacs.002.001.10_${messageId}.xml`;
      this.mailboxes.put(this.bic, name, bytes);
      await this.engine.submit({ bytes, sender: this.bic, fileName: name });
      this.mailboxes.archive(this.bic, name);
      this.mailboxes.archiveOutbound(this.bic, file);
      count++;
    }
    return count;
  }

  /** The participant pays `amountMinor` into its settlement account (an operator's remedy for a refusal). */
  fund(participant: string, currency: string, amountMinor: bigint): void {
    const key = `${participant} ${currency}`;
    this.balances.set(key, (this.balances.get(key) ?? 0n) + amountMinor);
    this.funding.push(`fund ${key} ${amountMinor}`);
  }

  /** The books as text, one line per ledger entry and per balance (written under --out). */
  toText(): string {
    const lines = this.ledger.map((e) => `${e.messageId} ${e.transactionId} cycle=${e.cycle} ${e.participant} ${e.currency} ${e.amountMinor} ${e.status}`);
    const balances = [...this.balances].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `balance ${k} ${v}`);
    return [...lines, ...this.funding, ...balances].join('\n') + '\n';
  }
}
