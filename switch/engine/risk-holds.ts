/**
 * The risk stage's review queue and freezes (docs/risk.md "Operators"): payments held for review,
 * released or rejected by an operator (or, real-time, rejected when not decided within the scheme
 * timeout), accounts and participants frozen and unfrozen, and the answers the stage's refusals give.
 */
import type { Finding } from '../iso/finding.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { Queryable } from '../store/database.ts';
import type { PaymentRiskFacts } from '../risk/types.ts';
import type { FileReport } from '../validation/pipeline.ts';
import type { EngineContext } from './context.ts';
import { transitionPayments } from './transitions.ts';
import { emitStatusReport } from './notices.ts';
import { admissionReport, confirmationTimeoutMs, reserveNewRealtimePayments } from './realtime.ts';
import { openCycle } from './cycles/open.ts';
import { claimBatchDebits } from './ceilings.ts';
import { recordOperatorAction } from './operator-actions.ts';
import { bumpRiskReference, noteRiskReferenceChange } from './risk-reference.ts';
import { recordRiskEvents, type Assessed } from './risk.ts';
import { SCREENING_TOLD } from '../risk/limits.ts';

/** What the stage's refusals need of a payment row (intake.ts PaymentRow). */
interface PaymentRow {
  readonly index: number;
  readonly transactionId: string | null;
  readonly uetr: string | null;
}

/**
 * The message's answer once the stage refused some of its transactions: each one RJCT with the
 * stage's code and text (AddtlInf); their TxId and UETR claims are given back, so the sender may send
 * them again once the reason is gone (as for a payment refused at validation).
 */
export async function refuseRiskRejected(tx: Queryable, messageRowId: bigint, report: FileReport, rows: readonly PaymentRow[],
  assessed: readonly Assessed[]): Promise<FileReport | undefined> {
  const refused = new Map<number, { code: string; text: string; row: PaymentRow }>();
  assessed.forEach((a, i) => {
    // The sender is told what it may know (a screening hit: the neutral code and text); the events keep the rest.
    if (a.disposal.kind === 'reject') refused.set(rows[i]!.index, { ...(a.disposal.told ?? a.disposal), row: rows[i]! });
  });
  if (refused.size === 0) return undefined;
  const findings: Finding[] = [...refused.entries()].map(([index, r]) => ({
    code: r.code, path: `/Document/*/CdtTrfTxInf[${index}]`, message: r.text, ...(r.row.transactionId ? { transactionId: r.row.transactionId } : {}),
    transactionIndex: index,
  }));
  const transactions = report.transactions.map((t) => {
    const r = refused.get(t.index);
    return r ? { ...t, status: 'RJCT' as const, reasons: [...t.reasons, r.code] } : t;
  });
  const rejected = transactions.filter((t) => t.status === 'RJCT').length;
  const keys = [...refused.values()].flatMap((r) => [r.row.transactionId, r.row.uetr]).filter((k): k is string => k !== null);
  await tx.query("DELETE FROM idempotency_keys WHERE message_id = $1 AND kind IN ('TX', 'UETR') AND key = ANY($2::text[])", [messageRowId, keys]);
  return { ...report, status: rejected === transactions.length ? 'RJCT' : rejected > 0 ? 'PART' : 'ACCP', findings: [...report.findings, ...findings], transactions };
}

/**
 * New payments the stage held, just inserted HELD without a cycle: their RECEIVED → HELD transitions;
 * a batch one's XML kept apart as for every batch payment; a real-time one given the scheme timeout to
 * be decided in (confirm_by) and answered PDNG, like a queued payment.
 */
