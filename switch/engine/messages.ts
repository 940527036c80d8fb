/**
 * Inbound messages other than credit transfers, read through their typed models (they are small):
 *  - pacs.002 from the settlement agent: answers to settlement instructions;
 *  - pacs.002 from a participant: answers to real-time payments forwarded to it;
 *  - pacs.028: a status request, answered with a pacs.002 of each payment's current status;
 *  - pacs.004, camt.056, camt.029: returns and recalls (exceptions.ts);
 *  - acmt.023, acmt.024: payee verification requests and the payee banks' reports (payee.ts).
 * Anything else a participant may not send (camt.05x reports, admi, pacs.009) is rejected.
 */
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';
import { parseXml as parsePacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parsePacs028 } from '../iso/messages/pacs.028.001.03/index.ts';
import type { Queryable } from '../store/database.ts';
import type { EngineContext } from './context.ts';
import { recordSettlementAnswer } from './cycles/answers.ts';
import { confirmRealtime, unmatchedAnswerReason } from './realtime.ts';
import { emitStatusReport, type PaymentStatusLine } from './notices.ts';
import { handleRecall, handleRecallAnswer, handleReturn } from './exceptions.ts';
import { documentText, refuse, type Handled, type ParsedInbound } from './inbound-message.ts';
import { handleVerificationReport, handleVerificationRequest } from './payee.ts';
import { handleAccountReportingRequest } from './account-report.ts';

export async function handleParsedMessage(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  switch (inbound.report.messageId) {
    case 'pacs.002.001.10':
      return handleStatusReport(ctx, tx, inbound);
    case 'pacs.028.001.03':
      return handleStatusRequest(ctx, tx, inbound);
    case 'pacs.004.001.09':
      return handleReturn(ctx, tx, inbound);
    case 'camt.056.001.08':
      return handleRecall(ctx, tx, inbound);
    case 'camt.029.001.09':
      return handleRecallAnswer(ctx, tx, inbound);
    case 'acmt.023.001.04':
      return handleVerificationRequest(ctx, tx, inbound);
    case 'acmt.024.001.04':
      return handleVerificationReport(ctx, tx, inbound);
    case 'camt.060.001.05':
      return handleAccountReportingRequest(ctx, tx, inbound);
    default:
      return { answered: false, report: refuse(inbound.report, `${inbound.report.messageId} is not accepted from participants`) };
  }
}

const ACCEPTING = new Set(['ACCP', 'ACSP', 'ACSC', 'ACWC']);

/**
 * A pacs.002 is an answer, never answered itself. From the settlement agent it settles or rejects
 * instructions; from a participant it accepts or rejects forwarded real-time payments. Transactions
 * that match nothing (late, unknown) are recorded in the report as findings and change nothing.
 */
