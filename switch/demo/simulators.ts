/**
 * Counterparties for the demo and the tests, talking to the switch only through mailboxes, as real
 * ones would: they read what the switch delivered to them and submit their answers.
 *
 *  SettlementAgentSimulator  answers each pacs.009 instruction with a pacs.002: ACSC, or RJCT (AM04)
 *                            for the participants named in `rejectParticipants` (a default).
 *  BankSimulator             answers each real-time pacs.008 forwarded to the bank with a pacs.002:
 *                            ACCP, RJCT (AC04 closed account) or nothing at all (to test timeouts).
 */
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs009 } from '../iso/messages/pacs.009.001.08/index.ts';
import { parseXml as parsePacs008 } from '../iso/messages/pacs.008.001.08/index.ts';
import type { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { Engine } from '../engine/engine.ts';
import { isoDateTime } from '../engine/context.ts';

export class SettlementAgentSimulator {
  private answered = 0;
  constructor(
    private readonly engine: Engine,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    readonly rejectParticipants: Set<string> = new Set(),
  ) {}

  /** Answer every instruction waiting in the agent's mailbox; returns how many were answered. */
  async answerAll(): Promise<number> {
    let count = 0;
    for (const file of this.mailboxes.outbound(this.bic)) {
      if (!file.startsWith('pacs.009')) continue;
      let text: string;
      try {
        text = this.mailboxes.read(this.bic, 'outbound', file).toString('utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken by another simulator
        throw error;
      }
      const instruction = parsePacs009(text);
      const t = instruction.transactions[0]!;
      const participant = t.debtor === this.engine.switchBic ? t.creditor : t.debtor;
      const rejected = this.rejectParticipants.has(participant);
      const xml = buildPacs002({
        groupHeader: { messageId: `RTGS-${++this.answered}-${instruction.groupHeader.messageId}`.slice(0, 35), creationDateTime: isoDateTime(this.engine.clock.now()),
          instructingAgent: this.bic, instructedAgent: this.engine.switchBic },
        originalGroups: [{ originalMessageId: instruction.groupHeader.messageId, originalMessageNameId: 'pacs.009.001.08' }],
        transactions: [{
          originalTransactionId: t.paymentIdentification.transactionId, transactionStatus: rejected ? 'RJCT' : 'ACSC',
          ...(rejected ? { statusReasons: [{ reason: { code: 'AM04' }, additionalInformation: ['insufficient funds on the settlement account'] }] } : {}),
        }],
      });
      await this.engine.submit({ bytes: new TextEncoder().encode(xml), sender: this.bic, fileName: `answer-${file}` });
      // Another simulator process may have answered and archived the same instruction first: its
      // answer and ours are the same, the engine takes one and ignores the other.
      archiveUnlessGone(this.mailboxes, this.bic, file);
      count++;
    }
    return count;
  }
}

export type BankAnswer = 'accept' | 'reject' | 'silent';

export class BankSimulator {
  private answered = 0;
  constructor(
    private readonly engine: Engine,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    private readonly policy: (transactionId: string) => BankAnswer = () => 'accept',
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
      await this.engine.submit({ bytes: new TextEncoder().encode(xml), sender: this.bic, fileName: `answer-${file}` });
      // Answered (stored by the switch): only now is the delivered file moved away.
      this.mailboxes.archiveOutbound(this.bic, file);
      count++;
    }
    return count;
  }
}

function archiveUnlessGone(mailboxes: DirectoryMailboxes, bic: string, file: string): void {
  try {
    mailboxes.archiveOutbound(bic, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