export async function holdNewPayments(ctx: EngineContext, tx: Queryable, mode: 'batch' | 'realtime', payments: readonly { id: bigint; transaction_index: number }[],
  indexes: readonly number[], xml: readonly string[], sender: string, report: FileReport): Promise<void> {
  const ids = payments.map((p) => p.id);
  if (mode === 'batch') {
    const byIndex = new Map(indexes.map((index, i) => [index, xml[i]!]));
    await tx.query('INSERT INTO payment_xml (payment_id, transaction_xml) SELECT id, x FROM unnest($1::bigint[], $2::text[]) AS t(id, x)',
      [ids, payments.map((p) => byIndex.get(p.transaction_index)!)]);
  } else {
    const confirmBy = new Date(ctx.clock.now().getTime() + confirmationTimeoutMs(ctx));
    await tx.query('UPDATE payments SET confirm_by = $2 WHERE id = ANY($1::bigint[])', [ids, confirmBy]);
  }
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause)
                  SELECT id, 'RECEIVED', 'HELD', 'held by the risk stage for review' FROM unnest($1::bigint[]) AS t(id) ORDER BY id`, [ids]);
  if (mode === 'realtime') {
    const rows = await tx.query<{ transaction_id: string | null; end_to_end_id: string | null; uetr: string | null }>(
      'SELECT transaction_id, end_to_end_id, uetr FROM payments WHERE id = ANY($1::bigint[]) ORDER BY id', [ids]);
    for (const r of rows) {
      await emitStatusReport(ctx, tx, admissionReport({ sender, original_message_id: report.group!.messageId!, message_type: report.messageId!, ...r }, 'QUEUED'));
    }
  }
}

/** A held payment as the review queue shows it. */
export interface HeldPayment {
  readonly id: bigint;
  readonly mode: 'batch' | 'realtime';
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly transactionId: string | null;
  readonly heldAt: Date;
  /** Real-time: rejected (AB01) if not decided by then. */
  readonly decideBy: Date | null;
  readonly reasons: string;
}

/** The review queue, oldest first (read-only). */
export async function listHolds(db: Queryable): Promise<HeldPayment[]> {
  const rows = await db.query<{ id: bigint; mode: 'batch' | 'realtime'; debtor_agent: string; creditor_agent: string; currency: string; amount_minor: bigint;
    transaction_id: string | null; created_at: Date; confirm_by: Date | null; reasons: string | null }>(
    `SELECT p.id, p.mode, p.debtor_agent, p.creditor_agent, p.currency, p.amount_minor, p.transaction_id, p.created_at, p.confirm_by,
            (SELECT string_agg(e.reason, '; ' ORDER BY e.id) FROM risk_events e WHERE e.payment_id = p.id AND e.kind = 'hold') AS reasons
       FROM payments p WHERE p.pending_state = 'HELD' ORDER BY p.sequence`);
  return rows.map((r) => ({ id: r.id, mode: r.mode, debtorAgent: r.debtor_agent, creditorAgent: r.creditor_agent, currency: r.currency,
    amountMinor: BigInt(r.amount_minor), transactionId: r.transaction_id, heldAt: r.created_at, decideBy: r.confirm_by, reasons: r.reasons ?? '' }));
}

/** A decision on a held payment that cannot be made (unknown, not held, past its deadline). */
export class RiskDecisionError extends Error {
  override readonly name = 'RiskDecisionError';
}

interface HeldRow {
  readonly id: bigint;
  readonly mode: 'batch' | 'realtime';
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly instructing_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly transaction_id: string | null;
  readonly end_to_end_id: string | null;
  readonly uetr: string | null;
  readonly confirm_by: Date | null;
  readonly sender: string;
  readonly original_message_id: string;
  readonly message_type: string;
}

async function lockHeld(ctx: EngineContext, tx: Queryable, id: bigint): Promise<HeldRow> {
  const [p] = await tx.query<HeldRow & { state: string }>(
    `SELECT p.id, p.mode, payment_effective_state(p.state, p.mode, c.state) AS state, p.debtor_agent, p.creditor_agent, p.instructing_agent,
            p.currency, p.amount_minor, p.transaction_id, p.end_to_end_id, p.uetr, p.confirm_by, m.participant AS sender,
            m.message_id AS original_message_id, m.message_type
       FROM payments p JOIN messages m ON m.id = p.message_id LEFT JOIN cycles c ON c.id = p.cycle_id WHERE p.id = $1 FOR UPDATE OF p`, [id]);
  if (!p) throw new RiskDecisionError(`payment ${id} does not exist`);
  if (p.state !== 'HELD') throw new RiskDecisionError(`payment ${id} is ${p.state}, not held`);
  if (p.mode === 'realtime' && p.confirm_by !== null && p.confirm_by.getTime() < ctx.clock.now().getTime()) {
    throw new RiskDecisionError(`payment ${id} was not decided within the scheme timeout (${p.confirm_by.toISOString()}): it is rejected AB01 by the sweep`);
  }
  return p;
}

/**
 * An operator releases a held payment (recorded: who, when, why). Batch: it joins the open cycle
 * (ACCEPTED) and nets with it. Real-time: it is reserved against headroom and forwarded, or queued
 * or refused (AM04) over headroom, exactly as a new real-time payment.
 */
export async function releaseHeld(ctx: EngineContext, id: bigint, actor: string, reason: string,
  details?: Readonly<Record<string, unknown>>): Promise<{ state: string }> {
  return ctx.db.transaction((tx) => releaseHeldIn(ctx, tx, id, actor, reason, details), { retryable: true });
}

/** releaseHeld in the caller's transaction (a checker's approval marks its decision in the same one). */
export async function releaseHeldIn(ctx: EngineContext, tx: Queryable, id: bigint, actor: string, reason: string,
  details?: Readonly<Record<string, unknown>>): Promise<{ state: string }> {
  const p = await lockHeld(ctx, tx, id);
  await recordOperatorAction(tx, { actor, action: 'risk.release', subject: String(id), reason, ...(details ? { details: { ...details } } : {}) }, ctx.clock.now());
  if (p.mode === 'batch') {
    const cycle = await openCycle(ctx, tx);
    const over = await claimBatchDebits(tx, cycle.id, p.debtor_agent, [{ currency: p.currency, amountMinor: BigInt(p.amount_minor) }]);
    if (over) throw new RiskDecisionError(over.message);
    await tx.query('UPDATE payments SET cycle_id = $2 WHERE id = $1', [id, cycle.id]);
    await transitionPayments(tx, { event: 'ACCEPT_BATCH', to: 'ACCEPTED', from: ['HELD'], select: { ids: [id] },
      cause: `released by ${actor} into cycle ${cycle.id}: ${reason}`, record: 'each' });
  } else {
    await reserveNewRealtimePayments(ctx, tx, [id], 'HELD');
  }
  await recordRiskEvents(ctx, tx, [{ kind: 'release', actor, reason, paymentId: id, participant: p.debtor_agent }]);
  const [after] = await tx.query<{ state: string }>('SELECT state FROM payments_effective WHERE id = $1', [id]);
  await recordReleasedForScoring(ctx, tx, p);
  return { state: after!.state };
}

/**
 * A released payment is an accepted one: into the scoring statistics (docs/risk.md "What is recorded"),
 * as the stage saw it when it held it: its accounts and time from its hold event (recordAssessed's details).
 */
async function recordReleasedForScoring(ctx: EngineContext, tx: Queryable, p: HeldRow): Promise<void> {
  const scorer = ctx.risk?.scorer;
  if (scorer === undefined) return;
  const [held] = await tx.query<{ at: Date; details: { debtorAccount?: string; creditorAccount?: string } | null }>(
    `SELECT at, details FROM risk_events WHERE payment_id = $1 AND kind = 'hold' ORDER BY id LIMIT 1`, [p.id]);
  if (held === undefined) return;
  const receivedAt = new Date(held.at);
  const facts: PaymentRiskFacts = {
    service: p.mode === 'realtime' ? 'realtime' : 'batch', currency: p.currency, amount: BigInt(p.amount_minor),
    instructingAgent: p.instructing_agent, debtorAgent: p.debtor_agent, creditorAgent: p.creditor_agent,
    ...(held.details?.debtorAccount === undefined ? {} : { debtorAccount: held.details.debtorAccount }),
    ...(held.details?.creditorAccount === undefined ? {} : { creditorAccount: held.details.creditorAccount }),
    debtor: {}, creditor: {}, receivedAt, businessDate: receivedAt.toISOString().slice(0, 10),
  };
  await scorer.record(tx, facts);
}

/**
 * An operator rejects a held payment: REJECTED with `code` (default RR04), the sender told by pacs.002
 * RJCT. The operator's reason is recorded, never sent. A payment held on a screening hit is told the
 * neutral code and text whatever `code` says (tipping-off, docs/scheme-rules.md "Risk reason codes"):
 * the operator's code is kept in the operator action and the risk event only.
 */
export async function rejectHeld(ctx: EngineContext, id: bigint, actor: string, reason: string, code: string = REASON.regulatoryReason,
  details?: Readonly<Record<string, unknown>>): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const p = await lockHeld(ctx, tx, id);
    const [screened] = await tx.query("SELECT 1 FROM risk_events WHERE payment_id = $1 AND kind = 'screening-hit' LIMIT 1", [id]);
    const told = screened ? SCREENING_TOLD : { code, text: 'rejected after review' };
    await recordOperatorAction(tx, { actor, action: 'risk.reject', subject: String(id), reason,
      details: { ...details, code, ...(told.code === code ? {} : { toldCode: told.code }) } }, ctx.clock.now());
    await rejectHeldRow(ctx, tx, p, told.code, told.text, `rejected by ${actor}: ${reason}`);
    await recordRiskEvents(ctx, tx, [{ kind: 'reject', actor, reason, paymentId: id, participant: p.debtor_agent,
      details: { code, ...(told.code === code ? {} : { toldCode: told.code }) } }]);
  }, { retryable: true });
}

async function rejectHeldRow(ctx: EngineContext, tx: Queryable, p: HeldRow, code: string, text: string, cause: string): Promise<void> {
  await transitionPayments(tx, { event: 'REJECT', to: 'REJECTED', from: ['HELD'], select: { ids: [p.id] }, cause, reasonCode: code, record: 'each' });
  await emitStatusReport(ctx, tx, { recipient: p.sender, originalMessageId: p.original_message_id, originalMessageType: p.message_type, groupStatus: 'RJCT',
    lines: [{ transactionId: p.transaction_id ?? undefined, endToEndId: p.end_to_end_id ?? undefined, uetr: p.uetr ?? undefined,
      status: 'RJCT', reasonCode: code, reasonText: text.slice(0, 105) }] });
}

/**
 * Held real-time payments past their deadline: rejected AB01, risk event `timeout` (docs/risk.md
 * "Disposal"). Returns how many. The sweep skips a row another transaction holds (an operator's
 * decision, which refuses a payment past its deadline anyway, or another sweep); the business-day close
 * (`wait`) waits for it instead, so that no held payment past its deadline outlives the close.
 */
export async function sweepHeldTimeouts(ctx: EngineContext, options: { readonly wait?: boolean } = {}): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const due = await tx.query<HeldRow>(
      `SELECT p.id, p.mode, p.debtor_agent, p.currency, p.amount_minor, p.transaction_id, p.end_to_end_id, p.uetr, p.confirm_by,
              m.participant AS sender, m.message_id AS original_message_id, m.message_type
         FROM payments p JOIN messages m ON m.id = p.message_id
        WHERE p.pending_state = 'HELD' AND p.mode = 'realtime' AND p.confirm_by < $1 ORDER BY p.sequence
          FOR UPDATE OF p${options.wait ? '' : ' SKIP LOCKED'}`, [ctx.clock.now()]);
    for (const p of due) {
      await rejectHeldRow(ctx, tx, p, REASON.heldTimeout, 'not decided within the scheme timeout', 'held payment not decided in time');
    }
    await recordRiskEvents(ctx, tx, due.map((p) => ({ kind: 'timeout' as const, actor: 'risk-stage', reason: 'held payment not decided within the scheme timeout',
      paymentId: p.id, participant: p.debtor_agent, details: { code: REASON.heldTimeout } })));
    return due.length;
  }, { retryable: true });
}

/** Freeze an account of a participant (account '' : the participant itself). Recorded; idempotent refusal when already frozen. */
export async function freeze(ctx: EngineContext, participant: string, account: string, actor: string, reason: string,
  details?: Readonly<Record<string, unknown>>): Promise<void> {
  const generation = await ctx.db.transaction(async (tx) => {
    const subject = account === '' ? participant : `${participant}/${account}`;
    await recordOperatorAction(tx, { actor, action: account === '' ? 'risk.freeze_participant' : 'risk.freeze_account', subject, reason,
      ...(details ? { details: { ...details } } : {}) }, ctx.clock.now());
    const rows = await tx.query(`INSERT INTO risk_freezes (participant, account, frozen_at, frozen_by, reason) VALUES ($1, $2, $3, $4, $5)
                                 ON CONFLICT DO NOTHING RETURNING 1`, [participant, account, ctx.clock.now(), actor, reason]);
    if (rows.length === 0) throw new RiskDecisionError(`${account === '' ? 'participant' : 'account'} ${subject} is already frozen`);
    await recordRiskEvents(ctx, tx, [{ kind: 'freeze', actor, reason, participant, details: { account } }]);
    return bumpRiskReference(tx);
  });
  // In force in this process at once; in every other within the poll period (risk-reference.ts).
  noteRiskReferenceChange(ctx.db, generation);
}

export async function unfreeze(ctx: EngineContext, participant: string, account: string, actor: string, reason: string,
  details?: Readonly<Record<string, unknown>>): Promise<void> {
  await ctx.db.transaction((tx) => unfreezeIn(ctx, tx, participant, account, actor, reason, details));
}

/** unfreeze in the caller's transaction (a checker's approval marks its decision in the same one). */
export async function unfreezeIn(ctx: EngineContext, tx: Queryable, participant: string, account: string, actor: string, reason: string,
  details?: Readonly<Record<string, unknown>>): Promise<void> {
  const subject = account === '' ? participant : `${participant}/${account}`;
  await recordOperatorAction(tx, { actor, action: account === '' ? 'risk.unfreeze_participant' : 'risk.unfreeze_account', subject, reason,
    ...(details ? { details: { ...details } } : {}) }, ctx.clock.now());
  const rows = await tx.query('DELETE FROM risk_freezes WHERE participant = $1 AND account = $2 RETURNING 1', [participant, account]);
  if (rows.length === 0) throw new RiskDecisionError(`${account === '' ? 'participant' : 'account'} ${subject} is not frozen`);
  await recordRiskEvents(ctx, tx, [{ kind: 'unfreeze', actor, reason, participant, details: { account } }]);
  // Noted before the caller commits: this process asks the store at each use until it sees the change.
  noteRiskReferenceChange(ctx.db, await bumpRiskReference(tx));
}

/** A freeze in force: `account` '' is the participant itself. */
export interface Freeze {
  readonly participant: string;
  readonly account: string;
  readonly frozenAt: Date;
  readonly frozenBy: string;
  readonly reason: string;
}

/** The freezes in force, newest first (read-only). */
export async function listFreezes(db: Queryable): Promise<Freeze[]> {
  const rows = await db.query<{ participant: string; account: string; frozen_at: Date; frozen_by: string; reason: string }>(
    'SELECT participant, account, frozen_at, frozen_by, reason FROM risk_freezes ORDER BY frozen_at DESC, participant, account');
  return rows.map((r) => ({ participant: r.participant, account: r.account, frozenAt: new Date(r.frozen_at), frozenBy: r.frozen_by, reason: r.reason }));
}

/** The risk events, newest first (read-only). */
export const RISK_EVENT_KINDS = ['limit-breach', 'screening-hit', 'score', 'hold', 'release', 'reject', 'freeze', 'unfreeze', 'timeout', 'frozen'] as const;

/** Which risk events to list: one payment's, one kind, one participant's (any combination), at most `limit`. */
export interface RiskEventFilter {
  readonly paymentId?: bigint;
  readonly kind?: string;
  readonly participant?: string;
  readonly limit?: number;
}

/** The risk events, newest first (read-only). */
export async function listRiskEvents(db: Queryable, options: RiskEventFilter = {}):
  Promise<{ id: bigint; at: Date; kind: string; actor: string; reason: string; payment_id: bigint | null; participant: string | null; details: unknown }[]> {
  return db.query(`SELECT id, at, kind, actor, reason, payment_id, participant, details FROM risk_events
                    WHERE ($1::bigint IS NULL OR payment_id = $1) AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR participant = $4)
                    ORDER BY id DESC LIMIT $2`, [options.paymentId ?? null, options.limit ?? 100, options.kind ?? null, options.participant ?? null]);
}
