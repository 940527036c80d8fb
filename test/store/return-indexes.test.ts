/**
 * Returns are found by index (migration 040), on PostgreSQL: accepting a pacs.004 sums the pending
 * returns of its original, and settling a cycle reads the cycle's settled returns. Before, the first read
 * every payment (no index named original_payment_id) and the second every payment of the cycle. The plans
 * are read from EXPLAIN over a cycle of 20,000 credit transfers and three returns, with statistics, as the
 * planner would see a real cycle.
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
  assert.deepEqual(await indexesUsed(
    `SELECT COALESCE(SUM(amount_minor), 0)::bigint AS minor FROM payments
      WHERE original_payment_id = $1 AND kind = 'RETURN' AND state IN ('ACCEPTED', 'NETTED')`, [20]), ['payments_returns_by_original']);
});

test("settling a cycle finds its returns by index, not by reading the cycle's every payment", async () => {
  assert.deepEqual(await indexesUsed(
    `SELECT p.id FROM payments p WHERE p.cycle_id = $1 AND p.kind = 'RETURN' AND p.state = 'SETTLED' ORDER BY p.sequence`, [7]),
  ['payments_returns_by_cycle']);
});
