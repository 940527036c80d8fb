/**
 * The open cycle: the one cycle that takes payments (at most one is open: unique index), opened when
 * none is, and the acceptance of new batch payments into it.
 */
import { invariant } from '../../clearing/invariant.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { broadcastEvent } from '../notices.ts';
import { cycleFor } from '../../../batch/calendar.ts';

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

export async function openNextCycle(ctx: EngineContext, tx: Queryable): Promise<bigint> {
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
