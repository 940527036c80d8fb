/**
 * The switch's answer to a validated inbound file, built from its FileReport:
 *  - a pacs.002 status report when the message was identified and its group header could be read
 *    (group status ACTC / PART / RJCT, with per-transaction RJCT statuses and ISO reason codes);
 *  - an admi.002 message reject when it could not be (not well-formed, refused by the hardening
 *    scan, unknown message, schema-invalid), since then there is no trustworthy MsgId to answer.
 * Pure: ids and times come in through the context.
 */
import type { Finding } from '../iso/finding.ts';
import type { Admi002 } from '../iso/messages/admi.002.001.01/index.ts';
import type { Pacs002, TransactionStatus } from '../iso/messages/pacs.002.001.10/index.ts';
import type { ReasonInformation } from '../iso/messages/common.ts';
import type { FileReport } from '../validation/pipeline.ts';
import { truncate } from '../iso/text.ts';

export interface AnswerContext {
  /** The switch's own BIC (instructing agent of its messages). */
  readonly switchBic: string;
  /** MsgId for the answer; unique per message the switch emits. */
  readonly messageId: string;
  /** Creation time, ISO date-time. */
  readonly createdAt: string;
  /** The participant the answer goes to (instructed agent), when known. */
  readonly recipientBic?: string;
  /** Reference of the refused file when nothing better is known (e.g. its file name). */
  readonly fileReference: string;
}

/** ISO text limits of the answer messages. */
const ADDITIONAL_INFORMATION_LENGTH_MAX = 105; // pacs.002 StsRsnInf/AddtlInf: Max105Text
const REASONS_PER_STATUS_MAX = 10; // keep status reports readable; the validation report has them all
const REFERENCE_LENGTH_MAX = 35; // admi.002 RltdRef/Ref and RjctgPtyRsn: Max35Text
const LOCATION_LENGTH_MAX = 350; // admi.002 ErrLctn and RsnDesc: Max350Text

export type Answer =
  | { readonly kind: 'pacs.002.001.10'; readonly message: Pacs002 }
  | { readonly kind: 'admi.002.001.01'; readonly message: Admi002 };

export function answerFor(report: FileReport, context: AnswerContext): Answer {
  if (report.messageId === undefined || report.group === undefined) {
    return { kind: 'admi.002.001.01', message: messageReject(report, context) };
  }
  return { kind: 'pacs.002.001.10', message: statusReport(report, context) };
}

export function statusReport(report: FileReport, context: AnswerContext): Pacs002 {
  const group = report.group!;
  const groupFindings = report.findings.filter((f) => f.transactionIndex === undefined);
  const rejected = report.transactions.filter((t) => t.status === 'RJCT');
  const groupStatus = report.status === 'ACCP' ? 'ACTC' : report.status;
  const transactionFindings = new Map<number, Finding[]>();
  for (const f of report.findings) {
    if (f.transactionIndex === undefined) continue;
    const list = transactionFindings.get(f.transactionIndex) ?? [];
    list.push(f);
    transactionFindings.set(f.transactionIndex, list);
  }
  // A rejected file lists its group reasons; its transactions share the group's fate and are not
  // repeated one by one. A PART file lists each rejected transaction with its own reasons, and so does
  // a file rejected because every one of its transactions was (no group reason to give: without the
  // list, its RJCT would carry no reason code at all).
  const transactions: TransactionStatus[] = report.status === 'PART' || (report.status === 'RJCT' && groupFindings.length === 0)
    ? rejected.map((t) => ({
      ...(t.id !== undefined ? { originalTransactionId: t.id } : {}),
      transactionStatus: 'RJCT',
      statusReasons: reasons(transactionFindings.get(t.index) ?? [], context),
    }))
    : [];
  const accepted = report.transactions.length - rejected.length;
  return {
    groupHeader: {
      messageId: context.messageId,
      creationDateTime: context.createdAt,
      instructingAgent: context.switchBic,
      ...(context.recipientBic ? { instructedAgent: context.recipientBic } : {}),
    },
    originalGroups: [{
      originalMessageId: group.messageId,
      originalMessageNameId: report.messageId!,
      ...(group.numberOfTransactions !== undefined ? { originalNumberOfTransactions: group.numberOfTransactions } : {}),
      ...(group.controlSum !== undefined ? { originalControlSum: group.controlSum } : {}),
      groupStatus,
      ...(groupFindings.length > 0 ? { statusReasons: reasons(groupFindings, context) } : {}),
      ...(report.status === 'PART' ? {
        transactionsPerStatus: [
          { numberOfTransactions: String(accepted), status: 'ACTC' },
          { numberOfTransactions: String(rejected.length), status: 'RJCT' },
        ],
      } : {}),
    }],
    transactions,
  };
}

function reasons(findings: readonly Finding[], context: AnswerContext): ReasonInformation[] {
  return findings.slice(0, REASONS_PER_STATUS_MAX).map((f) => ({
    originator: { identification: { organisation: { anyBic: context.switchBic } } },
    reason: { code: f.code },
    additionalInformation: [truncate(`${f.path}${f.line !== undefined ? ` line ${f.line}` : ''}: ${f.message}`, ADDITIONAL_INFORMATION_LENGTH_MAX)],
  })) as ReasonInformation[];
}

export function messageReject(report: FileReport, context: AnswerContext): Admi002 {
  const first = report.findings[0];
  const reference = report.header?.businessMessageId ?? report.group?.messageId ?? context.fileReference;
  return {
    relatedReference: truncate(reference, REFERENCE_LENGTH_MAX),
    reason: {
      rejectingPartyReason: first?.code ?? 'FF01',
      rejectionDateTime: context.createdAt,
      ...(first ? {
        errorLocation: truncate(`${first.path}${first.line !== undefined ? ` line ${first.line}` : ''}`, LOCATION_LENGTH_MAX),
        description: truncate(first.message, LOCATION_LENGTH_MAX),
      } : {}),
      ...(report.findings.length > 1 ? {
        additionalData: report.findings.slice(1, 50).map((f) => `${f.code} ${f.path}${f.line !== undefined ? ` line ${f.line}` : ''}: ${f.message}`).join('\n'),
      } : {}),
    },
  };
}
