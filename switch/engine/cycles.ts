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
import { capBreaches, unwind, unwindParticipant, type Cap } from '../clearing/caps.ts';
import { settlementInstructions } from '../clearing/settlement.ts';
import { invariant } from '../clearing/invariant.ts';
import type { Queryable } from '../store/database.ts';
import { isoDate, isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { broadcastEvent, emitSettlementInstruction, emitSettlementNotification, emitStatusReport } from './notices.ts';
import { forwardedCreditTransfer } from './outbound.ts';
import { expireQueuedPayments } from './realtime.ts';
import { crashPoint } from './crash.ts';
import { cycleFor } from '../../batch/calendar.ts';

export type CycleState = 'OPEN' | 'CUT_OFF' | 'NETTED' | 'SETTLEMENT_SENT' | 'SETTLED' | 'PARTIALLY_SETTLED';

export interface CycleRow {
  readonly id: bigint;
  readonly business_date: string | Date;
  readonly sequence: number;
  readonly state: CycleState;
  readonly settlement_attempt: number;
}

/**
 * New batch payments of one message, just inserted ACCEPTED into `cycleId`: their transaction XML goes
 * to payment_xml, where only the bulk files read it (the payments row, which netting and settlement
 * update, stays narrow), and their acceptance (RECEIVED → ACCEPTED) is recorded once for the set.
 */
export async function acceptBatchPayments(tx: Queryable, cycleId: bigint, payments: readonly { id: bigint; transaction_index: number }[],
  indexes: readonly number[], xml: readonly string[]): Promise<void> {
  if (payments.length === 0) return;
  const byIndex = new Map(indexes.map((index, i) => [index, xml[i]!]));
  await tx.query('INSERT INTO payment_xml (payment_id, transaction_xml) SELECT id, x FROM unnest($1::bigint[], $2::text[]) AS t(id, x)',
    [payments.map((p) => p.id), payments.map((p) => byIndex.get(p.transaction_index)!)]);
  await tx.query(`INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
                  SELECT $1, 'RECEIVED', 'ACCEPTED', $2, array_agg(id ORDER BY id) FROM unnest($3::bigint[]) AS t(id)`,
  [cycleId, `accepted into cycle ${cycleId}`, payments.map((p) => p.id)]);
}

/** The open cycle's id, opening one if there is none (at most one can be open: unique index). */
export async function openCycleId(ctx: EngineContext, tx: Queryable): Promise<bigint> {
  const [open] = await tx.query<{ id: bigint }>("SELECT id FROM cycles WHERE state = 'OPEN'");
  if (open) return open.id;
  return openNextCycle(ctx, tx);
}

async function openNextCycle(ctx: EngineContext, tx: Queryable): Promise<bigint> {
  // The business day whose cut-off will close this cycle (the scheduler's cycleFor): the date its
  // settlement instructions, bulk files and notifications carry (docs/scheme-rules.md, "Dates").
  const businessDate = cycleFor(ctx.clock.now(), ctx.config.calendar, ctx.config.cycles).businessDate;
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
  }, { retryable: true });
  crashPoint('cut-off.after-commit');
  if (cycleId !== undefined) await advanceCycle(ctx, cycleId);
  return cycleId;
}

/**
 * Carry every cycle that is between cut-off and settlement on: at start (after a crash), and
 * periodically from serve (a step that failed, e.g. the database was unreachable for a moment, would
 * otherwise wait for the next restart). Steps are idempotent: a cycle another process is advancing is
 * waited for and then left alone.
 */
export async function resumeCycles(ctx: EngineContext, options: { readonly cutOffBefore?: Date } = {}): Promise<void> {
  const pending = await ctx.db.query<{ id: bigint }>(
    "SELECT id FROM cycles WHERE state IN ('CUT_OFF', 'NETTED') AND ($1::timestamptz IS NULL OR cut_off_at < $1) ORDER BY id",
    [options.cutOffBefore ?? null]);
  for (const { id } of pending) await advanceCycle(ctx, id);
}

