/**
 * Messages the engine emits besides answers to intake: status reports about earlier messages,
 * admi.004 system-event broadcasts, pacs.009 settlement instructions and camt.054 notifications.
 * Each builds its typed model and serialises it with the message module's builder (so it is valid
 * against the scheme's and the official XSD), then emits it in the caller's transaction.
 */
import { build as buildPacs002, type TransactionStatus } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi004, schemeEvents, type SchemeEventName } from '../iso/messages/admi.004.001.02/index.ts';
import { build as buildPacs009 } from '../iso/messages/pacs.009.001.08/index.ts';
import { build as buildCamt054 } from '../iso/messages/camt.054.001.08/index.ts';
import { formatAmount } from '../iso/amount.ts';
import type { Queryable } from '../store/database.ts';
import { emit } from './outbound.ts';
import { cyclePaymentEntries, statementAccount } from './statements.ts';
import { limits } from '../limits.ts';
import type { Entry } from '../iso/messages/camt.054.001.08/index.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';

/** Text limit of pacs.002 AddtlInf (Max105Text). */
const ADDITIONAL_INFORMATION_LENGTH_MAX = 105;

export interface PaymentStatusLine {
  readonly transactionId?: string;
  readonly endToEndId?: string;
  readonly uetr?: string;
  readonly status: string;
  readonly reasonCode?: string;
  readonly reasonText?: string;
}

export interface StatusReport {
  readonly recipient: string;
  readonly originalMessageId: string;
  readonly originalMessageType: string;
  readonly groupStatus?: string;
  readonly lines: readonly PaymentStatusLine[];
}

/**
 * A pacs.002 about one original message: the group status, and the listed transactions (the
 * exceptions, or the single payment of a real-time message).
 */
export async function emitStatusReport(ctx: EngineContext, tx: Queryable, report: StatusReport): Promise<string> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  await emit(tx, { recipient: report.recipient, messageType: 'pacs.002.001.10', messageId, xml: statusReportXml(ctx, messageId, report) });
  return messageId;
}

/** The pacs.002 of `emitStatusReport` under a given MsgId, without storing it (the real-time group emits many at once). */
export function statusReportXml(ctx: EngineContext, messageId: string, report: StatusReport): string {
  const transactions: TransactionStatus[] = report.lines.map((line) => ({
    ...(line.endToEndId ? { originalEndToEndId: line.endToEndId } : {}),
    ...(line.transactionId ? { originalTransactionId: line.transactionId } : {}),
    ...(line.uetr ? { originalUetr: line.uetr } : {}),
    transactionStatus: line.status,
    ...(line.reasonCode ? {
      statusReasons: [{
        reason: { code: line.reasonCode },
        ...(line.reasonText ? { additionalInformation: [line.reasonText.slice(0, ADDITIONAL_INFORMATION_LENGTH_MAX)] } : {}),
      }],
    } : {}),
  }));
  return buildPacs002({
    groupHeader: {
      messageId, creationDateTime: isoDateTime(ctx.clock.now()), instructingAgent: ctx.switchBic, instructedAgent: report.recipient,
    },
    originalGroups: [{
      originalMessageId: report.originalMessageId, originalMessageNameId: report.originalMessageType,
      ...(report.groupStatus ? { groupStatus: report.groupStatus } : {}),
    }],
    transactions,
  });
}

/** Broadcast a system event (admi.004) to every active participant, and record it. */
export async function broadcastEvent(ctx: EngineContext, tx: Queryable, event: SchemeEventName, parameters: readonly string[],
  cycleId?: bigint): Promise<void> {
  await tx.query('INSERT INTO system_events (code, cycle_id, detail) VALUES ($1, $2, $3)',
    [schemeEvents[event], cycleId ?? null, JSON.stringify({ event, parameters })]);
  const participants = await tx.query<{ bic: string }>("SELECT bic FROM participants WHERE status = 'active' ORDER BY bic");
  for (const { bic } of participants) {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const xml = buildAdmi004({
      event: { code: schemeEvents[event], parameters: parameters.map((p) => p.slice(0, 35)), time: isoDateTime(ctx.clock.now()) },
    });
    await emit(tx, { recipient: bic, messageType: 'admi.004.001.02', messageId, xml });
  }
}

/**
 * One pacs.009 per settlement instruction, to the settlement agent. A DEBIT instruction moves money
 * from the participant to the scheme's settlement account; a CREDIT the other way.
 */
