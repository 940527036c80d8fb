/**
 * The settlement agent's answers to the instructions: every one settled finishes the cycle; a rejected
 * one unwinds its participant's batch payments, and the cycle is re-netted and instructed again.
 */
import { REASON } from '../../iso/reason-codes.ts';
import { unwindParticipant } from '../../clearing/caps.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { crashPoint } from '../crash.ts';
import { raiseEvent } from '../alerts.ts';
import { broadcastEvent, emitStatusReport } from '../notices.ts';
import { groupBy, lockCycle } from './rows.ts';
import { batchCaps, nettingPairs, obligationOf, rejectUnwound, storePositions, type PaymentRow } from './netting.ts';
import { instructSettlement } from './instruct.ts';
import { finishSettlement } from './settle.ts';

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
    `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor, sequence FROM payments_effective
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
  // The operators' alerts are queued in this transaction: they commit with the unwind (raiseEvent).
  await raiseEvent(ctx, tx, { event: 'settlement.rejected', cycle: cycleId, participants: defaulters });
  if (removed.length === 0) {
    await tx.query("UPDATE cycles SET state = 'PARTIALLY_SETTLED' WHERE id = $1", [cycleId]);
    await raiseEvent(ctx, tx, { event: 'cycle.partially-settled', cycle: cycleId, participants: defaulters });
    return;
  }
  ctx.events?.({ event: 'cycle.unwind', cycle: cycleId, payments: removed.length, reason: REASON.settlementFailed, participants: defaulters });
  await rejectUnwound(tx, removed, REASON.settlementFailed, `unwound from cycle ${cycleId}: settlement of ${defaulters.join(', ')} failed`);
  await reportUnwound(ctx, tx, removed);
  await storePositions(tx, cycleId, await nettingPairs(tx, cycleId, 'NETTED'));
  await tx.query("UPDATE cycles SET state = 'NETTED' WHERE id = $1", [cycleId]);
  await instructSettlement(ctx, tx, cycleId);
}

/** pacs.002 RJCT ED05 to the sender of every unwound payment, one report per sender and MsgId. */
export async function reportUnwound(ctx: EngineContext, tx: Queryable, ids: readonly bigint[]): Promise<void> {
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
