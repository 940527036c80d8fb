/**
 * Returns are found by index (migrations 040, 041), on PostgreSQL: accepting a pacs.004 sums the pending
 * returns of its original, and settling a cycle reads the cycle's settled returns. Before, the first read
 * every payment (no index named original_payment_id) and the second every payment of the cycle. A return
 * or a recall naming its original by transaction id alone found no index either (instructing_agent led
 * it). The plans of the engine's statements (over payments_effective, migration 037) are read from
 * EXPLAIN over a cycle of 20,000 credit transfers and three returns, with statistics, as the planner
 * would see a real cycle.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '../../switch/store/database.ts';
import { migrate } from '../../switch/store/migrate.ts';
import { freshPostgresUrl } from '../engine/support.ts';

let db: Database;
before(async () => {
  db = await openDatabase({ url: await freshPostgresUrl() });
  await migrate(db);
  await db.transaction(async (tx) => {
    // Rows only: the foreign keys and the journal's triggers are not what this test is about.
    await tx.query('SET LOCAL session_replication_role = replica');
    const columns = `message_id, transaction_index, kind, mode, instructing_agent, debtor_agent, creditor_agent, currency,
                     amount_minor, state, cycle_id, original_payment_id, transaction_xml`;
    await tx.query(`INSERT INTO payments (${columns})
      SELECT 1, i, 'CREDIT', 'batch', 'BANKAAAAXXX', 'BANKAAAAXXX', 'BANKBBBBXXX', 'EUR', 100, 'SETTLED', 7, NULL, NULL
        FROM generate_series(1, 20000) i`);
    await tx.query("UPDATE payments SET instructing_agent = 'BANK' || (transaction_index % 20), transaction_id = 'BANK' || (transaction_index % 20) || '-TX-' || transaction_index WHERE kind = 'CREDIT'");
    await tx.query(`INSERT INTO payments (${columns})
      SELECT 2, i, 'RETURN', 'batch', 'BANKBBBBXXX', 'BANKBBBBXXX', 'BANKAAAAXXX', 'EUR', 50, 'SETTLED', 7, i * 10, '<TxInf/>'
        FROM generate_series(1, 3) i`);
  });
  await db.query('ANALYZE payments');
});
after(async () => { await db.close(); });

async function indexesUsed(sql: string, parameters: unknown[]): Promise<string[]> {
  const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
  const names: string[] = [];
  const visit = (node: Record<string, unknown>): void => {
    if (typeof node['Index Name'] === 'string') names.push(node['Index Name']);
    if (node['Node Type'] === 'Seq Scan') names.push(`seq scan of ${String(node['Relation Name'])}`);
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  const plan = row!['QUERY PLAN'];
  visit((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
  return names;
}

test('a pacs.004 finds the pending returns of its original by index, not by reading every payment', async () => {
  const used = await indexesUsed(
    `SELECT COALESCE(SUM(amount_minor), 0)::bigint AS minor FROM payments_effective
      WHERE original_payment_id = $1 AND kind = 'RETURN' AND state IN ('ACCEPTED', 'NETTED')`, [20]);
  assert.ok(used.includes('payments_returns_by_original') && !used.includes('seq scan of payments'), used.join(', '));
});

test("settling a cycle finds its returns by index, not by reading the cycle's every payment", async () => {
  const used = await indexesUsed(
    `SELECT p.id FROM payments_effective p WHERE p.cycle_id = $1 AND p.kind = 'RETURN' AND p.state = 'SETTLED' ORDER BY p.sequence`, [7]);
  assert.ok(used.includes('payments_returns_by_cycle') && !used.includes('seq scan of payments'), used.join(', '));
});

test("a return or a recall naming its original by transaction id alone finds it by index", async () => {
  // exceptions.ts findOriginal (pacs.004) and the camt.056 lookup, with only OrgnlTxId given.
  const [row] = await db.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM payments
      WHERE kind = 'CREDIT' AND creditor_agent = $1
        AND (($2::text IS NOT NULL AND uetr = $2) OR ($3::text IS NOT NULL AND transaction_id = $3) OR ($4::text IS NOT NULL AND $2::text IS NULL AND $3::text IS NULL AND end_to_end_id = $4))`,
    ['BANKBBBBXXX', null, 'BANK17-TX-777', null]);
  const plan = row!['QUERY PLAN'];
  const top = (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan as Record<string, number>;
  assert.equal(top['Actual Rows'], 1);
  // Found by the index's leading column: a few pages. Without it: every page of the table or of the index.
  const pages = top['Shared Hit Blocks']! + top['Shared Read Blocks']!;
  assert.ok(pages < 10, `${pages} pages read to find one payment by its transaction id`);
});
