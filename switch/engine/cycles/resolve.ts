/**
 * An operator resolves a PARTIALLY_SETTLED cycle (docs/operations.md, "Resolving a partial settlement";
 * issue 9, defect 2). The action is recorded in the operator journal before this runs (engine.ts).
 *
 *  reinstruct         the cycle's positions are instructed again, for what the agent has not yet
 *                     booked (instruct.ts): after the defaulter has been funded.
 *  unwind-defaulter   every payment of the cycle the defaulters take part in (batch and committed
 *                     real-time) is unwound and rejected (ED05), real-time exposure given back,
 *                     positions recomputed, the parties told, the others instructed for the difference.
 *  settled-elsewhere  settlement happened by other means (e.g. the agent's manual booking): the cycle
 *                     is finished as if every instruction had settled.
 */
import { REASON } from '../../iso/reason-codes.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { broadcastEvent, emitStatusReport } from '../notices.ts';
import { groupBy, lockCycle } from './rows.ts';
import { nettingPairs, rejectUnwound, storePositions } from './netting.ts';
import { reportUnwound } from './answers.ts';
import { instructSettlement } from './instruct.ts';
import { finishSettlement } from './settle.ts';

export const SETTLEMENT_RESOLUTIONS = ['reinstruct', 'unwind-defaulter', 'settled-elsewhere'] as const;
export type SettlementResolution = typeof SETTLEMENT_RESOLUTIONS[number];

/** The cycle is not in a state the resolution applies to (the CLI's usage error). */
export class SettlementResolutionError extends Error {
  override readonly name = 'SettlementResolutionError';
}

/** Applies `action` to a PARTIALLY_SETTLED cycle; returns the cycle's state afterwards. */
export async function resolvePartialSettlement(ctx: EngineContext, tx: Queryable, cycleId: bigint, action: SettlementResolution): Promise<string> {
  const [exists] = await tx.query<{ id: bigint }>('SELECT id FROM cycles WHERE id = $1', [cycleId]);
  if (!exists) throw new SettlementResolutionError(`cycle ${cycleId} does not exist`);
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'PARTIALLY_SETTLED') {
    throw new SettlementResolutionError(`cycle ${cycleId} is ${cycle.state}, not PARTIALLY_SETTLED: nothing to resolve`);
  }
  await tx.query('UPDATE cycles SET settlement_resolution = $2 WHERE id = $1', [cycleId, action]);
  if (action === 'settled-elsewhere') {
    await finishSettlement(ctx, tx, cycle);
  } else {
    if (action === 'unwind-defaulter') await unwindDefaulterFully(ctx, tx, cycleId, await defaultersOf(tx, cycleId, cycle.settlement_attempt));
    await tx.query("UPDATE cycles SET state = 'NETTED' WHERE id = $1", [cycleId]);
    await instructSettlement(ctx, tx, cycleId);
  }
  const [after] = await tx.query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
  return after!.state;
}

/** The participants whose instructions the agent rejected in the cycle's latest attempt. */
async function defaultersOf(tx: Queryable, cycleId: bigint, attempt: number): Promise<string[]> {
  const rows = await tx.query<{ bic: string }>(
    "SELECT DISTINCT bic FROM settlement_instructions WHERE cycle_id = $1 AND attempt = $2 AND state = 'REJECTED' ORDER BY bic", [cycleId, attempt]);
  return rows.map((r) => r.bic);
}

/**
 * Every payment of the cycle a defaulter sends or receives leaves it (ED05), committed real-time ones
 * included: their exposure is given back (the debtor's net and debits, the creditor's net), and
 * their creditor agent, which confirmed them, is told as well as their sender.
 */
async function unwindDefaulterFully(ctx: EngineContext, tx: Queryable, cycleId: bigint, defaulters: readonly string[]): Promise<void> {
  if (defaulters.length === 0) throw new SettlementResolutionError(`cycle ${cycleId} has no rejected instruction in its latest attempt`);
  const payments = await tx.query<{ id: bigint; mode: string; debtor_agent: string; creditor_agent: string; currency: string; amount_minor: bigint }>(
    `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor FROM payments_effective
      WHERE cycle_id = $1 AND (debtor_agent = ANY($2::text[]) OR creditor_agent = ANY($2::text[]))
        AND ((mode = 'batch' AND state = 'NETTED') OR (mode = 'realtime' AND state = 'COMMITTED')) ORDER BY id`, [cycleId, defaulters]);
  const ids = payments.map((p) => p.id);
  const realtime = payments.filter((p) => p.mode === 'realtime');
  await broadcastEvent(ctx, tx, 'CYCLE_UNWOUND', [cycleId.toString(), ...defaulters], cycleId);
  await giveBackExposure(tx, realtime);
  await reportUnwoundToCreditors(ctx, tx, realtime.map((p) => p.id));
  await rejectUnwound(tx, ids, REASON.settlementFailed, `unwound from cycle ${cycleId} by the operator: settlement of ${defaulters.join(', ')} failed`);
  await reportUnwound(ctx, tx, ids);
  await storePositions(tx, cycleId, await nettingPairs(tx, cycleId, 'NETTED'));
}

/** Committed real-time payments leaving the cycle: their effect on the exposures undone, locked in (BIC, currency) order. */
async function giveBackExposure(tx: Queryable, payments: readonly { debtor_agent: string; creditor_agent: string; currency: string; amount_minor: bigint }[]): Promise<void> {
  const delta = new Map<string, { net: bigint; debits: bigint }>();
  const add = (bic: string, currency: string, net: bigint, debits: bigint) => {
    const d = delta.get(`${bic}|${currency}`) ?? { net: 0n, debits: 0n };
    delta.set(`${bic}|${currency}`, { net: d.net + net, debits: d.debits + debits });
  };
  for (const p of payments) {
    const amount = BigInt(p.amount_minor);
    add(p.debtor_agent, p.currency, amount, -amount);
    add(p.creditor_agent, p.currency, -amount, 0n);
  }
  for (const key of [...delta.keys()].sort()) {
    const [bic, currency] = key.split('|') as [string, string];
    const d = delta.get(key)!;
    await tx.query('UPDATE exposures SET net_minor = net_minor + $3, debits_minor = debits_minor + $4 WHERE bic = $1 AND currency = $2',
      [bic, currency, d.net.toString(), d.debits.toString()]);
  }
}

/** pacs.002 RJCT ED05 to the creditor agent of each unwound real-time payment, on the pacs.008 the switch forwarded to it. */
async function reportUnwoundToCreditors(ctx: EngineContext, tx: Queryable, ids: readonly bigint[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.query<{ creditor_agent: string; forwarded_message_id: string; transaction_id: string | null; end_to_end_id: string | null; uetr: string | null }>(
    `SELECT creditor_agent, forwarded_message_id, transaction_id, end_to_end_id, uetr FROM payments
      WHERE id = ANY($1::bigint[]) AND forwarded_message_id IS NOT NULL ORDER BY id`, [ids]);
  for (const group of groupBy(rows, (r) => `${r.creditor_agent}|${r.forwarded_message_id}`)) {
    await emitStatusReport(ctx, tx, {
      recipient: group[0]!.creditor_agent, originalMessageId: group[0]!.forwarded_message_id, originalMessageType: 'pacs.008.001.08',
      lines: group.map((r) => ({ transactionId: r.transaction_id ?? undefined, endToEndId: r.end_to_end_id ?? undefined, uetr: r.uetr ?? undefined,
        status: 'RJCT', reasonCode: REASON.settlementFailed, reasonText: 'the debtor\'s settlement failed: unwound' })),
    });
  }
}
