/**
 * A settled cycle: payments SETTLED, real-time exposure released, bulk files delivered (settlement
 * before delivery), pacs.002 ACSC to senders, camt.054 to each participant with a position.
 */
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { broadcastEvent, emitSettlementNotification, emitStatusReport, emitTransactionAdvices } from '../notices.ts';
import { groupBy, type CycleRow } from './rows.ts';
import { dateText } from '../date-column.ts';
import { deliverBulkFiles } from './bulk-files.ts';
import { transitionPayments } from '../transitions.ts';
import { forwardHeldRecalls, settleReturns } from '../exceptions.ts';

/** Every instruction settled: the cycle is final. */
export async function finishSettlement(ctx: EngineContext, tx: Queryable, cycle: CycleRow): Promise<void> {
  const cycleId = cycle.id;
  const businessDate = dateText(cycle.business_date)!;
  await tx.query("UPDATE cycles SET state = 'SETTLED', settled_at = $2 WHERE id = $1", [cycleId, ctx.clock.now()]);
  ctx.events?.({ event: 'cycle.settled', cycle: cycleId, businessDate });
  // Real-time exposure: the committed amounts of this cycle are now settled money, not exposure.
  // Summed now (no lock), applied at the very end: real-time intake locks these rows for every
  // payment, and holding them through the settlement of a large cycle (seconds) would stall it.
  const released = await tx.query<{ bic: string; currency: string; net: bigint; debits: bigint }>(
    `SELECT bic, currency, SUM(net)::bigint AS net, SUM(debit)::bigint AS debits FROM (
       SELECT debtor_agent AS bic, currency, -amount_minor AS net, amount_minor AS debit FROM payments
        WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED'
       UNION ALL
       SELECT creditor_agent AS bic, currency, amount_minor AS net, 0 AS debit FROM payments
        WHERE cycle_id = $1 AND mode = 'realtime' AND state = 'COMMITTED') t
     GROUP BY bic, currency ORDER BY bic, currency`, [cycleId]);
  // SETTLED, and the transition recorded once per state left (NETTED batch, COMMITTED real-time) for
  // the whole set of payments it moved. One statement per mode: NETTED payments are all batch (NET moves
  // only batch payments) and COMMITTED ones all real-time (CREDITOR_ACCEPTED), so each statement reads
  // only its mode's rows of the cycle (payments_cycle is on (cycle_id, mode)); one statement per state
  // over the whole cycle read a 200,000-payment batch cycle twice to find its few committed payments.
  await transitionPayments(tx, { event: 'SETTLE', to: 'SETTLED', from: ['NETTED'], select: { cycleId, mode: 'batch' }, cause: `cycle ${cycleId} settled`, record: 'set',
    derived: true });
  await transitionPayments(tx, { event: 'SETTLE', to: 'SETTLED', from: ['COMMITTED'], select: { cycleId, mode: 'realtime' }, cause: `cycle ${cycleId} settled`, record: 'set' });
  await deliverBulkFiles(ctx, tx, cycleId, businessDate);
  // Returns settled in this cycle: the originals' returned amounts change now, and the pacs.004s go out with the bulk files.
  await settleReturns(ctx, tx, cycleId);
  await reportSettled(ctx, tx, cycleId);
  // Recalls that arrived between cut-off and settlement reach the creditor agents with their payments.
  await forwardHeldRecalls(ctx, tx, cycleId);
  // Per participant, its settled payments of the cycle (as debtor or creditor, each payment once),
  // counted in one pass over the cycle's payments rather than one scan per position.
  const positions = await tx.query<{ bic: string; currency: string; net_minor: bigint; count: number }>(
    `SELECT cp.bic, cp.currency, cp.net_minor, COALESCE(c.count, 0)::int AS count
       FROM cycle_positions cp
       LEFT JOIN (SELECT v.bic, COUNT(v.bic) AS count FROM payments_effective p
                    CROSS JOIN LATERAL (VALUES (p.debtor_agent), (NULLIF(p.creditor_agent, p.debtor_agent))) AS v(bic)
                   WHERE p.cycle_id = $1 AND p.state = 'SETTLED' GROUP BY v.bic) c ON c.bic = cp.bic
      WHERE cp.cycle_id = $1 AND cp.net_minor <> 0 ORDER BY cp.currency, cp.bic`, [cycleId]);
  for (const p of positions) {
    await emitSettlementNotification(ctx, tx, { bic: p.bic, cycleId, businessDate, currency: p.currency, netMinor: p.net_minor, paymentCount: p.count });
  }
  // Participants that chose per-transaction advices: one camt.054 entry per settled payment, each currency it holds.
  for (const bic of ctx.config.perTransactionAdvices ?? []) {
    const participant = ctx.config.participants.find((q) => q.bic === bic);
    for (const currency of participant?.currencies ?? []) await emitTransactionAdvices(ctx, tx, { bic, cycleId, businessDate, currency });
  }
  await broadcastEvent(ctx, tx, 'CYCLE_SETTLED', [cycleId.toString()], cycleId);
  if (released.length > 0) {
    // Locked in (BIC, currency) order, the order real-time intake locks them in, so the two never deadlock.
    const bics = released.map((r) => r.bic);
    const currencies = released.map((r) => r.currency);
    await tx.query(`SELECT 1 FROM exposures WHERE (bic, currency) IN (SELECT * FROM unnest($1::text[], $2::text[]))
                     ORDER BY bic, currency FOR UPDATE`, [bics, currencies]);
    // Settled real-time debits leave the debtor's debits not yet settled (its ceiling, limits.amounts).
    await tx.query(`UPDATE exposures e SET net_minor = e.net_minor - s.net, debits_minor = e.debits_minor - s.debits
                      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS s(bic, currency, net, debits)
                     WHERE e.bic = s.bic AND e.currency = s.currency`,
    [bics, currencies, released.map((r) => r.net.toString()), released.map((r) => r.debits.toString())]);
  }
}

/**
 * pacs.002 ACSC to the sender of every message with payments settled in this cycle. A batch message's
 * report carries no lines, so batch payments are only counted per message; a real-time message's
 * lists its payment.
 */
async function reportSettled(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const messages = await tx.query<{ row_id: bigint; message_id: string; sender: string; message_type: string; mode: string }>(
    `SELECT g.message_id AS row_id, m.message_id, m.participant AS sender, m.message_type, g.mode
       FROM (SELECT message_id, mode, MIN(transaction_index) AS first FROM payments_effective WHERE cycle_id = $1 AND state = 'SETTLED'
              GROUP BY message_id, mode) g
       JOIN messages m ON m.id = g.message_id ORDER BY g.message_id, g.first`, [cycleId]);
  // One report per sender and MsgId (as the payments group); its first payment's mode decides the lines.
  const groups = groupBy(messages, (r) => `${r.sender}|${r.message_id}`);
  const listed = groups.filter((g) => g[0]!.mode === 'realtime');
  const lines = listed.length === 0 ? [] : await tx.query<{ message_id: string; sender: string; transaction_id: string | null; end_to_end_id: string | null; uetr: string | null }>(
    `SELECT m.message_id, m.participant AS sender, p.transaction_id, p.end_to_end_id, p.uetr
       FROM payments_effective p JOIN messages m ON m.id = p.message_id
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
