/**
 * Cycles: OPEN → CUT_OFF → NETTED → SETTLEMENT_SENT → SETTLED | PARTIALLY_SETTLED.
 *
 * Each step is one database transaction that moves the cycle to its next state, so a crash between
 * steps leaves a cycle in a well-defined state and `resumeCycles` carries it on: nothing is done twice
 * (every step first locks the cycle row and checks its state) and nothing is skipped.
 *
 *  cut-off     the open cycle stops taking payments; a new one opens; queued real-time payments expire
 *  netting     batch payments and committed real-time payments are netted; a participant over its net
 *              debit cap has its latest batch payments unwound (rejected, AM23) until it is within cap;
 *              positions and the bilateral matrix are stored; pacs.002 to each sender
 *  instruct    one pacs.009 per participant with a non-zero position, to the settlement agent
 *  settle      when every instruction is answered: all settled → SETTLED, payments SETTLED, the bulk
 *              pacs.008 per receiver delivered (settlement before delivery), pacs.002 ACSC to senders,
 *              camt.054 to each participant; a rejected instruction → its participant's batch payments
 *              are unwound (ED05), the cycle re-netted and re-instructed (next attempt)
 */
import { formatAmount } from '../iso/amount.ts';
import { REASON } from '../iso/reason-codes.ts';
import { bilateralMatrix, netPositions, assertSumZero, type Obligation } from '../clearing/positions.ts';
import { unwind, unwindParticipant, type Cap } from '../clearing/caps.ts';
import { settlementInstructions } from '../clearing/settlement.ts';
import { invariant } from '../clearing/invariant.ts';
import type { Queryable } from '../store/database.ts';
import { isoDate, isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { broadcastEvent, emitSettlementInstruction, emitSettlementNotification, emitStatusReport } from './notices.ts';
import { emit, forwardedCreditTransfer } from './outbound.ts';
import { expireQueuedPayments } from './realtime.ts';
import { crashPoint } from './crash.ts';
import { businessDateOf } from '../../batch/calendar.ts';

export type CycleState = 'OPEN' | 'CUT_OFF' | 'NETTED' | 'SETTLEMENT_SENT' | 'SETTLED' | 'PARTIALLY_SETTLED';

export interface CycleRow {
  readonly id: bigint;
  readonly business_date: string | Date;
  readonly sequence: number;
  readonly state: CycleState;
  readonly settlement_attempt: number;
}

/** The open cycle's id, opening one if there is none (at most one can be open: unique index). */
export async function openCycleId(ctx: EngineContext, tx: Queryable): Promise<bigint> {
  const [open] = await tx.query<{ id: bigint }>("SELECT id FROM cycles WHERE state = 'OPEN'");
  if (open) return open.id;
  return openNextCycle(ctx, tx);
}

async function openNextCycle(ctx: EngineContext, tx: Queryable): Promise<bigint> {
  const businessDate = businessDateOf(ctx.clock.now(), ctx.config.calendar);
  const [created] = await tx.query<{ id: bigint }>(
    `INSERT INTO cycles (business_date, sequence, state, opened_at)
     SELECT $1::date, COALESCE(MAX(sequence), 0) + 1, 'OPEN', $2 FROM cycles WHERE business_date = $1::date
     ON CONFLICT DO NOTHING RETURNING id`, [businessDate, ctx.clock.now()]);
  if (created) {
    await broadcastEvent(ctx, tx, 'CYCLE_OPENED', [created.id.toString(), businessDate], created.id);
    return created.id;
  }
  const [open] = await tx.query<{ id: bigint }>("SELECT id FROM cycles WHERE state = 'OPEN'");
  invariant(open !== undefined, 'no open cycle after opening one');
  return open.id;
}

/**
 * Cut off the open cycle (operator command or scheduled cut-off) and carry it as far as it goes:
 * netted and instructed. Returns the id of the cycle cut off, or undefined when none was open.
 */
export async function closeCycle(ctx: EngineContext, options: { readonly dueAt?: Date } = {}): Promise<bigint | undefined> {
  const cycleId = await ctx.db.transaction(async (tx) => {
    const [open] = await tx.query<{ id: bigint; opened_at: Date }>("SELECT id, opened_at FROM cycles WHERE state = 'OPEN' FOR UPDATE");
    if (!open) return undefined;
    // A scheduled cut-off applies to the cycle that was open at its time: fired twice (two processes,
    // a retry), the second finds a cycle opened at or after it and leaves it alone.
    if (options.dueAt !== undefined && open.opened_at.getTime() >= options.dueAt.getTime()) return undefined;
    await tx.query("UPDATE cycles SET state = 'CUT_OFF', closed_at = $2, cut_off_at = $2 WHERE id = $1", [open.id, ctx.clock.now()]);
    await expireQueuedPayments(ctx, tx, open.id);
    await broadcastEvent(ctx, tx, 'CYCLE_CUT_OFF', [open.id.toString()], open.id);
    await openNextCycle(ctx, tx);
    return open.id;
  });
  crashPoint('cut-off.after-commit');
  if (cycleId !== undefined) await advanceCycle(ctx, cycleId);
  return cycleId;
}

/** Carry every cycle that is between cut-off and settlement on (after a restart). */
export async function resumeCycles(ctx: EngineContext): Promise<void> {
  const pending = await ctx.db.query<{ id: bigint }>(
    "SELECT id FROM cycles WHERE state IN ('CUT_OFF', 'NETTED') ORDER BY id");
  for (const { id } of pending) await advanceCycle(ctx, id);
}

async function advanceCycle(ctx: EngineContext, cycleId: bigint): Promise<void> {
  await ctx.db.transaction((tx) => netCycle(ctx, tx, cycleId));
  await ctx.db.transaction((tx) => instructSettlement(ctx, tx, cycleId));
  crashPoint('settlement.after-instructions');
}

async function lockCycle(tx: Queryable, cycleId: bigint): Promise<CycleRow> {
  const [cycle] = await tx.query<CycleRow>('SELECT id, business_date, sequence, state, settlement_attempt FROM cycles WHERE id = $1 FOR UPDATE', [cycleId]);
  invariant(cycle !== undefined, `cycle ${cycleId} does not exist`);
  return cycle;
}

interface PaymentRow {
  readonly id: bigint;
  readonly mode: 'batch' | 'realtime';
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly sequence: bigint;
}

function obligationOf(p: PaymentRow): Obligation {
  return { id: p.id.toString(), debtor: p.debtor_agent, creditor: p.creditor_agent, currency: p.currency, amountMinor: p.amount_minor, sequence: p.sequence };
}

/** What is left of each participant's cap for batch payments: cap + its real-time position in the cycle. */
async function batchCaps(tx: Queryable, realtime: readonly Obligation[]): Promise<Cap[]> {
  const rows = await tx.query<{ bic: string; currency: string; cap_minor: bigint }>('SELECT bic, currency, cap_minor FROM exposures');
  const realtimePositions = netPositions(realtime);
  return rows.map((r) => {
    const left = r.cap_minor + (realtimePositions.get(r.currency)?.get(r.bic) ?? 0n);
    return { bic: r.bic, currency: r.currency, netDebitCapMinor: left > 0n ? left : 0n };
  });
}

/**
 * Net the cycle. Real-time payments were committed within headroom and are final for netting; batch
 * payments are checked against what is left of each cap (cap + the participant's real-time position
 * in this cycle) and unwound latest first where a participant is over it.
 */
async function netCycle(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'CUT_OFF') return;
  const payments = await tx.query<PaymentRow>(
    `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor, sequence FROM payments
      WHERE cycle_id = $1 AND ((mode = 'batch' AND state = 'ACCEPTED') OR (mode = 'realtime' AND state = 'COMMITTED'))
      ORDER BY sequence`, [cycleId]);
  const realtime = payments.filter((p) => p.mode === 'realtime').map(obligationOf);
  const batch = payments.filter((p) => p.mode === 'batch').map(obligationOf);
  const result = unwind(batch, await batchCaps(tx, realtime), 'LATEST_FIRST');
  const removedIds = result.removed.map((r) => BigInt(r.obligation.id));
  await tx.query(`UPDATE payments SET state = 'NETTED', updated_at = now() WHERE cycle_id = $1 AND mode = 'batch' AND state = 'ACCEPTED'
                  AND NOT (id = ANY($2::bigint[]))`, [cycleId, removedIds]);
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause)
                  SELECT id, 'ACCEPTED', 'NETTED', $2 FROM payments WHERE cycle_id = $1 AND mode = 'batch' AND state = 'NETTED'`,
  [cycleId, `cycle ${cycleId} netted`]);
  await rejectUnwound(tx, removedIds, REASON.settlementLimitExceeded, `unwound from cycle ${cycleId}: net debit cap exceeded`);
  const kept = [...realtime, ...result.kept];
  await storePositions(tx, cycleId, kept);
  await tx.query("UPDATE cycles SET state = 'NETTED', netted_at = now() WHERE id = $1", [cycleId]);
  await reportNetting(ctx, tx, cycleId);
  await broadcastEvent(ctx, tx, 'CYCLE_NETTED', [cycleId.toString()], cycleId);
  crashPoint('netting.before-commit');
}

async function rejectUnwound(tx: Queryable, ids: readonly bigint[], reason: string, cause: string): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
                  SELECT id, state, 'UNWOUND', $2, $3 FROM payments WHERE id = ANY($1::bigint[])`, [ids, cause, reason]);
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
                  SELECT id, 'UNWOUND', 'REJECTED', $2, $3 FROM payments WHERE id = ANY($1::bigint[])`, [ids, 'not rolled over: rejected', reason]);
  await tx.query("UPDATE payments SET state = 'REJECTED', reason_code = $2, updated_at = now() WHERE id = ANY($1::bigint[])", [ids, reason]);
}

async function storePositions(tx: Queryable, cycleId: bigint, obligations: readonly Obligation[]): Promise<void> {
  const positions = netPositions(obligations);
  assertSumZero(positions);
  await tx.query('DELETE FROM cycle_positions WHERE cycle_id = $1', [cycleId]);
  await tx.query('DELETE FROM cycle_bilateral WHERE cycle_id = $1', [cycleId]);
  for (const [currency, byBic] of positions) {
    for (const [bic, net] of byBic) {
      await tx.query('INSERT INTO cycle_positions (cycle_id, bic, currency, net_minor) VALUES ($1, $2, $3, $4)', [cycleId, bic, currency, net]);
    }
  }
  const counts = new Map<string, number>();
  for (const o of obligations) counts.set(`${o.currency}|${o.debtor}|${o.creditor}`, (counts.get(`${o.currency}|${o.debtor}|${o.creditor}`) ?? 0) + 1);
  for (const [currency, byDebtor] of bilateralMatrix(obligations)) {
    for (const [debtor, byCreditor] of byDebtor) {
      for (const [creditor, gross] of byCreditor) {
        await tx.query('INSERT INTO cycle_bilateral (cycle_id, currency, debtor, creditor, gross_minor, payment_count) VALUES ($1, $2, $3, $4, $5, $6)',
          [cycleId, currency, debtor, creditor, gross, counts.get(`${currency}|${debtor}|${creditor}`) ?? 0]);
      }
    }
  }
}

/** After netting: a pacs.002 to each sender of batch payments in the cycle (ACCP, or PART/RJCT listing the unwound). */
async function reportNetting(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const rows = await tx.query<{ message_id: string; sender: string; message_type: string; state: string; transaction_id: string | null;
    end_to_end_id: string | null; reason_code: string | null }>(
    `SELECT m.message_id, m.participant AS sender, m.message_type, p.state, p.transaction_id, p.end_to_end_id, p.reason_code
       FROM payments p JOIN messages m ON m.id = p.message_id
      WHERE p.cycle_id = $1 AND p.mode = 'batch' AND p.state IN ('NETTED', 'REJECTED')
      ORDER BY p.message_id, p.transaction_index`, [cycleId]);
  for (const group of groupBy(rows, (r) => `${r.sender}|${r.message_id}`)) {
    const rejected = group.filter((r) => r.state === 'REJECTED');
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.sender, originalMessageId: group[0]!.message_id, originalMessageType: group[0]!.message_type,
      groupStatus: rejected.length === 0 ? 'ACCP' : rejected.length === group.length ? 'RJCT' : 'PART',
      lines: rejected.map((r) => ({
        transactionId: r.transaction_id ?? undefined, endToEndId: r.end_to_end_id ?? undefined, status: 'RJCT',
        reasonCode: r.reason_code ?? undefined, reasonText: 'net debit cap exceeded at netting',
      })),
    });
  }
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return [...groups.values()];
}

/** One pacs.009 per non-zero position; a cycle that nets to nothing settles at once. */
async function instructSettlement(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'NETTED') return;
  const attempt = cycle.settlement_attempt + 1;
  const rows = await tx.query<{ bic: string; currency: string; net_minor: bigint }>(
    'SELECT bic, currency, net_minor FROM cycle_positions WHERE cycle_id = $1', [cycleId]);
  const positions = new Map<string, Map<string, bigint>>();
  for (const r of rows) {
    const byBic = positions.get(r.currency) ?? new Map<string, bigint>();
    byBic.set(r.bic, r.net_minor);
    positions.set(r.currency, byBic);
  }
  const instructions = settlementInstructions(positions, { settlementAccount: settlementAccount(ctx) });
  await tx.query("UPDATE cycles SET state = 'SETTLEMENT_SENT', settlement_attempt = $2 WHERE id = $1", [cycleId, attempt]);
  if (instructions.length === 0) {
    await finishSettlement(ctx, tx, cycleId);
    return;
  }
  for (const instruction of instructions) {
    const instructionId = `C${cycleId}-A${attempt}-${instruction.bic}-${instruction.currency}`;
    const messageId = await emitSettlementInstruction(ctx, tx, { ...instruction, instructionId, settlementAccount: settlementAccount(ctx) });
    await tx.query(`INSERT INTO settlement_instructions (cycle_id, attempt, bic, currency, direction, amount_minor, instruction_id, state, message_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, 'SENT', $8)`,
    [cycleId, attempt, instruction.bic, instruction.currency, instruction.direction, instruction.amountMinor, instructionId, messageId]);
  }
}

function settlementAccount(ctx: EngineContext): string {
  return ctx.config.settlementAgent?.settlementAccount ?? `${ctx.switchBic}-SETTLEMENT`;
}

/**
 * The settlement agent's answer to one instruction (from its pacs.002: ACSC settled, RJCT rejected).
 * Returns false when the instruction is unknown or already answered.
 */
export async function recordSettlementAnswer(ctx: EngineContext, tx: Queryable, answer: {
  readonly instructionId: string;
  readonly settled: boolean;
  readonly reasonCode?: string;
}): Promise<boolean> {
  const [instruction] = await tx.query<{ cycle_id: bigint; attempt: number; state: string }>(
    'SELECT cycle_id, attempt, state FROM settlement_instructions WHERE instruction_id = $1', [answer.instructionId]);
  if (!instruction) return false;
  const cycle = await lockCycle(tx, instruction.cycle_id);
  if (instruction.state !== 'SENT' || cycle.state !== 'SETTLEMENT_SENT' || cycle.settlement_attempt !== instruction.attempt) return false;
  await tx.query('UPDATE settlement_instructions SET state = $2, reason_code = $3, answered_at = now() WHERE instruction_id = $1',
    [answer.instructionId, answer.settled ? 'SETTLED' : 'REJECTED', answer.reasonCode ?? null]);
  const open = await tx.query<{ state: string; bic: string }>(
    'SELECT state, bic FROM settlement_instructions WHERE cycle_id = $1 AND attempt = $2', [cycle.id, cycle.settlement_attempt]);
  crashPoint('settlement.mid-answers');
  if (open.some((i) => i.state === 'SENT')) return true;
  const failed = [...new Set(open.filter((i) => i.state === 'REJECTED').map((i) => i.bic))];
  if (failed.length === 0) await finishSettlement(ctx, tx, cycle.id);
  else await unwindDefaulters(ctx, tx, cycle.id, failed);
  return true;
}

/**
 * A participant's settlement failed: its batch payments (sent and received) leave the cycle, the
 * rest is re-netted, and settlement is instructed again. Its committed real-time payments stay: they
 * were confirmed against collateral-backed headroom. If nothing of it can be unwound, the cycle is
 * PARTIALLY_SETTLED and waits for the operator.
 */
async function unwindDefaulters(ctx: EngineContext, tx: Queryable, cycleId: bigint, defaulters: readonly string[]): Promise<void> {
  const payments = await tx.query<PaymentRow>(
    `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor, sequence FROM payments
      WHERE cycle_id = $1 AND ((mode = 'batch' AND state = 'NETTED') OR (mode = 'realtime' AND state = 'COMMITTED')) ORDER BY sequence`, [cycleId]);
  const batch = payments.filter((p) => p.mode === 'batch').map(obligationOf);
  const realtime = payments.filter((p) => p.mode === 'realtime').map(obligationOf);
  let kept = batch;
  const removed: bigint[] = [];
  const capsLeft = await batchCaps(tx, realtime);
  for (const bic of defaulters) {
    const result = unwindParticipant(kept, bic, capsLeft, 'LATEST_FIRST');
    removed.push(...result.removed.map((r) => BigInt(r.obligation.id)));
    kept = result.kept;
  }
  await broadcastEvent(ctx, tx, 'CYCLE_UNWOUND', [cycleId.toString(), ...defaulters], cycleId);
  if (removed.length === 0) {
    await tx.query("UPDATE cycles SET state = 'PARTIALLY_SETTLED' WHERE id = $1", [cycleId]);
    return;
  }
  await rejectUnwound(tx, removed, REASON.settlementFailed, `unwound from cycle ${cycleId}: settlement of ${defaulters.join(', ')} failed`);
  await reportUnwound(ctx, tx, removed);
  await storePositions(tx, cycleId, [...realtime, ...kept]);
  await tx.query("UPDATE cycles SET state = 'NETTED' WHERE id = $1", [cycleId]);
  await instructSettlement(ctx, tx, cycleId);
}

async function reportUnwound(ctx: EngineContext, tx: Queryable, ids: readonly bigint[]): Promise<void> {
  const rows = await tx.query<{ message_id: string; sender: string; message_type: string; transaction_id: string | null; end_to_end_id: string | null }>(
    `SELECT m.message_id, m.participant AS sender, m.message_type, p.transaction_id, p.end_to_end_id
       FROM payments p JOIN messages m ON m.id = p.message_id WHERE p.id = ANY($1::bigint[]) ORDER BY p.message_id, p.transaction_index`, [ids]);
  for (const group of groupBy(rows, (r) => `${r.sender}|${r.message_id}`)) {
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.sender, originalMessageId: group[0]!.message_id, originalMessageType: group[0]!.message_type,
      lines: group.map((r) => ({ transactionId: r.transaction_id ?? undefined, endToEndId: r.end_to_end_id ?? undefined,
        status: 'RJCT', reasonCode: REASON.settlementFailed, reasonText: 'a party\'s settlement failed: unwound' })),
    });
  }
}

/** Every instruction settled: the cycle is final. */
async function finishSettlement(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  await tx.query("UPDATE cycles SET state = 'SETTLED', settled_at = $2 WHERE id = $1", [cycleId, ctx.clock.now()]);
  // Real-time exposure: the committed amounts of this cycle are now settled money, not exposure.
  await tx.query(`UPDATE exposures e SET net_minor = e.net_minor - s.net
                    FROM (SELECT bic, currency, SUM(net) AS net FROM (
                            SELECT debtor_agent AS bic, currency, -amount_minor AS net FROM payments WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED'
                            UNION ALL
                            SELECT creditor_agent AS bic, currency, amount_minor AS net FROM payments WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED') t
                          GROUP BY bic, currency) s
                   WHERE e.bic = s.bic AND e.currency = s.currency`, [cycleId]);
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause)
                  SELECT id, state, 'SETTLED', $2 FROM payments WHERE cycle_id = $1 AND state IN ('NETTED', 'COMMITTED')`, [cycleId, `cycle ${cycleId} settled`]);
  await tx.query("UPDATE payments SET state = 'SETTLED', updated_at = now() WHERE cycle_id = $1 AND state IN ('NETTED', 'COMMITTED')", [cycleId]);
  await deliverBulkFiles(ctx, tx, cycleId);
  await reportSettled(ctx, tx, cycleId);
  // Per participant, its settled payments of the cycle (as debtor or creditor, each payment once),
  // counted in one pass over the cycle's payments rather than one scan per position.
  const positions = await tx.query<{ bic: string; currency: string; net_minor: bigint; count: number }>(
    `SELECT cp.bic, cp.currency, cp.net_minor, COALESCE(c.count, 0)::int AS count
       FROM cycle_positions cp
       LEFT JOIN (SELECT v.bic, COUNT(v.bic) AS count FROM payments p
                    CROSS JOIN LATERAL (VALUES (p.debtor_agent), (NULLIF(p.creditor_agent, p.debtor_agent))) AS v(bic)
                   WHERE p.cycle_id = $1 AND p.state = 'SETTLED' GROUP BY v.bic) c ON c.bic = cp.bic
      WHERE cp.cycle_id = $1 AND cp.net_minor <> 0 ORDER BY cp.currency, cp.bic`, [cycleId]);
  for (const p of positions) {
    await emitSettlementNotification(ctx, tx, { bic: p.bic, cycleId, currency: p.currency, netMinor: p.net_minor, paymentCount: p.count });
  }
  await broadcastEvent(ctx, tx, 'CYCLE_SETTLED', [cycleId.toString()], cycleId);
}