async function advanceCycle(ctx: EngineContext, cycleId: bigint): Promise<void> {
  // Each step locks the cycle and checks its state first, so running it again (a deadlock retry, a
  // resume by another process) does nothing twice.
  await ctx.db.transaction((tx) => netCycle(ctx, tx, cycleId), { retryable: true });
  await ctx.db.transaction((tx) => instructSettlement(ctx, tx, cycleId), { retryable: true });
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

/** The cycle's payments to net, summed per mode, debtor, creditor and currency (one row per pair, not per payment). */
interface PairRow {
  readonly mode: 'batch' | 'realtime';
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly count: number;
}

/**
 * One obligation standing for all of a pair's payments. Netting and the bilateral matrix only add
 * amounts up, so the sums give the same positions as the payments one by one; the id and sequence only
 * need to be unique.
 */
function pairObligation(p: PairRow, index: number): Obligation {
  return { id: `pair-${index}`, debtor: p.debtor_agent, creditor: p.creditor_agent, currency: p.currency, amountMinor: p.amount_minor, sequence: BigInt(index) };
}

/**
 * Net the cycle. Real-time payments were committed within headroom and are final for netting; batch
 * payments are checked against what is left of each cap (cap + the participant's real-time position
 * in this cycle) and unwound latest first where a participant is over it.
 *
 * The positions are summed in the database first (one row per pair of participants). Only when a
 * participant is over its cap are the cycle's payments read one by one for the unwind, which needs
 * their order: a cycle within caps (the usual case) never ships its payments to node.
 */
async function netCycle(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'CUT_OFF') return;
  const pairs = await nettingPairs(tx, cycleId, 'ACCEPTED');
  const realtimePairs = pairs.map(pairObligation).filter((_, i) => pairs[i]!.mode === 'realtime');
  const batchPairs = pairs.map(pairObligation).filter((_, i) => pairs[i]!.mode === 'batch');
  const caps = await batchCaps(tx, realtimePairs);
  let removedIds: bigint[] = [];
  if (capBreaches(netPositions(batchPairs), caps).length > 0) {
    const payments = await tx.query<PaymentRow>(
      `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor, sequence FROM payments
        WHERE cycle_id = $1 AND mode = 'batch' AND state = 'ACCEPTED' ORDER BY sequence`, [cycleId]);
    const result = unwind(payments.map(obligationOf), caps, 'LATEST_FIRST');
    removedIds = result.removed.map((r) => BigInt(r.obligation.id));
  }
  // NETTED, and the transition recorded once for the whole set of payments it moved.
  await tx.query(`WITH netted AS (
                    UPDATE payments SET state = 'NETTED', updated_at = now()
                     WHERE cycle_id = $1 AND mode = 'batch' AND state = 'ACCEPTED' AND NOT (id = ANY($2::bigint[])) RETURNING id)
                  INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
                  SELECT $1, 'ACCEPTED', 'NETTED', $3, array_agg(id ORDER BY id) FROM netted HAVING COUNT(*) > 0`,
  [cycleId, removedIds, `cycle ${cycleId} netted`]);
  await rejectUnwound(tx, removedIds, REASON.settlementLimitExceeded, `unwound from cycle ${cycleId}: net debit cap exceeded`);
  await storePositions(tx, cycleId, removedIds.length === 0 ? pairs : await nettingPairs(tx, cycleId, 'NETTED'));
  await tx.query("UPDATE cycles SET state = 'NETTED', netted_at = now() WHERE id = $1", [cycleId]);
  await reportNetting(ctx, tx, cycleId);
  await broadcastEvent(ctx, tx, 'CYCLE_NETTED', [cycleId.toString()], cycleId);
  crashPoint('netting.before-commit');
}

/** The payments a cycle nets (batch ones in `batchState`, committed real-time ones), summed per pair. */
function nettingPairs(tx: Queryable, cycleId: bigint, batchState: 'ACCEPTED' | 'NETTED'): Promise<PairRow[]> {
  return tx.query<PairRow>(
    `SELECT mode, debtor_agent, creditor_agent, currency, SUM(amount_minor)::bigint AS amount_minor, COUNT(*)::int AS count FROM payments
      WHERE cycle_id = $1 AND ((mode = 'batch' AND state = $2) OR (mode = 'realtime' AND state = 'COMMITTED'))
      GROUP BY mode, debtor_agent, creditor_agent, currency ORDER BY mode, debtor_agent, creditor_agent, currency`, [cycleId, batchState]);
}

