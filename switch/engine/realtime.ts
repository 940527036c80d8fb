/**
 * Real-time mode. Each payment's amount is reserved against the sender's headroom
 * (cap + net − reserved) by ONE conditional UPDATE of its exposure row: PostgreSQL re-checks the
 * condition on the locked row, so two workers can never both take the last headroom (and the
 * exposures CHECK constraints would refuse it anyway). The payment is then forwarded to the creditor
 * agent; its pacs.002 commits it (ACCP) or releases the reservation (RJCT); no answer before the
 * scheme timeout releases it too (AB05). Over headroom, the scheme rejects (AM04) or queues: queued
 * payments are reserved strictly first-in first-out per sender and currency when credits raise the
 * sender's headroom, and expire at the cycle's cut-off.
 *
 * Pure counterpart: switch/clearing/realtime.ts (same arithmetic, used by the property tests).
 */
import { REASON } from '../iso/reason-codes.ts';
import { limits } from '../limits.ts';
import { formatAmount } from '../iso/amount.ts';
import type { Queryable } from '../store/database.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emit, forwardedCreditTransfer } from './outbound.ts';
import { emitStatusReport, type StatusReport } from './notices.ts';
import { dateText } from './date-column.ts';
import { openCycleId } from './cycles/open.ts';
import { realtimeService } from './realtime-service.ts';
import { currentBusinessDate } from './business-date.ts';
import type { PaymentEvent, PaymentState } from '../clearing/payment-state.ts';
import { transitionPayments } from './transitions.ts';
import type { Admission } from '../clearing/realtime.ts';
import { invariant } from '../clearing/invariant.ts';
import { storedTransactionElement } from './cycles/bulk-files.ts';

/** Default confirmation timeout when the service does not name one (SCT Inst / FedNow maximum). */
const CONFIRMATION_TIMEOUT_MS_DEFAULT = 20_000;

interface RealtimePayment {
  readonly id: bigint;
  readonly message_id: bigint;
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly transaction_id: string | null;
  readonly end_to_end_id: string | null;
  readonly uetr: string | null;
  readonly transaction_index: number;
  /** Null for a credit transfer stored since migration 036: its element is in its inbound message (transactionElement). */
  readonly transaction_xml: string | null;
  readonly settlement_date: string | Date | null;
  readonly state: string;
  readonly forwarded_message_id: string | null;
}

const PAYMENT_COLUMNS = `p.id, p.message_id, p.debtor_agent, p.creditor_agent, p.currency, p.amount_minor, p.transaction_id,
  p.end_to_end_id, p.uetr, p.transaction_index, p.transaction_xml, p.settlement_date, p.state, p.forwarded_message_id`;

/**
 * A payment's transaction element as forwarded: its own copy when it has one (stored before migration
 * 036, or held by the risk stage), else read from its stored inbound message, which an accepted
 * message always has whole.
 */
async function transactionElement(tx: Queryable, payment: RealtimePayment): Promise<string> {
  if (payment.transaction_xml !== null) return payment.transaction_xml;
  const xml = await storedTransactionElement(tx, BigInt(payment.message_id), payment.transaction_index);
  invariant(xml !== undefined, `payment ${payment.id}: transaction ${payment.transaction_index} of inbound message ${payment.message_id} is not stored whole`);
  return xml;
}

async function transition(tx: Queryable, id: bigint, event: PaymentEvent, from: PaymentState, to: PaymentState, cause: string, reason?: string): Promise<void> {
  // The state machine (switch/clearing/payment-state.ts) is the only authority on what may follow what.
  await transitionPayments(tx, { event, to, from: [from], select: { ids: [id] }, cause, reasonCode: reason, record: 'each' });
}

/**
 * Atomically reserve `amount` of the debtor's headroom; false when it does not fit. Headroom is
 * cap + net − reserved, and the debtor's real-time debits not yet settled stay within their ceiling
 * (switch/clearing/realtime.ts `headroom`).
 */
