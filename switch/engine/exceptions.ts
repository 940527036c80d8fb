/**
 * Exceptions and investigations (docs/scheme-rules.md, "Returns, recalls and status requests").
 *
 *  pacs.004 return   from the original creditor agent. Each returned transaction must reference a
 *                    payment it received (OrgnlUETR, or OrgnlTxId with the original instructing
 *                    agent) that is SETTLED or COMMITTED, for at most what is left of it (less the
 *                    returns still in a cycle). It becomes a new batch obligation in the open cycle,
 *                    in the reverse direction (settled payments are final; corrections are new
 *                    transactions). It moves money only when its cycle settles (`settleReturns`): then
 *                    the original's returned amount grows (RETURNED when in full) and the pacs.004 is
 *                    forwarded to the original debtor agent with the cycle's bulk files. Unwound, it
 *                    changes nothing and its sender gets RJCT in the netting report.
 *  camt.056 recall   from the original debtor agent: a case is opened with a deadline and the request
 *                    is forwarded to the creditor agent (the switch assigns it on).
 *  camt.029 answer   from the creditor agent: the case closes (CNCL accepted / RJCR rejected) and the
 *                    answer goes back to the case's assigner. An accepted recall is followed by a
 *                    pacs.004 from the creditor agent, handled as any return.
 */
import { parseAmount, formatAmount } from '../iso/amount.ts';
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';
import { build as buildPacs004, parseXml as parsePacs004, type PaymentReturnTransaction } from '../iso/messages/pacs.004.001.09/index.ts';
import { build as buildCamt056, parseXml as parseCamt056 } from '../iso/messages/camt.056.001.08/index.ts';
import { build as buildCamt029, parseXml as parseCamt029 } from '../iso/messages/camt.029.001.09/index.ts';
import type { Queryable } from '../store/database.ts';
import type { FileReport, TransactionStatus } from '../validation/pipeline.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emit } from './outbound.ts';
import { answerSender } from './answer-sender.ts';
import { admittedState, transitionPayments } from './transitions.ts';
import { openCycleId } from './cycles/open.ts';
import { addBatchDebits, ceilingFinding, releaseBatchDebits } from './ceilings.ts';
import { documentText, refuse, type Handled, type ParsedInbound } from './inbound-message.ts';

/** How long a recall case stays open for the creditor agent's answer (SCT rulebook: 10 business days). */
const RECALL_DEADLINE_MS = 14 * 24 * 60 * 60 * 1000;

interface OriginalPayment {
  readonly id: bigint;
  readonly state: string;
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly returned_minor: bigint;
}

async function findOriginal(tx: Queryable, ids: { uetr?: string; transactionId?: string; endToEndId?: string }, creditor: string):
  Promise<OriginalPayment | undefined> {
  const [row] = await tx.query<OriginalPayment>(
    `SELECT p.id, payment_effective_state(p.state, p.mode, c.state) AS state, p.debtor_agent, p.creditor_agent, p.currency, p.amount_minor,
            p.returned_minor
       FROM payments p LEFT JOIN cycles c ON c.id = p.cycle_id
      WHERE p.kind = 'CREDIT' AND p.creditor_agent = $1
        AND (($2::text IS NOT NULL AND p.uetr = $2) OR ($3::text IS NOT NULL AND p.transaction_id = $3) OR ($4::text IS NOT NULL AND $2::text IS NULL AND $3::text IS NULL AND p.end_to_end_id = $4))
      ORDER BY p.id DESC LIMIT 1 FOR UPDATE OF p`, [creditor, ids.uetr ?? null, ids.transactionId ?? null, ids.endToEndId ?? null]);
  return row;
}