async function rejectUnwound(tx: Queryable, ids: readonly bigint[], reason: string, cause: string): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
                  SELECT id, state, 'UNWOUND', $2, $3 FROM payments WHERE id = ANY($1::bigint[])`, [ids, cause, reason]);
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
                  SELECT id, 'UNWOUND', 'REJECTED', $2, $3 FROM payments WHERE id = ANY($1::bigint[])`, [ids, 'not rolled over: rejected', reason]);
  await tx.query("UPDATE payments SET state = 'REJECTED', reason_code = $2, updated_at = now() WHERE id = ANY($1::bigint[])", [ids, reason]);
}

/** The cycle's net positions and bilateral matrix, from its payments summed per pair (each statement one set-based insert). */
async function storePositions(tx: Queryable, cycleId: bigint, pairs: readonly PairRow[]): Promise<void> {
  const obligations = pairs.map(pairObligation);
  const positions = netPositions(obligations);
  assertSumZero(positions);
  await tx.query('DELETE FROM cycle_positions WHERE cycle_id = $1', [cycleId]);
  await tx.query('DELETE FROM cycle_bilateral WHERE cycle_id = $1', [cycleId]);
  const position = { bic: [] as string[], currency: [] as string[], net: [] as string[] };
  for (const [currency, byBic] of positions) {
    for (const [bic, net] of byBic) {
      position.bic.push(bic);
      position.currency.push(currency);
      position.net.push(net.toString());
    }
  }
  await tx.query(`INSERT INTO cycle_positions (cycle_id, bic, currency, net_minor)
                  SELECT $1, b, c, n::bigint FROM unnest($2::text[], $3::text[], $4::text[]) AS t(b, c, n)`,
  [cycleId, position.bic, position.currency, position.net]);
  const counts = new Map<string, number>();
  for (const p of pairs) {
    const key = `${p.currency}|${p.debtor_agent}|${p.creditor_agent}`;
    counts.set(key, (counts.get(key) ?? 0) + p.count);
  }
  const bilateral = { currency: [] as string[], debtor: [] as string[], creditor: [] as string[], gross: [] as string[], count: [] as number[] };
  for (const [currency, byDebtor] of bilateralMatrix(obligations)) {
    for (const [debtor, byCreditor] of byDebtor) {
      for (const [creditor, gross] of byCreditor) {
        bilateral.currency.push(currency);
        bilateral.debtor.push(debtor);
        bilateral.creditor.push(creditor);
        bilateral.gross.push(gross.toString());
        bilateral.count.push(counts.get(`${currency}|${debtor}|${creditor}`) ?? 0);
      }
    }
  }
  await tx.query(`INSERT INTO cycle_bilateral (cycle_id, currency, debtor, creditor, gross_minor, payment_count)
                  SELECT $1, c, d, r, g::bigint, n FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS t(c, d, r, g, n)`,
  [cycleId, bilateral.currency, bilateral.debtor, bilateral.creditor, bilateral.gross, bilateral.count]);
}

/**
 * After netting: a pacs.002 to each sender of batch payments in the cycle (ACCP, or PART/RJCT listing
 * the unwound). Counted per message in the database; only the unwound payments are read one by one.
 */