export async function emitSettlementInstruction(ctx: EngineContext, tx: Queryable, instruction: {
  readonly instructionId: string;
  readonly bic: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly direction: 'DEBIT' | 'CREDIT';
  readonly settlementAccount: string;
  /** The cycle's business date: the day the instruction settles for. */
  readonly settlementDate: string;
}): Promise<string> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const amount = { currency: instruction.currency, value: formatAmount(instruction.amountMinor, instruction.currency) };
  const settlementAccount = { other: { id: instruction.settlementAccount } };
  const xml = buildPacs009({
    groupHeader: {
      messageId, creationDateTime: isoDateTime(ctx.clock.now()), numberOfTransactions: '1', controlSum: amount.value,
      totalInterbankSettlementAmount: amount, interbankSettlementDate: instruction.settlementDate,
      settlementInformation: { method: 'INDA' }, instructingAgent: ctx.switchBic, instructedAgent: ctx.settlementAgentBic,
    },
    transactions: [{
      paymentIdentification: { instructionId: instruction.instructionId, endToEndId: instruction.instructionId, transactionId: instruction.instructionId },
      interbankSettlementAmount: amount,
      debtor: instruction.direction === 'DEBIT' ? instruction.bic : ctx.switchBic,
      creditor: instruction.direction === 'DEBIT' ? ctx.switchBic : instruction.bic,
      ...(instruction.direction === 'DEBIT' ? { creditorAccount: settlementAccount } : { debtorAccount: settlementAccount }),
    }],
  });
  await emit(tx, { recipient: ctx.settlementAgentBic, messageType: 'pacs.009.001.08', messageId, xml });
  return messageId;
}

/**
 * A camt.054 telling a participant its settled net amount for a cycle (one booked entry), booked and
 * valued on the cycle's business date (on a Sunday or after the roll that is not the calendar date).
 */
export async function emitSettlementNotification(ctx: EngineContext, tx: Queryable, notice: {
  readonly bic: string;
  readonly cycleId: bigint;
  readonly businessDate: string;
  readonly currency: string;
  readonly netMinor: bigint;
  readonly paymentCount: number;
}): Promise<void> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const now = ctx.clock.now();
  const amount = { currency: notice.currency, value: formatAmount(notice.netMinor < 0n ? -notice.netMinor : notice.netMinor, notice.currency) };
  const xml = buildCamt054({
    groupHeader: { messageId, creationDateTime: isoDateTime(now), recipient: { anyBic: notice.bic } },
    notifications: [{
      id: `${messageId}-1`, creationDateTime: isoDateTime(now),
      account: { id: { other: `${notice.bic}-${notice.currency}-SETTLEMENT` }, currency: notice.currency, servicer: ctx.switchBic },
      entries: [{
        reference: `CYCLE-${notice.cycleId}`, amount, creditDebit: notice.netMinor < 0n ? 'DBIT' : 'CRDT', status: { code: 'BOOK' },
        bookingDate: { date: notice.businessDate }, valueDate: { date: notice.businessDate },
        bankTransactionCode: { proprietary: { code: `NETSETTLEMENT-${notice.paymentCount}` } },
        details: [],
      }],
    }],
  });
  await emit(tx, { recipient: notice.bic, messageType: 'camt.054.001.08', messageId, xml });
}

/**
 * For a participant that opted in (config perTransactionAdvices): camt.054 advices of a settled cycle
 * with one entry per settled payment it sent (DBIT) or received (CRDT), paged at
 * limits.statements.entriesPerPageMax entries per message (MsgPgntn), in the settlement's transaction.
 */
export async function emitTransactionAdvices(ctx: EngineContext, tx: Queryable, advice: {
  readonly bic: string;
  readonly cycleId: bigint;
  readonly businessDate: string;
  readonly currency: string;
}): Promise<number> {
  const now = isoDateTime(ctx.clock.now());
  let page: Entry[] = [];
  let pages = 0;
  const send = async (lastPage: boolean): Promise<void> => {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    pages++;
    const xml = buildCamt054({
      groupHeader: { messageId, creationDateTime: now, recipient: { anyBic: advice.bic }, pagination: { pageNumber: String(pages), lastPage } },
      notifications: [{ id: `${messageId}-1`, creationDateTime: now, account: statementAccount(advice.bic, advice.currency, ctx.switchBic), entries: page }],
    });
    await emit(tx, { recipient: advice.bic, messageType: 'camt.054.001.08', messageId, xml });
    page = [];
  };
  for await (const entry of cyclePaymentEntries(tx, { ...advice })) {
    if (page.length >= limits.statements.entriesPerPageMax) await send(false);
    page.push(entry);
  }
  if (page.length > 0 || pages > 0) await send(true);
  return pages;
}