async function handleStatusReport(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const message = parsePacs002(documentText(inbound.bytes));
  const findings: Finding[] = [];
  const groupOriginal = message.originalGroups[0];
  // Settlement answers count only from the settlement agent; a participant's answers only for payments
  // forwarded to it (confirmRealtime matches the creditor agent).
  const fromAgent = ctx.directory.isSettlementAgent(inbound.sender);
  const refusedLines: PaymentStatusLine[] = [];
  for (const [index, t] of message.transactions.entries()) {
    const status = t.transactionStatus ?? groupOriginal?.groupStatus;
    const reasonCode = t.statusReasons?.[0]?.reason && 'code' in t.statusReasons[0].reason ? t.statusReasons[0].reason.code : undefined;
    let matched: boolean;
    if (fromAgent) {
      matched = t.originalTransactionId !== undefined && status !== undefined &&
        await recordSettlementAnswer(ctx, tx, { instructionId: t.originalTransactionId, settled: status === 'ACSC', reasonCode });
    } else {
      const originalMessageId = t.originalGroupInformation?.originalMessageId ?? groupOriginal?.originalMessageId;
      matched = originalMessageId !== undefined && status !== undefined && (ACCEPTING.has(status) || status === 'RJCT') &&
        await confirmRealtime(ctx, tx, { creditor: inbound.sender, originalMessageId, originalTransactionId: t.originalTransactionId,
          originalUetr: t.originalUetr, accepted: ACCEPTING.has(status), reasonCode });
    }
    if (!matched && !fromAgent) {
      // A participant's answer that changes nothing is refused to it, line by line, with the reason.
      const originalMessageId = t.originalGroupInformation?.originalMessageId ?? groupOriginal?.originalMessageId;
      const why = await unmatchedAnswerReason(tx, { creditor: inbound.sender, originalMessageId, originalTransactionId: t.originalTransactionId,
        originalUetr: t.originalUetr });
      refusedLines.push({ transactionId: t.originalTransactionId, endToEndId: t.originalEndToEndId, uetr: t.originalUetr, status: 'RJCT',
        reasonCode: why.code, reasonText: why.text });
    }
    if (!matched) {
      findings.push({ code: REASON.originalNotFound, path: `/Document/FIToFIPmtStsRpt/TxInfAndSts[${index}]`, transactionIndex: index,
        message: `no open ${fromAgent ? 'settlement instruction' : 'forwarded payment'} matches ` +
          `${t.originalTransactionId ?? t.originalUetr ?? '(no id)'}: late, unknown or already answered` });
    }
  }
  if (refusedLines.length > 0) {
    await emitStatusReport(ctx, tx, { recipient: inbound.sender, originalMessageId: message.groupHeader.messageId, originalMessageType: 'pacs.002.001.10',
      groupStatus: refusedLines.length === message.transactions.length ? 'RJCT' : 'PART', lines: refusedLines });
  }
  const report = findings.length === 0 ? inbound.report : { ...inbound.report, findings: [...inbound.report.findings, ...findings] };
  return { answered: true, report };
}

/** The ISO status the switch reports for a payment in each state (pacs.028 answers). */
const REPORTED_STATUS: Readonly<Record<string, string>> = {
  RECEIVED: 'PDNG', ACCEPTED: 'ACTC', RESERVED: 'PDNG', QUEUED: 'PDNG', COMMITTED: 'ACSP', NETTED: 'ACSP',
  SETTLED: 'ACSC', RETURNED: 'ACSC', REJECTED: 'RJCT', RELEASED: 'RJCT', UNWOUND: 'RJCT', CANCELLED: 'CANC',
};

/** pacs.028: answer with the current status of each payment asked about (only the sender's own). */
async function handleStatusRequest(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const request = parsePacs028(documentText(inbound.bytes));
  const lines: PaymentStatusLine[] = [];
  for (const t of request.transactions) {
    const [payment] = await tx.query<{ state: string; reason_code: string | null; transaction_id: string | null; end_to_end_id: string | null; uetr: string | null }>(
      `SELECT state, reason_code, transaction_id, end_to_end_id, uetr FROM payments_effective
        WHERE (debtor_agent = $1 OR creditor_agent = $1)
          AND (($2::text IS NOT NULL AND transaction_id = $2 AND instructing_agent = $1) OR ($3::text IS NOT NULL AND uetr = $3))
        ORDER BY id DESC LIMIT 1`, [inbound.sender, t.originalTransactionId ?? null, t.originalUetr ?? null]);
    if (!payment) {
      lines.push({ transactionId: t.originalTransactionId, endToEndId: t.originalEndToEndId, uetr: t.originalUetr, status: 'RJCT',
        reasonCode: REASON.originalNotFound, reasonText: 'no such payment from or to this participant' });
      continue;
    }
    const status = REPORTED_STATUS[payment.state] ?? 'PDNG';
    lines.push({ transactionId: payment.transaction_id ?? undefined, endToEndId: payment.end_to_end_id ?? undefined, uetr: payment.uetr ?? undefined,
      status, ...(status === 'RJCT' && payment.reason_code ? { reasonCode: payment.reason_code } : {}),
      ...(payment.state === 'RETURNED' ? { reasonText: 'settled, then returned in full' } : {}) });
  }
  const original = request.originalGroups[0];
  await emitStatusReport(ctx, tx, {
    recipient: inbound.sender,
    originalMessageId: original?.originalMessageId ?? request.groupHeader.messageId,
    originalMessageType: original?.originalMessageNameId ?? 'pacs.028.001.03',
    lines,
  });
  return { answered: true, report: inbound.report };
}
