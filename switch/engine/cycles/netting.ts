/**
 * Netting: positions and the bilateral matrix of a cut-off cycle, unwind of batch payments over a net
 * debit cap, the pacs.002 to each sender. The pair sums and the unwind are shared with the unwind of a
 * participant whose settlement failed (answers.ts).
 */
import { REASON } from '../../iso/reason-codes.ts';
import { bilateralMatrix, netPositions, assertSumZero, type Obligation } from '../../clearing/positions.ts';
import { capBreaches, unwind, type Cap } from '../../clearing/caps.ts';
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { crashPoint } from '../crash.ts';
import { broadcastEvent, emitStatusReport } from '../notices.ts';
import { groupBy, lockCycle } from './rows.ts';
import { transitionPayments } from '../transitions.ts';

export interface PaymentRow {
  readonly id: bigint;
  readonly mode: 'batch' | 'realtime';
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly currency: string;
  readonly amount_minor: bigint;
  readonly sequence: bigint;
}

export function obligationOf(p: PaymentRow): Obligation {
  return { id: p.id.toString(), debtor: p.debtor_agent, creditor: p.creditor_agent, currency: p.currency, amountMinor: p.amount_minor, sequence: p.sequence };
}

/** What is left of each participant's cap for batch payments: cap + its real-time position in the cycle. */
export async function batchCaps(tx: Queryable, realtime: readonly Obligation[]): Promise<Cap[]> {
  const rows = await tx.query<{ bic: string; currency: string; cap_minor: bigint }>('SELECT bic, currency, cap_minor FROM exposures');
  const realtimePositions = netPositions(realtime);
  return rows.map((r) => {
    const left = r.cap_minor + (realtimePositions.get(r.currency)?.get(r.bic) ?? 0n);
    return { bic: r.bic, currency: r.currency, netDebitCapMinor: left > 0n ? left : 0n };
  });
}

/** The cycle's payments to net, summed per mode, debtor, creditor and currency (one row per pair, not per payment). */
export interface PairRow {
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
export async function netCycle(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<void> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'CUT_OFF') return;
  const { pairs, messages } = await nettingRead(tx, cycleId);
  const realtimePairs = pairs.map(pairObligation).filter((_, i) => pairs[i]!.mode === 'realtime');
  const batchPairs = pairs.map(pairObligation).filter((_, i) => pairs[i]!.mode === 'batch');
  const caps = await batchCaps(tx, realtimePairs);
  let removedIds: bigint[] = [];
  if (capBreaches(netPositions(batchPairs), caps).length > 0) {
    const payments = await tx.query<PaymentRow>(
      `SELECT id, mode, debtor_agent, creditor_agent, currency, amount_minor, sequence FROM payments_effective
        WHERE cycle_id = $1 AND mode = 'batch' AND state = 'ACCEPTED' ORDER BY sequence`, [cycleId]);
    const result = unwind(payments.map(obligationOf), caps, 'LATEST_FIRST');
    removedIds = result.removed.map((r) => BigInt(r.obligation.id));
  }
  // NETTED, every batch payment of the cycle, recorded once for the whole set: the cycle's state
  // stands for theirs (derived, migration 037), so the cycle is NETTED first; those over a cap are then
  // unwound (NETTED → UNWOUND → REJECTED, their rows written), as the state machine has it.
  await transitionPayments(tx, { event: 'NET', to: 'NETTED', select: { cycleId, mode: 'batch' }, cause: `cycle ${cycleId} netted`, record: 'set', derived: true });
  await tx.query("UPDATE cycles SET state = 'NETTED', netted_at = now() WHERE id = $1", [cycleId]);
  await rejectUnwound(tx, removedIds, REASON.settlementLimitExceeded, `unwound from cycle ${cycleId}: net debit cap exceeded`);
  await storePositions(tx, cycleId, removedIds.length === 0 ? pairs : await nettingPairs(tx, cycleId, 'NETTED'));
  // Without an unwind no batch payment of the cycle changed since the read: its counts per message
  // stand (the payments read ACCEPTED are the NETTED ones now); after one, they are counted again.
  await reportNetting(ctx, tx, cycleId, removedIds.length === 0 ? messages : undefined);
  await broadcastEvent(ctx, tx, 'CYCLE_NETTED', [cycleId.toString()], cycleId);
  if (removedIds.length > 0) ctx.events?.({ event: 'cycle.unwind', cycle: cycleId, payments: removedIds.length, reason: REASON.settlementLimitExceeded });
  ctx.events?.({ event: 'cycle.netted', cycle: cycleId, unwound: removedIds.length });
  crashPoint('netting.before-commit');
}

/** The payments a cycle nets (batch ones in `batchState`, committed real-time ones), summed per pair. */
export function nettingPairs(tx: Queryable, cycleId: bigint, batchState: 'ACCEPTED' | 'NETTED'): Promise<PairRow[]> {
  return tx.query<PairRow>(
    `SELECT mode, debtor_agent, creditor_agent, currency, SUM(amount_minor)::bigint AS amount_minor, COUNT(*)::int AS count FROM payments_effective
      WHERE cycle_id = $1 AND ((mode = 'batch' AND state = $2) OR (mode = 'realtime' AND state = 'COMMITTED'))
      GROUP BY mode, debtor_agent, creditor_agent, currency ORDER BY mode, debtor_agent, creditor_agent, currency`, [cycleId, batchState]);
}

/** A message with batch payments in the cycle: its row id, how many of them are to net or REJECTED, how many REJECTED. */
export interface MessageCount {
  readonly message_row: bigint;
  readonly total: number;
  readonly rejected: number;
}