export async function handleReturn(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const message = parsePacs004(documentText(inbound.bytes));
  const findings: Finding[] = [];
  const statuses: TransactionStatus[] = [...inbound.report.transactions];
  const cycleId = await openCycleId(ctx, tx);
  for (const [index, t] of message.transactions.entries()) {
    if (statuses[index]?.status === 'RJCT') continue;
    const reject = (code: string, text: string): void => {
      findings.push({ code, path: `/Document/PmtRtr/TxInf[${index}]`, message: text, transactionId: t.returnId, transactionIndex: index });
      statuses[index] = { index, id: t.returnId, status: 'RJCT', reasons: [code] };
    };
    const original = await findOriginal(tx, { uetr: t.originalUetr, transactionId: t.originalTransactionId, endToEndId: t.originalEndToEndId }, inbound.sender);
    if (!original) { reject(REASON.originalNotFound, 'no payment to this participant matches the original references'); continue; }
    if (original.state !== 'SETTLED' && original.state !== 'COMMITTED') {
      reject(REASON.returnNotEligible, `the original payment is ${original.state}: only settled or committed payments can be returned`);
      continue;
    }
    const amount = parseAmount(t.returnedInterbankSettlementAmount.value, t.returnedInterbankSettlementAmount.currency);
    // What is left of the original: its amount less what returns settled and what returns still in a
    // cycle would return (an unwound return counts for nothing: the original can be returned again).
    const [pending] = await tx.query<{ minor: bigint }>(
      `SELECT COALESCE(SUM(amount_minor), 0)::bigint AS minor FROM payments_effective
        WHERE original_payment_id = $1 AND kind = 'RETURN' AND state IN ('ACCEPTED', 'NETTED')`, [original.id]);
    if (!amount.ok || t.returnedInterbankSettlementAmount.currency !== original.currency ||
      original.returned_minor + pending!.minor + amount.minor > original.amount_minor) {
      reject(REASON.returnAmountTooLarge, `return exceeds what is left of the original (${formatAmount(original.amount_minor - original.returned_minor, original.currency)} ${original.currency})`);
      continue;
    }
    // Both banks of the return take part in its currency and the one it credits is in good standing now.
    const party = ctx.directory.checkAgent(original.debtor_agent, 'creditor', original.currency) ??
      ctx.directory.checkAgent(inbound.sender, 'debtor', original.currency);
    if (party) { reject(party.code, `the return cannot be cleared: ${party.message}`); continue; }
    // A return debits its sender in the open cycle: counted against its batch ceiling (limits.amounts).
    if (!(await addBatchDebits(tx, cycleId, inbound.sender, original.currency, amount.minor))) {
      const refused = ceilingFinding(cycleId, inbound.sender, original.currency, amount.minor);
      reject(refused.code, refused.message);
      continue;
    }
    const forwarded: PaymentReturnTransaction = { ...t, instructingAgent: ctx.switchBic, instructedAgent: original.debtor_agent };
    const xml = transactionXml(forwarded);
    const [payment] = await tx.query<{ id: bigint }>(
      `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, uetr, instructing_agent, debtor_agent,
          creditor_agent, currency, amount_minor, state, cycle_id, original_payment_id, transaction_xml)
       VALUES ($1, $2, 'RETURN', 'batch', $3, $4, $5, $6, $6, $7, $8, $9, $13, $10, $11, $12) RETURNING id`,
      [inbound.messageRowId, index, t.returnId ?? null, t.originalEndToEndId ?? null, t.originalUetr ?? null, inbound.sender,
        original.debtor_agent, original.currency, amount.minor, cycleId, original.id, xml, admittedState('ACCEPT_BATCH')]);
    await tx.query("INSERT INTO payment_transitions (payment_id, from_state, to_state, cause) VALUES ($1, 'RECEIVED', 'ACCEPTED', $2)",
      [payment!.id, `return of payment ${original.id} accepted into cycle ${cycleId}`]);
  }
  const report = withOutcome(inbound.report, findings, statuses);
  const answer = await answerSender(ctx, tx, report, inbound.sender);
  return { answered: true, report, answerRowId: answer.rowId, answerXml: answer.xml };
}

