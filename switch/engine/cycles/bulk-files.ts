/**
 * The bulk pacs.008 files of a settled cycle, one per receiving participant and currency, assembled
 * inside the database.
 */
import { formatAmount } from '../../iso/amount.ts';
import { invariant } from '../../clearing/invariant.ts';
import type { Queryable } from '../../store/database.ts';
import { isoDateTime, nextMessageId, type EngineContext } from '../context.ts';
import { forwardedCreditTransfer } from '../outbound.ts';

/**
 * Settlement before delivery: one bulk pacs.008 per receiving participant and currency. Each file is
 * assembled and stored inside the database, one at a time: the ids of its payments are read in file
 * order, and the database joins the group header and trailer built here with the transaction XML of
 * those payments, in that order. The transactions (about 1.1 KB each) never travel to node and back,
 * and neither node nor the database holds more than one file at a time. The group header's
 * IntrBkSttlmDt is the cycle's business date: the day the cycle settled for.
 */
export async function deliverBulkFiles(ctx: EngineContext, tx: Queryable, cycleId: bigint, businessDate: string): Promise<void> {
  // Per file: its payments' ids in acceptance order (the order of the file), sorted per group of about
  // 10,000 narrow rows rather than the cycle's 200,000 at once.
  const files = await tx.query<{ creditor_agent: string; currency: string; count: number; total_minor: bigint; ids: (string | bigint)[] }>(
    `SELECT creditor_agent, currency, COUNT(*)::int AS count, SUM(amount_minor)::bigint AS total_minor, array_agg(id ORDER BY sequence) AS ids
       FROM payments WHERE cycle_id = $1 AND mode = 'batch' AND kind = 'CREDIT' AND state = 'SETTLED'
      GROUP BY creditor_agent, currency ORDER BY creditor_agent, currency`, [cycleId]);
  for (const file of files) {
    invariant(file.ids.length === file.count, `bulk file for ${file.creditor_agent}: ids do not match its count`);
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    // The document as forwardedCreditTransfer builds it, cut where its transactions go.
    const [head, tail, ...rest] = forwardedCreditTransfer({
      messageId, createdAt: isoDateTime(ctx.clock.now()), settlementDate: businessDate,
      currency: file.currency, totalText: formatAmount(file.total_minor, file.currency), count: file.count,
      instructingAgent: ctx.switchBic, instructedAgent: file.creditor_agent,
    }, [TRANSACTIONS_MARK]).split(TRANSACTIONS_MARK);
    invariant(head !== undefined && tail !== undefined && rest.length === 0, 'bulk file template without a single place for its transactions');
    // Stored and queued as emit() does; the bytes are the UTF-8 of head, the transactions joined by
    // newlines, tail: the same document forwardedCreditTransfer returns for them. Each XML is looked up
    // by its key (a join may scan the whole table, which holds every cycle's transactions).
    const [stored] = await tx.query<{ id: bigint }>(
      `WITH document AS (
         SELECT convert_to($4 || string_agg(t.xml, E'\n' ORDER BY t.n) || $5, 'UTF8') AS bytes, COUNT(t.xml) AS transactions
           FROM (SELECT u.n, (SELECT x.transaction_xml FROM payment_xml x WHERE x.payment_id = u.id) AS xml
                   FROM unnest($6::bigint[]) WITH ORDINALITY AS u(id, n)) t)
       INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
       SELECT 'out', $1, 'pacs.008.001.08', $2, encode(sha256(bytes), 'hex'), octet_length(bytes), bytes FROM document WHERE transactions = $3
       RETURNING id`, [file.creditor_agent, messageId, file.count, head, tail, file.ids.map(String)]);
    invariant(stored !== undefined, `bulk file for ${file.creditor_agent}: transaction XML missing for some of its ${file.count} payments`);
    await tx.query("INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity')",
      [stored.id, file.creditor_agent]);
  }
}

/** Stands for the transactions in a bulk file's template; cannot occur in XML (a NUL character). */
const TRANSACTIONS_MARK = '\u0000transactions\u0000';