async function reportNetting(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const counted = await tx.query<{ row_id: bigint; message_id: string; sender: string; message_type: string; total: number; rejected: number }>(
    `SELECT g.message_id AS row_id, m.message_id, m.participant AS sender, m.message_type, g.total, g.rejected
       FROM (SELECT message_id, COUNT(*)::int AS total, (COUNT(*) FILTER (WHERE state = 'REJECTED'))::int AS rejected FROM payments
              WHERE cycle_id = $1 AND mode = 'batch' AND state IN ('NETTED', 'REJECTED') GROUP BY message_id) g
       JOIN messages m ON m.id = g.message_id ORDER BY g.message_id`, [cycleId]);
  const rejected = await tx.query<{ message_id: string; sender: string; transaction_id: string | null; end_to_end_id: string | null; reason_code: string | null }>(
    `SELECT m.message_id, m.participant AS sender, p.transaction_id, p.end_to_end_id, p.reason_code
       FROM payments p JOIN messages m ON m.id = p.message_id
      WHERE p.cycle_id = $1 AND p.mode = 'batch' AND p.state = 'REJECTED' ORDER BY p.message_id, p.transaction_index`, [cycleId]);
  const linesOf = new Map(groupBy(rejected, (r) => `${r.sender}|${r.message_id}`).map((g) => [`${g[0]!.sender}|${g[0]!.message_id}`, g]));
  // One report per sender and MsgId, as the payments group (two stored messages can share both).
  for (const group of groupBy(counted, (r) => `${r.sender}|${r.message_id}`)) {
    const total = group.reduce((sum, r) => sum + r.total, 0);
    const lines = linesOf.get(`${group[0]!.sender}|${group[0]!.message_id}`) ?? [];
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.sender, originalMessageId: group[0]!.message_id, originalMessageType: group[0]!.message_type,
      groupStatus: lines.length === 0 ? 'ACCP' : lines.length === total ? 'RJCT' : 'PART',
      lines: lines.map((r) => ({
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
    await finishSettlement(ctx, tx, cycle);
    return;
  }
  for (const instruction of instructions) {
    const instructionId = `C${cycleId}-A${attempt}-${instruction.bic}-${instruction.currency}`;
    const messageId = await emitSettlementInstruction(ctx, tx, { ...instruction, instructionId, settlementAccount: settlementAccount(ctx),
      settlementDate: dateText(cycle.business_date)! });
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
  if (failed.length === 0) await finishSettlement(ctx, tx, cycle);
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
  await storePositions(tx, cycleId, await nettingPairs(tx, cycleId, 'NETTED'));
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
async function finishSettlement(ctx: EngineContext, tx: Queryable, cycle: CycleRow): Promise<void> {
  const cycleId = cycle.id;
  const businessDate = dateText(cycle.business_date)!;
  await tx.query("UPDATE cycles SET state = 'SETTLED', settled_at = $2 WHERE id = $1", [cycleId, ctx.clock.now()]);
  // Real-time exposure: the committed amounts of this cycle are now settled money, not exposure.
  // Summed now (no lock), applied at the very end: real-time intake locks these rows for every
  // payment, and holding them through the settlement of a large cycle (seconds) would stall it.
  const released = await tx.query<{ bic: string; currency: string; net: bigint }>(
    `SELECT bic, currency, SUM(net)::bigint AS net FROM (
       SELECT debtor_agent AS bic, currency, -amount_minor AS net FROM payments WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED'
       UNION ALL
       SELECT creditor_agent AS bic, currency, amount_minor AS net FROM payments WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED') t
     GROUP BY bic, currency ORDER BY bic, currency`, [cycleId]);
  // SETTLED, and the transition recorded once per state left (NETTED batch, COMMITTED real-time) for
  // the whole set of payments it moved.
  for (const from of ['NETTED', 'COMMITTED'] as const) {
    await tx.query(`WITH settled AS (
                      UPDATE payments SET state = 'SETTLED', updated_at = now() WHERE cycle_id = $1 AND state = $2 RETURNING id)
                    INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
                    SELECT $1, $2, 'SETTLED', $3, array_agg(id ORDER BY id) FROM settled HAVING COUNT(*) > 0`,
    [cycleId, from, `cycle ${cycleId} settled`]);
  }
  await deliverBulkFiles(ctx, tx, cycleId, businessDate);
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
    await emitSettlementNotification(ctx, tx, { bic: p.bic, cycleId, businessDate, currency: p.currency, netMinor: p.net_minor, paymentCount: p.count });
  }
  await broadcastEvent(ctx, tx, 'CYCLE_SETTLED', [cycleId.toString()], cycleId);
  if (released.length > 0) {
    // Locked in (BIC, currency) order, the order real-time intake locks them in, so the two never deadlock.
    const bics = released.map((r) => r.bic);
    const currencies = released.map((r) => r.currency);
    await tx.query(`SELECT 1 FROM exposures WHERE (bic, currency) IN (SELECT * FROM unnest($1::text[], $2::text[]))
                     ORDER BY bic, currency FOR UPDATE`, [bics, currencies]);
    await tx.query(`UPDATE exposures e SET net_minor = e.net_minor - s.net
                      FROM unnest($1::text[], $2::text[], $3::bigint[]) AS s(bic, currency, net)
                     WHERE e.bic = s.bic AND e.currency = s.currency`, [bics, currencies, released.map((r) => r.net.toString())]);
  }
}

/**
 * Settlement before delivery: one bulk pacs.008 per receiving participant and currency. Each file is
 * assembled and stored inside the database, one at a time: the ids of its payments are read in file
 * order, and the database joins the group header and trailer built here with the transaction XML of
 * those payments, in that order. The transactions (about 1.1 KB each) never travel to node and back,
 * and neither node nor the database holds more than one file at a time. The group header's
 * IntrBkSttlmDt is the cycle's business date: the day the cycle settled for.
 */
async function deliverBulkFiles(ctx: EngineContext, tx: Queryable, cycleId: bigint, businessDate: string): Promise<void> {
  // Per file: its payments' ids in acceptance order (the order of the file), sorted per group of about
  // 10,000 narrow rows rather than the cycle's 200,000 at once.
  const files = await tx.query<{ creditor_agent: string; currency: string; count: number; total_minor: bigint; ids: (string | bigint)[] }>(
    `SELECT creditor_agent, currency, COUNT(*)::int AS count, SUM(amount_minor)::bigint AS total_minor, array_agg(id ORDER BY sequence) AS ids
       FROM payments WHERE cycle_id = $1 AND mode = 'batch' AND kind = 'CREDIT' AND state = 'SETTLED'
      GROUP BY creditor_agent, currency ORDER BY creditor_agent, currency`, [cycleId]);
  for (const file of files) {
    invariant(file.ids.length === file.count, `bulk file for ${file.creditor_agent}: ids do not match its count`);
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    // The document as forwardedCreditTransfer builds it, cut where its transactions go.
    const [head, tail, ...rest] = forwardedCreditTransfer({
      messageId, createdAt: isoDateTime(ctx.clock.now()), settlementDate: businessDate,
      currency: file.currency, totalText: formatAmount(file.total_minor, file.currency), count: file.count,
      instructingAgent: ctx.switchBic, instructedAgent: file.creditor_agent,
    }, [TRANSACTIONS_MARK]).split(TRANSACTIONS_MARK);
    invariant(head !== undefined && tail !== undefined && rest.length === 0, 'bulk file template without a single place for its transactions');
    // Stored and queued as emit() does; the bytes are the UTF-8 of head, the transactions joined by
    // newlines, tail: the same document forwardedCreditTransfer returns for them. Each XML is looked up
    // by its key (a join may scan the whole table, which holds every cycle's transactions).
    const [stored] = await tx.query<{ id: bigint }>(
      `WITH document AS (
         SELECT convert_to($4 || string_agg(t.xml, E'\n' ORDER BY t.n) || $5, 'UTF8') AS bytes, COUNT(t.xml) AS transactions
           FROM (SELECT u.n, (SELECT x.transaction_xml FROM payment_xml x WHERE x.payment_id = u.id) AS xml
                   FROM unnest($6::bigint[]) WITH ORDINALITY AS u(id, n)) t)
       INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
       SELECT 'out', $1, 'pacs.008.001.08', $2, encode(sha256(bytes), 'hex'), octet_length(bytes), bytes FROM document WHERE transactions = $3
       RETURNING id`, [file.creditor_agent, messageId, file.count, head, tail, file.ids.map(String)]);
    invariant(stored !== undefined, `bulk file for ${file.creditor_agent}: transaction XML missing for some of its ${file.count} payments`);
    await tx.query("INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity')",
      [stored.id, file.creditor_agent]);
  }
}

/** Stands for the transactions in a bulk file's template; cannot occur in XML (a NUL character). */
const TRANSACTIONS_MARK = '\u0000transactions\u0000';

export function dateText(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value.slice(0, 10) : isoDate(value);
}

/**
 * pacs.002 ACSC to the sender of every message with payments settled in this cycle. A batch message's
 * report carries no lines, so batch payments are only counted per message; a real-time message's
 * lists its payment.
 */
async function reportSettled(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const messages = await tx.query<{ row_id: bigint; message_id: string; sender: string; message_type: string; mode: string }>(
    `SELECT g.message_id AS row_id, m.message_id, m.participant AS sender, m.message_type, g.mode
       FROM (SELECT message_id, mode, MIN(transaction_index) AS first FROM payments WHERE cycle_id = $1 AND state = 'SETTLED'
              GROUP BY message_id, mode) g
       JOIN messages m ON m.id = g.message_id ORDER BY g.message_id, g.first`, [cycleId]);
  // One report per sender and MsgId (as the payments group); its first payment's mode decides the lines.
  const groups = groupBy(messages, (r) => `${r.sender}|${r.message_id}`);
  const listed = groups.filter((g) => g[0]!.mode === 'realtime');
  const lines = listed.length === 0 ? [] : await tx.query<{ message_id: string; sender: string; transaction_id: string | null; end_to_end_id: string | null; uetr: string | null }>(
    `SELECT m.message_id, m.participant AS sender, p.transaction_id, p.end_to_end_id, p.uetr
       FROM payments p JOIN messages m ON m.id = p.message_id
      WHERE p.cycle_id = $1 AND p.state = 'SETTLED' AND p.message_id = ANY($2::bigint[]) ORDER BY p.message_id, p.transaction_index`,
    [cycleId, listed.flatMap((g) => g.map((r) => r.row_id))]);
  const linesOf = new Map(groupBy(lines, (r) => `${r.sender}|${r.message_id}`).map((g) => [`${g[0]!.sender}|${g[0]!.message_id}`, g]));
  for (const group of groups) {
    const realtime = group[0]!.mode === 'realtime';
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.sender, originalMessageId: group[0]!.message_id, originalMessageType: group[0]!.message_type,
      groupStatus: 'ACSC',
      lines: realtime ? (linesOf.get(`${group[0]!.sender}|${group[0]!.message_id}`) ?? []).map((r) => ({ transactionId: r.transaction_id ?? undefined,
        endToEndId: r.end_to_end_id ?? undefined, uetr: r.uetr ?? undefined, status: 'ACSC' })) : [],
    });
  }
}

/** One recorded state change of a payment. */
export interface PaymentTransition {
  readonly id: bigint;
  readonly fromState: string | null;
  readonly toState: string;
  readonly cause: string;
  readonly reasonCode: string | null;
  readonly at: Date;
}

/**
 * Every state change of one payment, in order: its own transitions (payment_transitions) and those
 * recorded once for a set of payments of its cycle that includes it (payment_transition_sets: a batch
 * file accepted, the cycle netted, the cycle settled). The view payment_history gives the same for every
 * payment at once; this reads only the sets of the payment's cycle.
 */
export async function paymentHistory(db: Queryable, paymentId: bigint): Promise<PaymentTransition[]> {
  const rows = await db.query<{ id: bigint; from_state: string | null; to_state: string; cause: string; reason_code: string | null; at: Date }>(
    `SELECT id, from_state, to_state, cause, reason_code, at FROM payment_transitions WHERE payment_id = $1
     UNION ALL
     SELECT s.id, s.from_state, s.to_state, s.cause, s.reason_code, s.at
       FROM payments p JOIN payment_transition_sets s ON s.cycle_id = p.cycle_id
      WHERE p.id = $1 AND p.id = ANY (s.payment_ids)
     ORDER BY id`, [paymentId]);
  return rows.map((r) => ({ id: r.id, fromState: r.from_state, toState: r.to_state, cause: r.cause, reasonCode: r.reason_code, at: r.at }));
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
