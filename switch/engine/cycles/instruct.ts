/**
 * Settlement instructions: one pacs.009 per non-zero net position, to the settlement agent. A later
 * attempt (after an unwind or an operator's re-instruction) instructs only what the agent has not
 * yet settled for the cycle: each participant's position less what its ACSC instructions of earlier
 * attempts booked (docs/decisions.md, "Settlement retries instruct the difference").
 */
import { remainingInstructions } from '../../clearing/settlement.ts';
import type { Queryable } from '../../store/database.ts';
import { INCARNATION_SQL, type EngineContext } from '../context.ts';
import { emitSettlementInstruction } from '../notices.ts';
import { lockCycle } from './rows.ts';
import { dateText } from '../date-column.ts';
import { finishSettlement } from './settle.ts';

/** One pacs.009 per participant still to be booked; a cycle with nothing left to book settles at once. */
export async function instructSettlement(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'NETTED') return;
  const attempt = cycle.settlement_attempt + 1;
  const rows = await tx.query<{ bic: string; currency: string; net_minor: bigint }>(
    'SELECT bic, currency, net_minor FROM cycle_positions WHERE cycle_id = $1', [cycleId]);
  const booked = await tx.query<{ bic: string; currency: string; net_minor: bigint }>(
    `SELECT bic, currency, SUM(CASE direction WHEN 'DEBIT' THEN -amount_minor ELSE amount_minor END)::bigint AS net_minor
       FROM settlement_instructions WHERE cycle_id = $1 AND state = 'SETTLED' GROUP BY bic, currency`, [cycleId]);
  const instructions = remainingInstructions(byCurrency(rows), byCurrency(booked), { settlementAccount: settlementAccount(ctx) });
  await tx.query("UPDATE cycles SET state = 'SETTLEMENT_SENT', settlement_attempt = $2, settlement_alert_at = NULL WHERE id = $1", [cycleId, attempt]);
  if (instructions.length === 0) {
    await finishSettlement(ctx, tx, cycle);
    return;
  }
  // After a restore, cycle ids are handed out again from the backup's value: the incarnation keeps the
  // InstrId of a new cycle apart from one the lost switch may have sent the agent (migration 023).
  const [row] = await tx.query<{ incarnation: string | null }>(`SELECT ${INCARNATION_SQL} AS incarnation`);
  const incarnation = row?.incarnation ?? null;
  for (const instruction of instructions) {
    const instructionId = `C${cycleId}-A${attempt}-${incarnation === null ? '' : `${incarnation}-`}${instruction.bic}-${instruction.currency}`;
    const messageId = await emitSettlementInstruction(ctx, tx, { ...instruction, instructionId, settlementAccount: settlementAccount(ctx),
      settlementDate: dateText(cycle.business_date)! });
    await tx.query(`INSERT INTO settlement_instructions (cycle_id, attempt, bic, currency, direction, amount_minor, instruction_id, state, message_id, sent_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, 'SENT', $8, $9)`,
    [cycleId, attempt, instruction.bic, instruction.currency, instruction.direction, instruction.amountMinor, instructionId, messageId, ctx.clock.now()]);
  }
  ctx.events?.({ event: 'settlement.instructed', cycle: cycleId, attempt, instructions: instructions.length });
}

function byCurrency(rows: readonly { bic: string; currency: string; net_minor: bigint }[]): Map<string, Map<string, bigint>> {
  const positions = new Map<string, Map<string, bigint>>();
  for (const r of rows) {
    const byBic = positions.get(r.currency) ?? new Map<string, bigint>();
    byBic.set(r.bic, BigInt(r.net_minor));
    positions.set(r.currency, byBic);
  }
  return positions;
}

function settlementAccount(ctx: EngineContext): string {
  return ctx.config.settlementAgent?.settlementAccount ?? `${ctx.switchBic}-SETTLEMENT`;
}
