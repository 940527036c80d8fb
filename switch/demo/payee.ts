/**
 * Payee verification as banks do it, through mailboxes only (docs/risk.md, "Payee verification"):
 *
 *  verificationRequest   the acmt.023 a payer's bank sends: is this name on this account at that bank?
 *  PayeeBankSimulator    a payee's bank with its own book of accounts: answers each acmt.023 the switch
 *                        forwards to it with an acmt.024 (MTCH / CMTC with the name / NMTC / NOAP for an
 *                        account it does not hold), or stays silent (to show the timeout);
 *  verificationsFor      the acmt.024s delivered to a payer's bank;
 *  payeeVerificationDemo the demo step: a directory loaded for one bank, a verification that matches
 *                        (answered by the payee bank itself) and one that does not (answered from the
 *                        directory), each acmt.024 read back from the payer's mailbox.
 */
import { build as buildAcmt023 } from '../iso/messages/acmt.023.001.04/index.ts';
import { build as buildAcmt024, parseXml as parseAcmt024, type Acmt024 } from '../iso/messages/acmt.024.001.04/index.ts';
import { parseXml as parseAcmt023 } from '../iso/messages/acmt.023.001.04/index.ts';
import { accountKey } from '../iso/messages/acmt-common.ts';
import { isoDateTime } from '../engine/context.ts';
import type { Engine, OperatorIdentity } from '../engine/engine.ts';
import type { DirectoryMailboxes } from '../../connectors/directory.ts';
import type { IntakeResult } from '../engine/transport.ts';
import { compareNames } from '../risk/payee-match.ts';
import { limits } from '../limits.ts';

const encoder = new TextEncoder();

export interface VerificationQuestion {
  /** The payer's bank, which asks. */
  readonly payer: string;
  /** The payee's bank, which holds the account. */
  readonly payeeBank: string;
  readonly messageId: string;
  readonly verificationId: string;
  /** The name the payer typed. */
  readonly name: string;
  readonly iban: string;
}

/** The acmt.023 of a payer's bank, addressed to the switch. */
export function verificationRequest(engine: Engine, question: VerificationQuestion): string {
  return buildAcmt023({
    assignment: { messageId: question.messageId, creationDateTime: isoDateTime(engine.clock.now()), firstAgent: question.payer,
      assigner: question.payer, assignee: engine.switchBic },
    verifications: [{ id: question.verificationId, partyAndAccount: { party: { name: question.name }, account: { iban: question.iban },
      agent: question.payeeBank } }],
  });
}

/** Submit a payer bank's verification request, as its connector would. */
export function askPayee(engine: Engine, question: VerificationQuestion): Promise<IntakeResult> {
  return engine.submit({ bytes: encoder.encode(verificationRequest(engine, question)), sender: question.payer,
    fileName: `${question.messageId}.xml` });
}

/** The acmt.024s delivered to `bic` and not yet taken, oldest first; taken (archived) when `take`. */
export function verificationsFor(mailboxes: DirectoryMailboxes, bic: string, take = true): Acmt024[] {
  const reports: Acmt024[] = [];
  for (const file of mailboxes.outbound(bic).filter((f) => f.startsWith('acmt.024')).sort()) {
    reports.push(parseAcmt024(mailboxes.read(bic, 'outbound', file).toString('utf8')));
    if (take) mailboxes.archiveOutbound(bic, file);
  }
  return reports;
}

/** A payee's bank with its own book (account → name on it), answering forwarded acmt.023s. */
export class PayeeBankSimulator {
  constructor(
    private readonly engine: Engine,
    private readonly mailboxes: DirectoryMailboxes,
    readonly bic: string,
    private readonly book: ReadonlyMap<string, string>,
    /** 'silent': take the requests and never answer. */
    private readonly mode: 'answer' | 'silent' = 'answer',
  ) {}

  /** Answer every acmt.023 the switch forwarded to the bank; returns the intake results of the answers. */
  async answerAll(): Promise<IntakeResult[]> {
    const results: IntakeResult[] = [];
    for (const file of this.mailboxes.outbound(this.bic).filter((f) => f.startsWith('acmt.023')).sort()) {
      const xml = this.mailboxes.read(this.bic, 'outbound', file).toString('utf8');
      this.mailboxes.archiveOutbound(this.bic, file);
      if (this.mode === 'silent') continue;
      results.push(await this.engine.submit({ bytes: encoder.encode(this.answer(xml)), sender: this.bic }));
    }
    return results;
  }