async function reserve(tx: Queryable, bic: string, currency: string, amount: bigint): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE exposures SET reserved_minor = reserved_minor + $3, debits_minor = debits_minor + $3
      WHERE bic = $1 AND currency = $2 AND cap_minor + net_minor - reserved_minor >= $3 AND debits_minor + $3 <= $4 RETURNING bic`,
    [bic, currency, amount, limits.amounts.participantRealtimeDebitsMinorMax.toString()]);
  return rows.length === 1;
}

/** Why a new real-time payment left RECEIVED, as its transition records it (both intake paths). */
export const ADMISSION_CAUSE = {
  RESERVED: 'headroom reserved',
  QUEUED: 'over headroom: queued for netting',
  REJECTED: 'over headroom',
} as const satisfies Record<Admission, string>;

/** What the sender learns of a new real-time payment that was queued (PDNG) or refused (RJCT AM04). */
export function admissionReport(payment: {
  readonly sender: string;
  readonly original_message_id: string;
  readonly message_type: string;
  readonly transaction_id: string | null;
  readonly end_to_end_id: string | null;
  readonly uetr: string | null;
}, admission: 'QUEUED' | 'REJECTED'): StatusReport {
  const report = { recipient: payment.sender, originalMessageId: payment.original_message_id, originalMessageType: payment.message_type };
  const line = { transactionId: payment.transaction_id ?? undefined, endToEndId: payment.end_to_end_id ?? undefined, uetr: payment.uetr ?? undefined };
  return admission === 'QUEUED'
    ? { ...report, groupStatus: 'PDNG', lines: [{ ...line, status: 'PDNG' }] }
    : { ...report, groupStatus: 'RJCT',
      lines: [{ ...line, status: 'RJCT', reasonCode: REASON.insufficientFunds, reasonText: 'sender net debit cap: not enough headroom' }] };
}

/**
 * Reserve, queue or reject newly received real-time payments (in the intake transaction), one after
 * the other. Used for a message that does not go through the real-time group (realtime-intake.ts),
 * and for the members of a failed group, retried one by one.
 */
export async function reserveNewRealtimePayments(ctx: EngineContext, tx: Queryable, ids: readonly bigint[],
  from: 'RECEIVED' | 'HELD' = 'RECEIVED'): Promise<void> {
  const service = realtimeService(ctx);
  const payments = await tx.query<RealtimePayment & { sender: string; message_type: string; original_message_id: string }>(
    `SELECT ${PAYMENT_COLUMNS}, m.participant AS sender, m.message_type, m.message_id AS original_message_id
       FROM payments p JOIN messages m ON m.id = p.message_id WHERE p.id = ANY($1::bigint[]) ORDER BY p.sequence`, [ids]);
  for (const payment of payments) {
    // First in, first out: while earlier payments of this sender wait, a new one waits behind them.
    const [waiting] = service?.overCap === 'queue'
      ? await tx.query("SELECT 1 FROM payments WHERE debtor_agent = $1 AND currency = $2 AND pending_state = 'QUEUED' LIMIT 1",
        [payment.debtor_agent, payment.currency])
      : [];
    if (!waiting && await reserve(tx, payment.debtor_agent, payment.currency, payment.amount_minor)) {
      await transition(tx, payment.id, 'RESERVE', from, 'RESERVED', ADMISSION_CAUSE.RESERVED);
      await forward(ctx, tx, payment);
      if (service?.receiverConfirmation === false) await commitPayment(ctx, tx, payment.id, 'committed on forward (no receiver confirmation)');
      continue;
    }
    if (service?.overCap === 'queue') {
      await transition(tx, payment.id, 'QUEUE', from, 'QUEUED', ADMISSION_CAUSE.QUEUED);
      await emitStatusReport(ctx, tx, admissionReport(payment, 'QUEUED'));
    } else {
      await transition(tx, payment.id, 'REJECT', from, 'REJECTED', ADMISSION_CAUSE.REJECTED, REASON.insufficientFunds);
      await emitStatusReport(ctx, tx, admissionReport(payment, 'REJECTED'));
    }
  }
}

/** The scheme's confirmation timeout: how long a forwarded payment waits for its creditor agent. */
export function confirmationTimeoutMs(ctx: EngineContext): number {
  return realtimeService(ctx)?.confirmationTimeoutMs ?? CONFIRMATION_TIMEOUT_MS_DEFAULT;
}

/** The pacs.008 that forwards one reserved payment to its creditor agent under `messageId`. */
export function forwardedPaymentXml(ctx: EngineContext, payment: {
  readonly amount_minor: bigint;
  readonly currency: string;
  readonly settlement_date: string | Date | null;
  readonly creditor_agent: string;
  readonly transaction_xml: string;
}, messageId: string, now: Date): string {
  const total = formatAmount(payment.amount_minor, payment.currency);
  return forwardedCreditTransfer({
    // A payment without a date of its own is forwarded with the current business date.
    messageId, createdAt: isoDateTime(now), settlementDate: dateText(payment.settlement_date) ?? currentBusinessDate(ctx), currency: payment.currency,
    totalText: total, count: 1, instructingAgent: ctx.switchBic, instructedAgent: payment.creditor_agent,
  }, [payment.transaction_xml]);
}

/** Forward one reserved payment to its creditor agent, under a new MsgId the answer will quote. */
async function forward(ctx: EngineContext, tx: Queryable, payment: RealtimePayment): Promise<void> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const now = ctx.clock.now();
  const xml = forwardedPaymentXml(ctx, { ...payment, transaction_xml: await transactionElement(tx, payment) }, messageId, now);
  await emit(tx, { recipient: payment.creditor_agent, messageType: 'pacs.008.001.08', messageId, xml });
  await tx.query('UPDATE payments SET forwarded_message_id = $2, confirm_by = $3 WHERE id = $1',
    [payment.id, messageId, new Date(now.getTime() + confirmationTimeoutMs(ctx))]);
}

/** RESERVED → COMMITTED: the reservation becomes net position in the open cycle; the sender learns ACSP. */
async function commitPayment(ctx: EngineContext, tx: Queryable, id: bigint, cause: string): Promise<void> {
  const [p] = await tx.query<RealtimePayment & { sender: string; message_type: string; original_message_id: string }>(
    `SELECT ${PAYMENT_COLUMNS}, m.participant AS sender, m.message_type, m.message_id AS original_message_id
       FROM payments p JOIN messages m ON m.id = p.message_id WHERE p.id = $1`, [id]);
  // Lock the two exposure rows in BIC order, so concurrent commits never deadlock.
  for (const bic of [p!.debtor_agent, p!.creditor_agent].sort()) {
    if (bic === p!.debtor_agent) {
      await tx.query('UPDATE exposures SET reserved_minor = reserved_minor - $3, net_minor = net_minor - $3 WHERE bic = $1 AND currency = $2',
        [bic, p!.currency, p!.amount_minor]);
    } else {
      await tx.query('UPDATE exposures SET net_minor = net_minor + $3 WHERE bic = $1 AND currency = $2', [bic, p!.currency, p!.amount_minor]);
    }
  }
  const cycleId = await openCycleId(ctx, tx);
  await tx.query('UPDATE payments SET cycle_id = $2 WHERE id = $1', [id, cycleId]);
  await transition(tx, id, 'CREDITOR_ACCEPTED', 'RESERVED', 'COMMITTED', cause);
  await emitStatusReport(ctx, tx, { recipient: p!.sender, originalMessageId: p!.original_message_id, originalMessageType: p!.message_type,
    groupStatus: 'ACSP', lines: [{ transactionId: p!.transaction_id ?? undefined, endToEndId: p!.end_to_end_id ?? undefined,
      uetr: p!.uetr ?? undefined, status: 'ACSP' }] });
  // The creditor's headroom rose: its queued payments may now fit.
  await releaseQueue(ctx, tx, p!.creditor_agent, p!.currency);
}

/** RESERVED → RELEASED (creditor rejected, or timeout): the reservation is given back. */
async function releasePayment(ctx: EngineContext, tx: Queryable, id: bigint, event: 'CREDITOR_REJECTED' | 'TIMEOUT', cause: string, reason: string, text: string): Promise<void> {
  const [p] = await tx.query<RealtimePayment & { sender: string; message_type: string; original_message_id: string }>(
    `SELECT ${PAYMENT_COLUMNS}, m.participant AS sender, m.message_type, m.message_id AS original_message_id
       FROM payments p JOIN messages m ON m.id = p.message_id WHERE p.id = $1`, [id]);
  await tx.query('UPDATE exposures SET reserved_minor = reserved_minor - $3, debits_minor = debits_minor - $3 WHERE bic = $1 AND currency = $2',
    [p!.debtor_agent, p!.currency, p!.amount_minor]);
  await transition(tx, id, event, 'RESERVED', 'RELEASED', cause, reason);
  const line = { transactionId: p!.transaction_id ?? undefined, endToEndId: p!.end_to_end_id ?? undefined, uetr: p!.uetr ?? undefined,
    status: 'RJCT', reasonCode: reason, reasonText: text };
  await emitStatusReport(ctx, tx, { recipient: p!.sender, originalMessageId: p!.original_message_id, originalMessageType: p!.message_type,
    groupStatus: 'RJCT', lines: [line] });
  // On a timeout the creditor agent holds a payment it never answered: it learns the same negative
  // status, quoting the pacs.008 the switch forwarded to it, and must not credit its customer.
  if (event === 'TIMEOUT' && p!.forwarded_message_id !== null) {
    await emitStatusReport(ctx, tx, { recipient: p!.creditor_agent, originalMessageId: p!.forwarded_message_id, originalMessageType: 'pacs.008.001.08',
      groupStatus: 'RJCT', lines: [{ ...line, reasonText: 'no answer within the scheme timeout: payment released, do not credit' }] });
  }
  // The sender's headroom is back: its own queue may move.
  await releaseQueue(ctx, tx, p!.debtor_agent, p!.currency);
}

/**
 * The creditor agent's answer to a forwarded payment (a transaction of its pacs.002). Returns false
 * when no RESERVED payment matches (unknown, already answered, or timed out): the answer is then
 * late or wrong, and changes nothing.
 */
export async function confirmRealtime(ctx: EngineContext, tx: Queryable, answer: {
  readonly creditor: string;
  readonly originalMessageId: string;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
  readonly accepted: boolean;
  readonly reasonCode?: string;
}): Promise<boolean> {
  const [payment] = await tx.query<{ id: bigint }>(
    `SELECT id FROM payments WHERE forwarded_message_id = $1 AND creditor_agent = $2 AND state = 'RESERVED'
        AND (($3::text IS NOT NULL AND transaction_id = $3) OR ($4::text IS NOT NULL AND uetr = $4))
      FOR UPDATE`, [answer.originalMessageId, answer.creditor, answer.originalTransactionId ?? null, answer.originalUetr ?? null]);
  if (!payment) return false;
  if (answer.accepted) await commitPayment(ctx, tx, payment.id, 'creditor agent accepted');
  else await releasePayment(ctx, tx, payment.id, 'CREDITOR_REJECTED', 'creditor agent rejected', answer.reasonCode ?? REASON.narrative, 'rejected by the creditor agent');
  return true;
}

/**
 * Why an answer that matched no RESERVED payment is refused: AB05 when it answers a payment forwarded
 * to this creditor agent that timed out (a late answer), AG09 otherwise (unknown or already answered).
 */
export async function unmatchedAnswerReason(tx: Queryable, answer: {
  readonly creditor: string;
  readonly originalMessageId: string | undefined;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
}): Promise<{ code: string; text: string }> {
  const [timedOut] = answer.originalMessageId === undefined ? [] : await tx.query(
    `SELECT 1 FROM payments WHERE forwarded_message_id = $1 AND creditor_agent = $2 AND state = 'RELEASED' AND reason_code = $5
        AND (($3::text IS NOT NULL AND transaction_id = $3) OR ($4::text IS NOT NULL AND uetr = $4))`,
    [answer.originalMessageId, answer.creditor, answer.originalTransactionId ?? null, answer.originalUetr ?? null, REASON.creditorAgentTimeout]);
  return timedOut
    ? { code: REASON.creditorAgentTimeout, text: 'answer after the scheme timeout: the payment was released (AB05), do not credit' }
    : { code: REASON.originalNotFound, text: 'no forwarded payment awaits this answer: unknown or already answered' };
}

/** Release every reservation whose creditor agent did not answer in time (AB05). Returns how many. */
export async function sweepTimeouts(ctx: EngineContext): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const expired = await tx.query<{ id: bigint }>(
      "SELECT id FROM payments WHERE pending_state = 'RESERVED' AND confirm_by < $1 ORDER BY sequence FOR UPDATE SKIP LOCKED", [ctx.clock.now()]);
    if (expired.length === 0) return 0;
    // The debtors' exposure rows first, in (BIC, currency) order as real-time intake takes them, so the
    // releases below (in acceptance order) never wait on a group that waits on them: no deadlock.
    await tx.query(`SELECT 1 FROM exposures WHERE (bic, currency) IN (
                      SELECT debtor_agent, currency FROM payments WHERE id = ANY($1::bigint[]))
                     ORDER BY bic, currency FOR UPDATE`, [expired.map((e) => e.id)]);
    for (const { id } of expired) {
      await releasePayment(ctx, tx, id, 'TIMEOUT', 'timeout: no answer from the creditor agent', REASON.creditorAgentTimeout,
        'no answer from the creditor agent within the scheme timeout');
    }
    return expired.length;
  }, { retryable: true });
}

/**
 * Reserve queued payments of one sender and currency, first in first out; the first that does not
 * fit stops the lane (order is kept: a later, smaller payment never overtakes an earlier one).
 */
export async function releaseQueue(ctx: EngineContext, tx: Queryable, debtor: string, currency: string): Promise<number> {
  const queued = await tx.query<RealtimePayment>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments p WHERE p.debtor_agent = $1 AND p.currency = $2 AND p.pending_state = 'QUEUED'
      ORDER BY p.sequence FOR UPDATE`, [debtor, currency]);
  let released = 0;
  for (const payment of queued) {
    if (!(await reserve(tx, debtor, currency, payment.amount_minor))) break;
    await transition(tx, payment.id, 'DEQUEUE_RESERVE', 'QUEUED', 'RESERVED', 'headroom available: released from the queue');
    await forward(ctx, tx, payment);
    released++;
  }
  return released;
}