/**
 * At the settlement of a cycle: its settled returns move money only now (docs/scheme-rules.md,
 * "Returns"). Each original's returned amount grows by its settled returns (RETURNED when returned in
 * full), and the pacs.004s are forwarded to the original debtor agents, one per recipient and
 * currency, with the cycle's bulk files. A return unwound at netting never gets here: its original is
 * untouched and its sender was told RJCT in the netting report.
 */
export async function settleReturns(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const returns = await tx.query<{ id: bigint; original_payment_id: bigint; amount_minor: bigint; currency: string; recipient: string; transaction_xml: string }>(
    `SELECT p.id, p.original_payment_id, p.amount_minor, p.currency, p.creditor_agent AS recipient, p.transaction_xml FROM payments_effective p
      WHERE p.cycle_id = $1 AND p.kind = 'RETURN' AND p.state = 'SETTLED' ORDER BY p.sequence`, [cycleId]);
  if (returns.length === 0) return;
  const full: bigint[] = [];
  for (const r of returns) {
    const [original] = await tx.query<{ returned_minor: bigint; amount_minor: bigint; state: string }>(
      `UPDATE payments p SET returned_minor = returned_minor + $2, updated_at = now() WHERE id = $1
        RETURNING returned_minor, amount_minor, payment_effective_state(p.state, p.mode, (SELECT c.state FROM cycles c WHERE c.id = p.cycle_id)) AS state`,
      [r.original_payment_id, r.amount_minor]);
    if (original!.returned_minor === original!.amount_minor && original!.state === 'SETTLED') full.push(r.original_payment_id);
  }
  await transitionPayments(tx, { event: 'RETURN', to: 'RETURNED', select: { ids: full }, cause: `returned in full by pacs.004 settled in cycle ${cycleId}`, record: 'each' });
  const byRecipient = new Map<string, typeof returns>();
  for (const r of returns) {
    const key = `${r.recipient}|${r.currency}`;
    byRecipient.set(key, [...(byRecipient.get(key) ?? []), r]);
  }
  for (const group of byRecipient.values()) {
    const recipient = group[0]!.recipient;
    const currency = group[0]!.currency;
    const transactions = group.map((r) => storedTransaction(r.transaction_xml));
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const total = transactions.reduce((sum, t) => {
      const a = parseAmount(t.returnedInterbankSettlementAmount.value, t.returnedInterbankSettlementAmount.currency);
      return a.ok ? sum + a.minor : sum;
    }, 0n);
    const xml = buildPacs004({
      groupHeader: {
        messageId, creationDateTime: isoDateTime(ctx.clock.now()), numberOfTransactions: String(transactions.length),
        controlSum: formatAmount(total, currency), settlementInformation: { method: 'CLRG' },
        instructingAgent: ctx.switchBic, instructedAgent: recipient,
      },
      transactions,
    });
    await emit(tx, { recipient, messageType: 'pacs.004.001.09', messageId, xml });
  }
}

/** A return's TxInf as stored at intake (`transactionXml`), read back into its model. */
function storedTransaction(xml: string): PaymentReturnTransaction {
  const frame = buildPacs004({
    groupHeader: { messageId: 'X', creationDateTime: '2000-01-01T00:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' } },
    transactions: [{ returnedInterbankSettlementAmount: { currency: 'EUR', value: '1.00' } }],
  });
  const document = frame.slice(0, frame.indexOf('<TxInf>')) + xml + frame.slice(frame.lastIndexOf('</TxInf>') + '</TxInf>'.length);
  return parsePacs004(document).transactions[0]!;
}

/** The TxInf element of one return, as forwarded (kept for the audit of the return payment). */
function transactionXml(transaction: PaymentReturnTransaction): string {
  const document = buildPacs004({
    groupHeader: { messageId: 'X', creationDateTime: '2000-01-01T00:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' } },
    transactions: [transaction],
  });
  const start = document.indexOf('<TxInf>');
  return document.slice(start, document.lastIndexOf('</TxInf>') + '</TxInf>'.length);
}

