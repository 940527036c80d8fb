/**
 * The open cycle: the one cycle that takes payments (at most one is open: unique index), opened when
 * none is, and the acceptance of new batch payments into it.
 */
import { invariant } from '../../clearing/invariant.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { broadcastEvent } from '../notices.ts';
import { cycleFor } from '../../../batch/calendar.ts';
import { dateText } from '../date-column.ts';
import { arrayLiteral } from '../../store/packed-columns.ts';

/**
 * New batch payments of one message, just inserted ACCEPTED into `cycleId`: their acceptance (RECEIVED →
 * ACCEPTED) is recorded once for the set. Their transaction XML is not copied anywhere: the bulk files
 * take each element from the stored inbound file (its message and transaction index: bulk-files.ts).
 */
export async function acceptBatchPayments(tx: Queryable, cycleId: bigint, payments: readonly { id: bigint; transaction_index: number }[]): Promise<void> {
  if (payments.length === 0) return;
  await tx.query(`INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
                  SELECT $1, 'RECEIVED', 'ACCEPTED', $2, array_agg(id ORDER BY id) FROM unnest($3::text::bigint[]) AS t(id)`,
  // The ids as an array literal (node-postgres would quote and escape each of a file's 10,000).
  [cycleId, `accepted into cycle ${cycleId}`, arrayLiteral(payments.map((p) => p.id))]);
}

/**
 * New batch payments of one message dated a later business day, just inserted ACCEPTED without a cycle
 * (the warehouse, docs/scheme-rules.md "Future-dated payments"): their acceptance is recorded per
 * payment (a transition set belongs to a cycle). `joinWarehousedPayments` puts them into the first
 * cycle of their date. Their XML stays in the inbound file, as for every batch payment.
 */
export async function warehouseBatchPayments(tx: Queryable, payments: readonly { id: bigint; transaction_index: number }[]): Promise<void> {
  if (payments.length === 0) return;
  await tx.query(`INSERT INTO payment_transitions (payment_id, from_state, to_state, cause)
                  SELECT id, 'RECEIVED', 'ACCEPTED', 'accepted future-dated: warehoused until the first cycle of its settlement date'
                    FROM unnest($1::bigint[]) AS t(id) ORDER BY id`, [payments.map((p) => p.id)]);
}

/**
 * A newly opened cycle of business date `businessDate` takes the warehoused payments dated that day
 * (or earlier, when no cycle of their own day opened): they stay ACCEPTED, now in the cycle, and count
 * against their senders' batch debits there like payments sent into it (limits.amounts). Their state
 * does not change, so no transition is recorded; their history shows the acceptance into the warehouse.
 */
async function joinWarehousedPayments(tx: Queryable, cycleId: bigint, businessDate: string): Promise<void> {
  const joined = await tx.query<{ debtor_agent: string; currency: string; amount_minor: bigint }>(
    `UPDATE payments SET cycle_id = $1
      WHERE cycle_id IS NULL AND state = 'ACCEPTED' AND mode = 'batch' AND kind = 'CREDIT' AND settlement_date <= $2::date
      RETURNING debtor_agent, currency, amount_minor`, [cycleId, businessDate]);
  const sums = new Map<string, { bic: string; currency: string; amount: bigint }>();
  for (const p of joined) {
    const key = `${p.debtor_agent} ${p.currency}`;
    const sum = sums.get(key) ?? { bic: p.debtor_agent, currency: p.currency, amount: 0n };
    sum.amount += BigInt(p.amount_minor);
    sums.set(key, sum);
  }
  // Already accepted, so counted even past the ceiling (it bounds what intake takes into a cycle).
  for (const { bic, currency, amount } of [...sums.values()].sort((a, b) => (a.bic + a.currency < b.bic + b.currency ? -1 : 1))) {
    await tx.query(`INSERT INTO cycle_debits (cycle_id, bic, currency, debits_minor) VALUES ($1, $2, $3, $4::bigint)
                    ON CONFLICT (cycle_id, bic, currency) DO UPDATE SET debits_minor = cycle_debits.debits_minor + EXCLUDED.debits_minor`,
    [cycleId, bic, currency, amount.toString()]);
  }
}

/** The open cycle's id, opening one if there is none (at most one can be open: unique index). */
export async function openCycleId(ctx: EngineContext, tx: Queryable): Promise<bigint> {
  return (await openCycle(ctx, tx)).id;
}

/** The open cycle (id and business date), opening one if there is none. */
export async function openCycle(ctx: EngineContext, tx: Queryable): Promise<{ readonly id: bigint; readonly businessDate: string }> {
  const [open] = await tx.query<{ id: bigint; business_date: string | Date }>("SELECT id, business_date FROM cycles WHERE state = 'OPEN'");
  if (open) return { id: open.id, businessDate: dateText(open.business_date)! };
  const id = await openNextCycle(ctx, tx);
  const [opened] = await tx.query<{ business_date: string | Date }>('SELECT business_date FROM cycles WHERE id = $1', [id]);
  return { id, businessDate: dateText(opened!.business_date)! };
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
    await joinWarehousedPayments(tx, created.id, businessDate);
    await broadcastEvent(ctx, tx, 'CYCLE_OPENED', [created.id.toString(), businessDate], created.id);
    return created.id;
  }
  const [open] = await tx.query<{ id: bigint }>("SELECT id FROM cycles WHERE state = 'OPEN'");
  invariant(open !== undefined, 'no open cycle after opening one');
  return open.id;
}
