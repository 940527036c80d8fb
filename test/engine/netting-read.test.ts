/**
 * Netting's one read of the cycle (switch/engine/cycles/netting.ts nettingRead, decision 107): its pairs
 * are nettingPairs(…, 'ACCEPTED') row for row, and its counts per message are what reportNetting
 * counted with its own scan before (batch payments to net or REJECTED, per message, those REJECTED
 * apart), on a cycle holding every kind of row the two reads tell apart: batch payments ACCEPTED and
 * REJECTED (a message with some, one with all of them rejected), real-time ones COMMITTED (counted in
 * the pairs, not per message; a message of only those has no count) and one not committed (in neither).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { nettingPairs, nettingRead } from '../../switch/engine/cycles/netting.ts';
import { backends, harness, schemeConfig } from './support.ts';

const encoder = new TextEncoder();

function bulk(senderIndex: number, count: number, seed: number) {
  const sender = DEMO_BANKS[senderIndex]!;
  return bulkCreditTransfer({
    seed, sender, receivers: [0, 1, 2, 3].filter((i) => i !== senderIndex).map((i) => DEMO_BANKS[i]!),
    transactionCount: count, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-N${seed}`,
  });
}

for (const backend of backends) {
  describe(`netting's read on ${backend}`, () => {
    it('gives nettingPairs\' pairs and reportNetting\'s counts per message from one statement', async () => {
      const h = await harness(backend, schemeConfig());
      try {
        for (const [i, seed] of [[0, 1], [1, 2], [2, 3], [0, 4], [3, 5]] as const) {
          const result = await h.engine.submit({ bytes: encoder.encode(buildPacs008(bulk(i, 12, seed))), sender: DEMO_BANKS[i]!.bic });
          assert.equal(result.status, 'ACCP');
        }
        const db = h.engine.storeForTests();
        const ids = await db.query<{ id: bigint; message_id: bigint; cycle_id: bigint }>('SELECT id, message_id, cycle_id FROM payments ORDER BY id');
        const cycleId = ids[0]!.cycle_id;
        assert.ok(ids.every((p) => p.cycle_id === cycleId));
        const messages = [...new Set(ids.map((p) => p.message_id))];
        assert.equal(messages.length, 5);
        const of = (m: bigint) => ids.filter((p) => p.message_id === m).map((p) => p.id);
        // Message 1: three payments REJECTED; message 2: all of them; message 3: two real-time COMMITTED
        // and one real-time RESERVED (rows set directly: only what the reads select on matters here).
        await db.query("UPDATE payments SET state = 'REJECTED', reason_code = 'AM23' WHERE id = ANY($1::bigint[])", [of(messages[1]!).slice(0, 3)]);
        await db.query("UPDATE payments SET state = 'REJECTED', reason_code = 'AM23' WHERE id = ANY($1::bigint[])", [of(messages[2]!)]);
        await db.query("UPDATE payments SET mode = 'realtime', state = 'COMMITTED' WHERE id = ANY($1::bigint[])", [of(messages[3]!).slice(0, 2)]);
        await db.query("UPDATE payments SET mode = 'realtime', state = 'RESERVED' WHERE id = $1", [of(messages[3]!)[2]!]);
        // Message 4: real-time only (no batch payment: no netting report, so no count).
        await db.query("UPDATE payments SET mode = 'realtime', state = 'COMMITTED' WHERE id = ANY($1::bigint[])", [of(messages[4]!)]);

        const read = await nettingRead(db, cycleId);
        assert.deepEqual(read.pairs, await nettingPairs(db, cycleId, 'ACCEPTED'));
        assert.ok(read.pairs.some((p) => p.mode === 'realtime'), 'the real-time COMMITTED payments are in the pairs');
        // reportNetting's own count, as it read it after NET (the ACCEPTED ones read NETTED then).
        const counted = await db.query<{ message_row: bigint; total: number; rejected: number }>(
          `SELECT message_id AS message_row, COUNT(*)::int AS total, (COUNT(*) FILTER (WHERE state = 'REJECTED'))::int AS rejected FROM payments_effective
            WHERE cycle_id = $1 AND mode = 'batch' AND state IN ('ACCEPTED', 'REJECTED') GROUP BY message_id ORDER BY message_id`, [cycleId]);
        assert.deepEqual(read.messages, counted);
        assert.deepEqual(read.messages.map((m) => [m.total, m.rejected]), [[12, 0], [12, 3], [12, 12], [9, 0]]);
      } finally {
        await h.close();
      }
    });
  });
}