function withOutcome(report: FileReport, findings: readonly Finding[], statuses: readonly TransactionStatus[]): FileReport {
  if (findings.length === 0) return report;
  const rejected = statuses.filter((s) => s.status === 'RJCT').length;
  return { ...report, status: rejected === statuses.length ? 'RJCT' : 'PART', findings: [...report.findings, ...findings], transactions: [...statuses] };
}

type RecallTransaction = ReturnType<typeof parseCamt056>['underlying'][number]['transactions'][number];

/**
 * camt.056: a case per request. Each recalled payment is dealt with by where it stands
 * (docs/scheme-rules.md, "Recalls before settlement"):
 *  - not yet cut off (a batch payment ACCEPTED in the open cycle, or future-dated and still warehoused
 *    without a cycle) or a real-time payment still QUEUED:
 *    the switch cancels it itself (CANCELLED, out of the cycle, the creditor agent never sees it) and
 *    answers the debtor agent with a camt.029 CNCL;
 *  - cut off but its cycle not settled (NETTED): the case is held, answered camt.029 PDCR, and the
 *    request is forwarded to the creditor agent when the cycle settles (`forwardHeldRecalls`), since
 *    the bulk file reaches it only then;
 *  - otherwise (settled, committed, reserved): forwarded to the creditor agent at once, as before.
 */