/** Settlement before delivery: one bulk pacs.008 per receiving participant and currency. */
async function deliverBulkFiles(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const rows = await tx.query<{ creditor_agent: string; currency: string; amount_minor: bigint; transaction_xml: string; settlement_date: string | Date | null }>(
    `SELECT creditor_agent, currency, amount_minor, transaction_xml, settlement_date FROM payments
      WHERE cycle_id = $1 AND mode = 'batch' AND kind = 'CREDIT' AND state = 'SETTLED' ORDER BY creditor_agent, currency, sequence`, [cycleId]);
  for (const group of groupBy(rows, (r) => `${r.creditor_agent}|${r.currency}`)) {
    const total = group.reduce((sum, r) => sum + r.amount_minor, 0n);
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const first = group[0]!;
    const xml = forwardedCreditTransfer({
      messageId, createdAt: isoDateTime(ctx.clock.now()), settlementDate: dateText(first.settlement_date) ?? isoDate(ctx.clock.now()),
      currency: first.currency, totalText: formatAmount(total, first.currency), count: group.length,
      instructingAgent: ctx.switchBic, instructedAgent: first.creditor_agent,
    }, group.map((r) => r.transaction_xml));
    await emit(tx, { recipient: first.creditor_agent, messageType: 'pacs.008.001.08', messageId, xml });
  }
}

