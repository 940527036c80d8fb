/**
 * The amount ceilings that bound every sum of a cycle (switch/limits.ts, `amounts`), where intake
 * needs the database to keep them: a participant's batch debits per cycle and currency, counted in
 * cycle_debits (migration 007). Its real-time debits are bounded by its exposure row
 * (exposures.debits_minor, part of its headroom: switch/engine/realtime.ts, realtime-intake.ts).
 */
import type { Finding } from '../iso/finding.ts';
import { formatAmount } from '../iso/amount.ts';
import { REASON } from '../iso/reason-codes.ts';
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';
import { invariant } from '../clearing/invariant.ts';

/**
 * Add `amountMinor` to `bic`'s batch debits of the cycle in `currency`, unless that would take them
 * past limits.amounts.participantCycleBatchDebitsMinorMax; true when added. The row is locked until
 * the caller's transaction ends, so concurrent messages of one sender are counted one after the
 * other (and only they wait on each other).
 */
export async function addBatchDebits(tx: Queryable, cycleId: bigint, bic: string, currency: string, amountMinor: bigint): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO cycle_debits (cycle_id, bic, currency, debits_minor) SELECT $1, $2, $3, $4::bigint WHERE $4::bigint <= $5::bigint
     ON CONFLICT (cycle_id, bic, currency) DO UPDATE SET debits_minor = cycle_debits.debits_minor + EXCLUDED.debits_minor
      WHERE cycle_debits.debits_minor + EXCLUDED.debits_minor <= $5::bigint
     RETURNING 1`, [cycleId, bic, currency, amountMinor.toString(), limits.amounts.participantCycleBatchDebitsMinorMax.toString()]);
  return rows.length === 1;
}

/** Give back `amountMinor` of `bic`'s batch debits of the cycle (a payment taken out of it before cut-off). */
export async function releaseBatchDebits(tx: Queryable, cycleId: bigint, bic: string, currency: string, amountMinor: bigint): Promise<void> {
  await tx.query('UPDATE cycle_debits SET debits_minor = debits_minor - $4::bigint WHERE cycle_id = $1 AND bic = $2 AND currency = $3',
    [cycleId, bic, currency, amountMinor.toString()]);
}

/**
 * Count a batch message's payments (all debiting `sender`, in one currency: validation refuses a
 * mix) against its ceiling in the cycle. Undefined when counted; otherwise the finding that refuses
 * the message (AM13).
 */
export async function claimBatchDebits(tx: Queryable, cycleId: bigint, sender: string,
  rows: readonly { readonly currency: string; readonly amountMinor: bigint }[]): Promise<Finding | undefined> {
  const byCurrency = new Map<string, bigint>();
  for (const row of rows) byCurrency.set(row.currency, (byCurrency.get(row.currency) ?? 0n) + row.amountMinor);
  // One currency, so a refusal leaves nothing counted behind.
  invariant(byCurrency.size <= 1, `a batch message in ${byCurrency.size} currencies passed validation`);
  for (const [currency, sum] of byCurrency) {
    if (!(await addBatchDebits(tx, cycleId, sender, currency, sum))) return ceilingFinding(cycleId, sender, currency, sum);
  }
  return undefined;
}

export function ceilingFinding(cycleId: bigint, sender: string, currency: string, amountMinor: bigint): Finding {
  const ceiling = limits.amounts.participantCycleBatchDebitsMinorMax;
  return { code: REASON.cycleDebitsOverLimit, path: '/Document',
    message: `${formatAmount(amountMinor, currency)} ${currency} more would take ${sender}'s batch debits in cycle ${cycleId} past the ` +
      `clearing system's ceiling of ${formatAmount(ceiling, currency)} ${currency} per participant and cycle; send it in the next cycle` };
}