export async function handleRecall(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const request = parseCamt056(documentText(inbound.bytes));
  const caseId = request.case?.id ?? request.assignment.id;
  const recipients = new Map<string, RecallTransaction[]>();
  const cancelled: { readonly t: RecallTransaction; readonly id: bigint; readonly cycleId: bigint | null; readonly currency: string; readonly amount: bigint }[] = [];
  const held: { readonly t: RecallTransaction; readonly cycleId: bigint; readonly assignee: string }[] = [];
  let paymentId: bigint | undefined;
  for (const underlying of request.underlying) {
    for (const t of underlying.transactions) {
      const [payment] = await tx.query<{ id: bigint; creditor_agent: string; state: string; mode: string; cycle_id: bigint | null;
        cycle_state: string | null; currency: string; amount_minor: bigint }>(
        `SELECT p.id, p.creditor_agent, payment_effective_state(p.state, p.mode, c.state) AS state, p.mode, p.cycle_id, c.state AS cycle_state,
                p.currency, p.amount_minor
           FROM payments p LEFT JOIN cycles c ON c.id = p.cycle_id
          WHERE p.kind = 'CREDIT' AND p.debtor_agent = $1
            AND (($2::text IS NOT NULL AND p.uetr = $2) OR ($3::text IS NOT NULL AND p.transaction_id = $3))
          ORDER BY p.id DESC LIMIT 1 FOR UPDATE OF p`, [inbound.sender, t.originalUetr ?? null, t.originalTransactionId ?? null]);
      if (!payment) continue;
      paymentId ??= payment.id;
      // ACCEPTED without a cycle: future-dated, still in the warehouse (intake.ts isWarehoused).
      if ((payment.state === 'ACCEPTED' && (payment.cycle_state === 'OPEN' || payment.cycle_id === null)) || payment.state === 'QUEUED') {
        cancelled.push({ t, id: payment.id, cycleId: payment.state === 'ACCEPTED' ? payment.cycle_id : null, currency: payment.currency, amount: payment.amount_minor });
      } else if (payment.state === 'NETTED' && payment.cycle_id !== null) {
        held.push({ t, cycleId: payment.cycle_id, assignee: payment.creditor_agent });
      } else {
        const list = recipients.get(payment.creditor_agent) ?? [];
        list.push(t);
        recipients.set(payment.creditor_agent, list);
      }
    }
  }
  if (paymentId === undefined) {
    const report = refuse(inbound.report, 'the recalled payment is not a payment this participant sent', REASON.originalNotFound);
    const answer = await answerSender(ctx, tx, report, inbound.sender);
    return { answered: true, report, answerRowId: answer.rowId, answerXml: answer.xml };
  }
  const assignee = [...recipients.keys()][0] ?? held[0]?.assignee ?? ctx.switchBic;
  // Held until the cycle settles only when nothing of the request goes to a creditor agent now.
  const holdFor = recipients.size === 0 && held.length > 0 ? held[0]!.cycleId : null;
  const fullyCancelled = recipients.size === 0 && held.length === 0;
  const inserted = await tx.query<{ id: bigint }>(
    `INSERT INTO recall_cases (case_id, assigner, assignee, payment_id, request_message_id, state, deadline, held_for_cycle, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (assigner, case_id) DO NOTHING RETURNING id`,
    [caseId, inbound.sender, assignee, paymentId, inbound.messageRowId, fullyCancelled ? 'ACCEPTED' : 'OPEN',
      new Date(ctx.clock.now().getTime() + RECALL_DEADLINE_MS), holdFor, fullyCancelled ? ctx.clock.now() : null]);
  if (inserted.length === 0) {
    const report = refuse(inbound.report, `case ${caseId} is already open`, REASON.duplicateMessage);
    const answer = await answerSender(ctx, tx, report, inbound.sender);
    return { answered: true, report, answerRowId: answer.rowId, answerXml: answer.xml };
  }
  if (cancelled.length > 0) {
    await transitionPayments(tx, { event: 'CANCEL', to: 'CANCELLED', select: { ids: cancelled.map((c) => c.id) },
      cause: `recalled by ${inbound.sender} before cut-off (case ${caseId})`, record: 'each' });
    // A cancelled batch payment no longer debits its sender in the cycle (its batch ceiling, limits.amounts).
    for (const c of cancelled) if (c.cycleId !== null) await releaseBatchDebits(tx, c.cycleId, inbound.sender, c.currency, c.amount);
  }
  // Held transactions of other cycles than the one the case waits for, or next to forwarded ones, go now.
  for (const h of held) {
    if (holdFor !== null) continue;
    const list = recipients.get(h.assignee) ?? [];
    list.push(h.t);
    recipients.set(h.assignee, list);
  }
  for (const [to, transactions] of recipients) await forwardRecall(ctx, tx, to, caseId, request, transactions, inbound.sender);
  const resolved = [
    ...cancelled.map((c) => ({ t: c.t, status: 'ACCR' as const })),
    ...(holdFor !== null ? held.map((h) => ({ t: h.t, status: 'PDCR' as const })) : []),
  ];
  if (resolved.length > 0) {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const xml = buildCamt029({
      assignment: { id: messageId, assigner: ctx.switchBic, assignee: inbound.sender, creationDateTime: isoDateTime(ctx.clock.now()) },
      resolvedCase: request.case ?? { id: caseId, creator: inbound.sender },
      status: cancelled.length > 0 && holdFor === null && recipients.size === 0 ? 'CNCL' : 'PDCR',
      cancellationDetails: [{ transactions: resolved.map(({ t, status }) => ({
        ...(t.originalEndToEndId ? { originalEndToEndId: t.originalEndToEndId } : {}),
        ...(t.originalTransactionId ? { originalTransactionId: t.originalTransactionId } : {}),
        ...(t.originalUetr ? { originalUetr: t.originalUetr } : {}),
        status, reasons: [] })) }],
    });
    await emit(tx, { recipient: inbound.sender, messageType: 'camt.029.001.09', messageId, xml });
  }
  const answer = await answerSender(ctx, tx, inbound.report, inbound.sender);
  return { answered: true, report: inbound.report, answerRowId: answer.rowId, answerXml: answer.xml };
}

