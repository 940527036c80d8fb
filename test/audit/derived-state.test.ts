/**
 * A batch payment that settles normally is stored ACCEPTED and reads NETTED or SETTLED from its cycle
 * (migration 037, decision 94): netting and settlement write the cycle's row and one
 * payment_transition_sets row per step listing the payments it moved, not the payments. `audit verify`
 * holds every such payment to its cycle's journaled step: one that reads NETTED or SETTLED without
 * being listed in the set of the step that gave it that state is reported, even when every row agrees
 * with the journal (it was written the ordinary way, triggers on).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAudit } from '../../switch/audit/index.ts';
import type { Database, Queryable } from '../../switch/store/database.ts';
import { backends, fillAuditedTables, openAuditStore } from './support.ts';

/** A cycle in `state` with `n` batch payments stored ACCEPTED; returns the cycle and the payments' ids. */
async function batchCycle(tx: Queryable, sequence: number, state: string, n: number): Promise<{ cycle: bigint; ids: bigint[] }> {
  const [cycle] = await tx.query<{ id: bigint }>(`INSERT INTO cycles (business_date, sequence, state) VALUES ('2026-11-27', $1, $2) RETURNING id`, [sequence, state]);
  const [message] = await tx.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
     VALUES ('in', 'BANKAXXX', 'pacs.008.001.08', $1, encode(sha256(convert_to($2, 'UTF8')), 'hex'), octet_length($2), convert_to($2, 'UTF8'))
     RETURNING id`, [`BATCH-${sequence}`, `<Document>batch ${sequence}</Document>`]);
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const [p] = await tx.query<{ id: bigint }>(
      `INSERT INTO payments (message_id, transaction_index, kind, mode, transaction_id, end_to_end_id, instructing_agent, debtor_agent,
                             creditor_agent, currency, amount_minor, settlement_date, state, cycle_id)
       VALUES ($1, $2, 'CREDIT', 'batch', $3, 'E2E', 'BANKAXXX', 'BANKAXXX', 'BANKBXXX', 'EUR', 100, '2026-11-27', 'ACCEPTED', $4) RETURNING id`,
      [message!.id, i, `B${sequence}-${i}`, cycle!.id]);
    ids.push(p!.id);
  }
  return { cycle: cycle!.id, ids };
}

for (const backend of backends) {
  describe(`audit verify holds derived payment states to their cycle's journaled step (${backend})`, () => {
    let db: Database;
    before(async () => {
      db = await openAuditStore(backend);
      await fillAuditedTables(db);
    });
    after(async () => { await db?.close(); });

    it('payments listed in their settled cycle\'s NETTED and SETTLED sets verify; one left out of a set is reported', async () => {
      const { cycle, ids } = await db.transaction((tx) => batchCycle(tx, 1, 'SETTLED', 3));
      await db.query(`INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
                      VALUES ($1, 'ACCEPTED', 'NETTED', 'netted', $2), ($1, 'NETTED', 'SETTLED', 'settled', $2)`, [cycle, ids]);
      const [read] = await db.query<{ states: string[] }>('SELECT array_agg(DISTINCT state) AS states FROM payments_effective WHERE cycle_id = $1', [cycle]);
      assert.deepEqual(read!.states, ['SETTLED']);
      const intact = await verifyAudit(db);
      assert.ok(intact.ok, JSON.stringify(intact, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v));

      // A payment put into the settled cycle afterwards, journaled like any row: it reads SETTLED, but no step moved it.
      const { ids: [slipped] } = await db.transaction(async (tx) => {
        const other = await batchCycle(tx, 2, 'OPEN', 1);
        await tx.query('UPDATE payments SET cycle_id = $2 WHERE id = $1', [other.ids[0], cycle]);
        return other;
      });
      const report = await verifyAudit(db);
      assert.equal(report.ok, false);
      if (report.ok) return;
      assert.deepEqual({ kind: report.broken.kind, table: report.broken.table, key: report.broken.key }, { kind: 'modified', table: 'payments', key: String(slipped) });
      assert.match(report.broken.detail, /reads SETTLED from cycle/);
    });
  });
}