  /** The acmt.024 the bank gives to one forwarded request (its own matching, with the scheme's rules). */
  answer(requestXml: string): string {
    const request = parseAcmt023(requestXml);
    const verification = request.verifications[0]!;
    const asked = verification.partyAndAccount;
    const onAccount = this.book.get(accountKey(asked.account) ?? '');
    const result = onAccount === undefined ? 'NOAP'
      : compareNames(asked.party?.name ?? '', onAccount, limits.payee.closeMatchSimilarityMin).result;
    return buildAcmt024({
      // One answer per forwarded request: its MsgId from the request's (unique, the switch's sequence), within Max35Text.
      assignment: { messageId: `${this.bic.slice(0, 8)}-VOPR-${request.assignment.messageId.slice(-21)}`, creationDateTime: isoDateTime(this.engine.clock.now()),
        ...(request.assignment.firstAgent ? { firstAgent: request.assignment.firstAgent } : {}), assigner: this.bic,
        assignee: this.engine.switchBic },
      originalAssignment: { messageId: request.assignment.messageId },
      reports: [{ originalId: verification.id, verified: result === 'MTCH', reasonCode: result, original: asked,
        ...(result === 'CMTC' ? { updated: { party: { name: onAccount! } } } : {}) }],
    });
  }
}

export interface PayeeDemoBanks {
  readonly payer: string;
  /** Answers its verifications itself. */
  readonly answeringBank: string;
  /** Has its accounts' names answered from the directory. */
  readonly directoryBank: string;
}

/** One line per verification, for the demo's output. */
export interface PayeeDemoLine {
  readonly asked: string;
  readonly account: string;
  readonly of: string;
  readonly result: string;
  readonly nameOnAccount?: string;
  readonly answeredBy: 'payee bank' | 'directory';
}

/**
 * The demo step: `directoryBank`'s directory is loaded (recorded with `who`); the payer asks a name
 * that matches at `answeringBank` (which answers itself) and one that does not match at
 * `directoryBank` (answered from its directory). `deliver` delivers the outbox to the mailboxes.
 */
export async function payeeVerificationDemo(engine: Engine, mailboxes: DirectoryMailboxes, banks: PayeeDemoBanks,
  deliver: () => Promise<unknown>, who: OperatorIdentity): Promise<PayeeDemoLine[]> {
  const answeringAccount = 'FR7630006000011234567890189';
  const directoryAccount = 'DE89370400440532013000';
  const csv = `account,name\n${directoryAccount},Jonas Schmidt\nDE75512108001245126199,"Acme Logistik GmbH"\n`;
  await engine.loadPayeeDirectory(banks.directoryBank, csv, 'csv', who);
  const bank = new PayeeBankSimulator(engine, mailboxes, banks.answeringBank, new Map([[answeringAccount, 'Émilie Durand']]));
  const day = isoDateTime(engine.clock.now()).slice(0, 10).replaceAll('-', '');
  const questions: VerificationQuestion[] = [
    { payer: banks.payer, payeeBank: banks.answeringBank, messageId: `${banks.payer.slice(0, 8)}-VOP-${day}-1`, verificationId: 'VOP-1',
      name: 'emilie DURAND', iban: answeringAccount },
    { payer: banks.payer, payeeBank: banks.directoryBank, messageId: `${banks.payer.slice(0, 8)}-VOP-${day}-2`, verificationId: 'VOP-2',
      name: 'Max Mustermann', iban: directoryAccount },
  ];
  for (const q of questions) await askPayee(engine, q);
  await deliver();
  await bank.answerAll();
  await deliver();
  const reports = verificationsFor(mailboxes, banks.payer, false);
  return questions.map((q): PayeeDemoLine => {
    const found = reports.find((r) => r.originalAssignment.messageId === q.messageId)?.reports[0];
    return {
      asked: q.name, account: q.iban, of: q.payeeBank, result: found?.reasonCode ?? '(no answer)',
      ...(found?.updated?.party?.name ? { nameOnAccount: found.updated.party.name } : {}),
      answeredBy: q.payeeBank === banks.directoryBank ? 'directory' : 'payee bank',
    };
  });
}