/** At cut-off: every still-queued real-time payment expires (RJCT AM04 to its sender). */
export async function expireQueuedPayments(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<number> {
  const queued = await tx.query<{ id: bigint; sender: string; message_type: string; original_message_id: string; transaction_id: string | null;
    end_to_end_id: string | null; uetr: string | null }>(
    `SELECT p.id, m.participant AS sender, m.message_type, m.message_id AS original_message_id, p.transaction_id, p.end_to_end_id, p.uetr
       FROM payments p JOIN messages m ON m.id = p.message_id WHERE p.pending_state = 'QUEUED' ORDER BY p.sequence FOR UPDATE`);
  for (const q of queued) {
    await transition(tx, q.id, 'EXPIRE', 'QUEUED', 'RELEASED', `expired at the cut-off of cycle ${cycleId}`, REASON.insufficientFunds);
    await emitStatusReport(ctx, tx, { recipient: q.sender, originalMessageId: q.original_message_id, originalMessageType: q.message_type,
      groupStatus: 'RJCT', lines: [{ transactionId: q.transaction_id ?? undefined, endToEndId: q.end_to_end_id ?? undefined,
        uetr: q.uetr ?? undefined, status: 'RJCT', reasonCode: REASON.insufficientFunds, reasonText: 'still queued at cut-off: expired' }] });
  }
  return queued.length;
}