export function dateText(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value.slice(0, 10) : isoDate(value);
}

/** pacs.002 ACSC to the sender of every message with payments settled in this cycle. */
async function reportSettled(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const rows = await tx.query<{ message_id: string; sender: string; message_type: string; mode: string; transaction_id: string | null;
    end_to_end_id: string | null; uetr: string | null }>(
    `SELECT m.message_id, m.participant AS sender, m.message_type, p.mode, p.transaction_id, p.end_to_end_id, p.uetr
       FROM payments p JOIN messages m ON m.id = p.message_id
      WHERE p.cycle_id = $1 AND p.state = 'SETTLED' ORDER BY p.message_id, p.transaction_index`, [cycleId]);
  for (const group of groupBy(rows, (r) => `${r.sender}|${r.message_id}`)) {
    const realtime = group[0]!.mode === 'realtime';
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.sender, originalMessageId: group[0]!.message_id, originalMessageType: group[0]!.message_type,
      groupStatus: 'ACSC',
      lines: realtime ? group.map((r) => ({ transactionId: r.transaction_id ?? undefined, endToEndId: r.end_to_end_id ?? undefined,
        uetr: r.uetr ?? undefined, status: 'ACSC' })) : [],
    });
  }
}

/** The cycles, newest first, with their payment counts (for `clearhouse cycle list/status`). */
export async function listCycles(ctx: EngineContext): Promise<Array<{ id: bigint; businessDate: string; sequence: number; state: CycleState;
  payments: number; settlementAttempt: number }>> {
  const rows = await ctx.db.query<CycleRow & { payments: number }>(
    `SELECT c.id, c.business_date, c.sequence, c.state, c.settlement_attempt,
            (SELECT COUNT(*)::int FROM payments p WHERE p.cycle_id = c.id) AS payments
       FROM cycles c ORDER BY c.id DESC`);
  return rows.map((r) => ({ id: r.id, businessDate: dateText(r.business_date)!, sequence: r.sequence, state: r.state, payments: r.payments,
    settlementAttempt: r.settlement_attempt }));
}