async function forwardRecall(ctx: EngineContext, tx: Queryable, assignee: string, caseId: string, request: ReturnType<typeof parseCamt056>,
  transactions: readonly RecallTransaction[], sender: string): Promise<void> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const xml = buildCamt056({
    assignment: { id: messageId, assigner: ctx.switchBic, assignee, creationDateTime: isoDateTime(ctx.clock.now()) },
    case: request.case ?? { id: caseId, creator: sender },
    underlying: [{ transactions: [...transactions] }],
  });
  await emit(tx, { recipient: assignee, messageType: 'camt.056.001.08', messageId, xml });
}

/**
 * At a cycle's settlement: the recalls held for it (payments cut off before the request came) go to
 * the creditor agents, who now hold the payments. A held payment that did not settle (unwound, so
 * rejected to its sender) closes its case instead: there is nothing left to recall.
 */
export async function forwardHeldRecalls(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cases = await tx.query<{ id: bigint; case_id: string; assigner: string; bytes: Uint8Array; payment_state: string }>(
    `SELECT r.id, r.case_id, r.assigner, m.bytes, p.state AS payment_state FROM recall_cases r
       JOIN messages m ON m.id = r.request_message_id JOIN payments_effective p ON p.id = r.payment_id
      WHERE r.held_for_cycle = $1 AND r.state = 'OPEN' ORDER BY r.id FOR UPDATE OF r`, [cycleId]);
  for (const c of cases) {
    if (c.payment_state !== 'SETTLED') {
      await tx.query("UPDATE recall_cases SET held_for_cycle = NULL, state = 'REJECTED', closed_at = $2 WHERE id = $1", [c.id, ctx.clock.now()]);
      continue;
    }
    const request = parseCamt056(documentText(c.bytes));
    const [payment] = await tx.query<{ creditor_agent: string }>('SELECT p.creditor_agent FROM recall_cases r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1', [c.id]);
    await forwardRecall(ctx, tx, payment!.creditor_agent, c.case_id, request, request.underlying.flatMap((u) => u.transactions), c.assigner);
    await tx.query('UPDATE recall_cases SET held_for_cycle = NULL WHERE id = $1', [c.id]);
  }
}

/** camt.029 from the case's assignee: close the case and send the answer back to its assigner. */
export async function handleRecallAnswer(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const answer = parseCamt029(documentText(inbound.bytes));
  const caseId = answer.resolvedCase?.id;
  const [open] = await tx.query<{ id: bigint; assigner: string }>(
    `SELECT id, assigner FROM recall_cases WHERE case_id = $1 AND assignee = $2 AND state = 'OPEN' FOR UPDATE`, [caseId ?? '', inbound.sender]);
  if (!open) {
    const report = refuse(inbound.report, `no open case ${caseId ?? '(none)'} assigned to ${inbound.sender}`, REASON.originalNotFound);
    const reply = await answerSender(ctx, tx, report, inbound.sender);
    return { answered: true, report, answerRowId: reply.rowId, answerXml: reply.xml };
  }
  const accepted = answer.status === 'CNCL' || answer.status === 'ACCR';
  await tx.query("UPDATE recall_cases SET state = $2, answer_message_id = $3, closed_at = now() WHERE id = $1",
    [open.id, accepted ? 'ACCEPTED' : 'REJECTED', inbound.messageRowId]);
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const xml = buildCamt029({ ...answer, assignment: { id: messageId, assigner: ctx.switchBic, assignee: open.assigner, creationDateTime: isoDateTime(ctx.clock.now()) } });
  await emit(tx, { recipient: open.assigner, messageType: 'camt.029.001.09', messageId, xml });
  return { answered: true, report: inbound.report };
}

/** Recall cases past their deadline without an answer are closed as EXPIRED. Returns how many. */
export async function expireRecallCases(ctx: EngineContext): Promise<number> {
  const rows = await ctx.db.query("UPDATE recall_cases SET state = 'EXPIRED', closed_at = now() WHERE state = 'OPEN' AND deadline < $1 RETURNING id",
    [ctx.clock.now()]);
  return rows.length;
}
