/**
 * A settled cycle: payments SETTLED, real-time exposure released, bulk files delivered (settlement
 * before delivery), pacs.002 ACSC to senders, camt.054 to each participant with a position.
 */
import type { Queryable } from '../../store/database.ts';
import type { EngineContext } from '../context.ts';
import { broadcastEvent, emitSettlementNotification, emitStatusReport, emitTransactionAdvices } from '../notices.ts';
import { groupBy, type CycleRow } from './rows.ts';
import { dateText } from '../date-column.ts';
import { deliverBulkFiles, type SettledFile } from './bulk-files.ts';
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
  // The cycle's settled payments read once for the bulk files, the pacs.002 reports and the camt.054
  // counts (settledGroups): three statements each scanning the cycle's payments were most of this step.
  const settled = await settledGroups(tx, cycleId);
  await deliverBulkFiles(ctx, tx, businessDate, settled.files);
  // Returns settled in this cycle: the originals' returned amounts change now, and the pacs.004s go out with the bulk files.
  await settleReturns(ctx, tx, cycleId);
  await reportSettled(ctx, tx, cycleId, settled.messages);
  // Recalls that arrived between cut-off and settlement reach the creditor agents with their payments.
  await forwardHeldRecalls(ctx, tx, cycleId);
  // Per participant, its settled payments of the cycle (as debtor or creditor, each payment once).
  const positions = await tx.query<{ bic: string; currency: string; net_minor: bigint }>(
    `SELECT bic, currency, net_minor FROM cycle_positions WHERE cycle_id = $1 AND net_minor <> 0 ORDER BY currency, bic`, [cycleId]);
  for (const p of positions) {
    await emitSettlementNotification(ctx, tx, { bic: p.bic, cycleId, businessDate, currency: p.currency, netMinor: p.net_minor,
      paymentCount: settled.counts.get(p.bic) ?? 0 });
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
async function reportSettled(ctx: EngineContext, tx: Queryable, cycleId: bigint, messages: readonly SettledMessage[]): Promise<void> {
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

/** A message with payments settled in the cycle: its row, MsgId, sender and type, and the mode of its first settled payment. */
interface SettledMessage {
  readonly row_id: bigint;
  readonly message_id: string;
  readonly sender: string;
  readonly message_type: string;
  readonly mode: string;
}

/**
 * What settlement reports about the cycle's settled payments, from one read of them (the cycle's
 * 200,000 payments in the batch bench, a heap larger than shared_buffers): the bulk files' payments
 * per creditor agent and currency (batch credit transfers, in acceptance order: the files'
 * transaction order), the messages to answer ACSC (per message and mode, ordered by message row and
 * first transaction) and per participant the settled payments it is debtor or creditor agent of
 * (each payment once). Three statements read them one after another before, each a scan of the
 * cycle's payments (docs/performance.md, "s13-settle"). Read once the payments are SETTLED and before
 * anything else changes them: settleReturns moves only originals of earlier cycles (a return's
 * original is SETTLED when the return is accepted, so never in the cycle being settled), and the
 * reports, camt.054s and recalls read but do not move payments.
 */
async function settledGroups(tx: Queryable, cycleId: bigint): Promise<{
  files: SettledFile[]; messages: SettledMessage[]; counts: Map<string, number>;
}> {
  // part 0: bulk files; 1: payments per creditor and debtor agent (a few hundred groups, summed per
  // participant here: cheaper than expanding every payment into its two agents); 2: messages. The
  // payments' columns are read once into the materialized `s` (narrow rows) and grouped three ways.
  // The bulk files' two lists travel as comma-separated text (node-postgres parses an array column
  // character by character: most of the node time of the statement), split by deliverBulkFiles.
  const rows = await tx.query<{ part: number; bic: string | null; currency: string | null; count: number | null; total_minor: bigint | null;
    messages: string | null; indexes: string | null; debtor: string | null; row_id: bigint | null; first: number | null; mode: string | null;
    message_id: string | null; sender: string | null; message_type: string | null }>(
    `WITH s AS MATERIALIZED (
       SELECT creditor_agent, debtor_agent, currency, amount_minor, message_id, transaction_index, sequence, mode, kind
         FROM payments_effective WHERE cycle_id = $1 AND state = 'SETTLED')
     SELECT * FROM (
       SELECT 0 AS part, creditor_agent AS bic, currency, COUNT(*)::int AS count, SUM(amount_minor)::bigint AS total_minor,
              array_to_string(array_agg(message_id ORDER BY sequence), ',') AS messages,
              array_to_string(array_agg(transaction_index ORDER BY sequence), ',') AS indexes,
              NULL::text AS debtor, NULL::bigint AS row_id, NULL::int AS first, NULL::text AS mode,
              NULL::text AS message_id, NULL::text AS sender, NULL::text AS message_type
         FROM s WHERE mode = 'batch' AND kind = 'CREDIT' GROUP BY creditor_agent, currency
       UNION ALL
       SELECT 1, creditor_agent, NULL, COUNT(*)::int, NULL, NULL, NULL, debtor_agent, NULL, NULL, NULL, NULL, NULL, NULL
         FROM s GROUP BY creditor_agent, debtor_agent
       UNION ALL
       SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, g.message_id, g.first, g.mode, m.message_id, m.participant, m.message_type
         FROM (SELECT message_id, mode, MIN(transaction_index) AS first FROM s GROUP BY message_id, mode) g
         JOIN messages m ON m.id = g.message_id) t
     ORDER BY part, bic, currency, row_id, first`, [cycleId]);
  const files: SettledFile[] = [], messages: SettledMessage[] = [], counts = new Map<string, number>();
  for (const r of rows) {
    if (r.part === 0) files.push({ creditor_agent: r.bic!, currency: r.currency!, count: r.count!, total_minor: r.total_minor!, messages: r.messages!, indexes: r.indexes! });
    else if (r.part === 1) {
      // Payments per (creditor agent, debtor agent): each counts for its debtor agent, and for its creditor
      // agent unless that is the debtor agent too (each payment once per participant).
      if (r.debtor !== null) counts.set(r.debtor, (counts.get(r.debtor) ?? 0) + r.count!);
      if (r.bic !== null && r.bic !== r.debtor) counts.set(r.bic, (counts.get(r.bic) ?? 0) + r.count!);
    }
    else messages.push({ row_id: r.row_id!, message_id: r.message_id!, sender: r.sender!, message_type: r.message_type!, mode: r.mode! });
  }
  return { files, messages, counts };
}
