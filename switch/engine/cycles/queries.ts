/**
 * Reading cycles and payments (CLI, API, tests): the cycles, a cycle's positions, a payment's history.
 * Reading never writes.
 */
import { invariant } from '../../clearing/invariant.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { dateText } from '../date-column.ts';
import type { CycleRow, CycleState } from './rows.ts';

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
  payments: number; settlementAttempt: number; stalledError?: string; stalledAt?: Date; settlementAlertAt?: Date; settlementResolution?: string }>> {
  const rows = await ctx.db.query<CycleRow & { payments: number; stalled_error: string | null; stalled_at: Date | null; settlement_alert_at: Date | null;
    settlement_resolution: string | null }>(
    `SELECT c.id, c.business_date, c.sequence, c.state, c.settlement_attempt, c.stalled_error, c.stalled_at, c.settlement_alert_at, c.settlement_resolution,
            (SELECT COUNT(*)::int FROM payments p WHERE p.cycle_id = c.id) AS payments
       FROM cycles c ORDER BY c.id DESC`);
  return rows.map((r) => ({ id: r.id, businessDate: dateText(r.business_date)!, sequence: r.sequence, state: r.state, payments: r.payments,
    settlementAttempt: r.settlement_attempt,
    // A step of this cycle failed and it waits in its state for the next resume (docs/operations.md).
    ...(r.stalled_error !== null ? { stalledError: r.stalled_error, stalledAt: r.stalled_at! } : {}),
    // The settlement agent did not answer in time (cycles/overdue.ts, raised by every sweep); cleared by the next attempt.
    ...(r.settlement_alert_at !== null ? { settlementAlertAt: r.settlement_alert_at } : {}),
    ...(r.settlement_resolution !== null ? { settlementResolution: r.settlement_resolution } : {}) }));
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