/**
 * Netting's read of the cycle (issue 15, decision 107): the pairs of nettingPairs(…, 'ACCEPTED') and,
 * from the same scan, the cycle's batch payments counted per message as reportNetting counts them
 * (ACCEPTED, which NET makes NETTED, or REJECTED). Two grouping sets of one aggregate: the cycle's
 * 200,000 payments read once, where the pairs and the counts per message were two scans (and the
 * rejected lines a third, skipped when no message has one). Rows REJECTED count only per message;
 * a pair row only from the payments to net, as nettingPairs sums them.
 */
export async function nettingRead(tx: Queryable, cycleId: bigint): Promise<{ pairs: PairRow[]; messages: MessageCount[] }> {
  const rows = await tx.query<{ per_message: number; mode: 'batch' | 'realtime'; debtor_agent: string; creditor_agent: string; currency: string;
    amount_minor: bigint; count: number; message_row: bigint; total: number; rejected: number }>(
    `SELECT GROUPING(message_id) AS per_message, mode, debtor_agent, creditor_agent, currency,
            (SUM(amount_minor) FILTER (WHERE state <> 'REJECTED'))::bigint AS amount_minor, (COUNT(*) FILTER (WHERE state <> 'REJECTED'))::int AS count,
            message_id AS message_row, (COUNT(*) FILTER (WHERE mode = 'batch'))::int AS total,
            (COUNT(*) FILTER (WHERE mode = 'batch' AND state = 'REJECTED'))::int AS rejected
       FROM payments_effective
      WHERE cycle_id = $1 AND ((mode = 'batch' AND state IN ('ACCEPTED', 'REJECTED')) OR (mode = 'realtime' AND state = 'COMMITTED'))
      GROUP BY GROUPING SETS ((mode, debtor_agent, creditor_agent, currency), (message_id))
     HAVING CASE WHEN GROUPING(message_id) = 1 THEN COUNT(*) FILTER (WHERE state <> 'REJECTED') > 0 ELSE COUNT(*) FILTER (WHERE mode = 'batch') > 0 END
      ORDER BY GROUPING(message_id) DESC, mode, debtor_agent, creditor_agent, currency, message_id`, [cycleId]);
  const pairs: PairRow[] = [], messages: MessageCount[] = [];
  for (const r of rows) {
    if (r.per_message === 1) {
      pairs.push({ mode: r.mode, debtor_agent: r.debtor_agent, creditor_agent: r.creditor_agent, currency: r.currency, amount_minor: r.amount_minor, count: r.count });
    } else messages.push({ message_row: r.message_row, total: r.total, rejected: r.rejected });
  }
  return { pairs, messages };
}

/** Unwind netted payments and reject them (not rolled over: docs/scheme-rules.md, "Positions, caps and unwind"). */
export async function rejectUnwound(tx: Queryable, ids: readonly bigint[], reason: string, cause: string): Promise<void> {
  if (ids.length === 0) return;
  await transitionPayments(tx, { event: 'UNWIND', to: 'UNWOUND', select: { ids }, cause, reasonCode: reason, record: 'each' });
  await transitionPayments(tx, { event: 'REJECT', to: 'REJECTED', from: ['UNWOUND'], select: { ids }, cause: 'not rolled over: rejected',
    reasonCode: reason, record: 'each' });
}

/** The cycle's net positions and bilateral matrix, from its payments summed per pair (each statement one set-based insert). */
export async function storePositions(tx: Queryable, cycleId: bigint, pairs: readonly PairRow[]): Promise<void> {
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
async function reportNetting(ctx: EngineContext, tx: Queryable, cycleId: bigint, counts?: readonly MessageCount[]): Promise<void> {
  type Counted = { row_id: bigint; message_id: string; sender: string; message_type: string; total: number; rejected: number };
  let counted: Counted[];
  if (counts === undefined) {
    counted = await tx.query<Counted>(
      `SELECT g.message_id AS row_id, m.message_id, m.participant AS sender, m.message_type, g.total, g.rejected
         FROM (SELECT message_id, COUNT(*)::int AS total, (COUNT(*) FILTER (WHERE state = 'REJECTED'))::int AS rejected FROM payments_effective
                WHERE cycle_id = $1 AND mode = 'batch' AND state IN ('NETTED', 'REJECTED') GROUP BY message_id) g
         JOIN messages m ON m.id = g.message_id ORDER BY g.message_id`, [cycleId]);
  } else {
    // Counted by netting's read (nettingRead, no unwind since): only the messages' own columns are read here.
    const byRow = new Map(counts.map((c) => [c.message_row.toString(), c]));
    const rows = await tx.query<{ row_id: bigint; message_id: string; sender: string; message_type: string }>(
      'SELECT id AS row_id, message_id, participant AS sender, message_type FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id',
      [counts.map((c) => c.message_row.toString())]);
    counted = rows.map((m) => ({ ...m, total: byRow.get(m.row_id.toString())!.total, rejected: byRow.get(m.row_id.toString())!.rejected }));
  }
  // The rejected lines: none to read when every count says so (the usual case, no scan of the cycle).
  const rejected = counts !== undefined && counts.every((c) => c.rejected === 0) ? [] : await tx.query<{ message_id: string; sender: string; transaction_id: string | null; end_to_end_id: string | null; reason_code: string | null }>(
    `SELECT m.message_id, m.participant AS sender, p.transaction_id, p.end_to_end_id, p.reason_code
       FROM payments_effective p JOIN messages m ON m.id = p.message_id
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