/** Net positions of a cycle (default: the latest netted one) and its bilateral matrix. */
export async function cyclePositions(ctx: EngineContext, cycleId?: bigint) {
  const [cycle] = cycleId !== undefined
    ? await ctx.db.query<CycleRow>('SELECT id, business_date, sequence, state, settlement_attempt FROM cycles WHERE id = $1', [cycleId])
    : await ctx.db.query<CycleRow>("SELECT id, business_date, sequence, state, settlement_attempt FROM cycles WHERE state NOT IN ('OPEN', 'CUT_OFF') ORDER BY id DESC LIMIT 1");
  if (!cycle) return undefined;
  const positions = await ctx.db.query<{ bic: string; currency: string; net_minor: bigint }>(
    'SELECT bic, currency, net_minor FROM cycle_positions WHERE cycle_id = $1 ORDER BY currency, bic', [cycle.id]);
  const bilateral = await ctx.db.query<{ currency: string; debtor: string; creditor: string; gross_minor: bigint; payment_count: number }>(
    'SELECT currency, debtor, creditor, gross_minor, payment_count FROM cycle_bilateral WHERE cycle_id = $1 ORDER BY currency, debtor, creditor', [cycle.id]);
  const sums = new Map<string, bigint>();
  for (const p of positions) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.net_minor);
  for (const [currency, sum] of sums) invariant(sum === 0n, `cycle ${cycle.id} ${currency} positions sum to ${sum}`);
  return { cycle: { id: cycle.id, businessDate: dateText(cycle.business_date)!, sequence: cycle.sequence, state: cycle.state }, positions, bilateral };
}
