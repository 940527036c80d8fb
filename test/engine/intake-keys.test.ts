/**
 * Batch intake's storage path (switch/engine/intake.ts), on PGlite and on PostgreSQL: the keys are
 * claimed by a plain insert (COPY on PostgreSQL) in the common case, and a key already taken sends the
 * message down the precise path, which refuses exactly the transactions whose keys were taken; the
 * payments are written by COPY on PostgreSQL with ids in transaction order, and values that COPY's
 * text format escapes (backslash) are stored as received.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { backends, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulk(count: number, seed: number, messageId: string) {
  const sender = DEMO_BANKS[0]!;
  return bulkCreditTransfer({
    seed, sender, receivers: [DEMO_BANKS[1]!, DEMO_BANKS[2]!], transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId,
  });
}

async function submitModel(h: Harness, model: ReturnType<typeof bulk>) {
  return h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[0]!.bic });
}

interface StoredPayment { id: bigint; message_id: bigint; transaction_index: number; transaction_id: string; end_to_end_id: string; uetr: string; sequence: bigint }

for (const backend of backends) {
  describe(`intake keys and payments on ${backend}`, () => {
    it('stores ids with a backslash as received, in transaction order, and claims each key once', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const plain = bulk(6, 41, 'BANKDEFF-K1');
        const model = { ...plain, transactions: plain.transactions.map((t, i) => (i !== 2 ? t : { ...t, paymentIdentification: {
          ...t.paymentIdentification, transactionId: 'TX\\2\\N', endToEndId: 'E2E\\t\\\\' } })) };
        const result = await submitModel(h, model);
        assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings.slice(0, 2)));
        const db = h.engine.storeForTests();
        const rows = await db.query<StoredPayment>(
          'SELECT id, message_id, transaction_index, transaction_id, end_to_end_id, uetr, sequence FROM payments ORDER BY transaction_index');
        assert.deepEqual(rows.map((r) => r.transaction_id), model.transactions.map((t) => t.paymentIdentification.transactionId));
        assert.deepEqual(rows.map((r) => r.end_to_end_id), model.transactions.map((t) => t.paymentIdentification.endToEndId));
        assert.deepEqual(rows.map((r) => r.uetr), model.transactions.map((t) => t.paymentIdentification.uetr));
        for (let i = 1; i < rows.length; i++) {
          assert.ok(rows[i]!.id > rows[i - 1]!.id, 'ids follow the transaction order');
          assert.ok(rows[i]!.sequence > rows[i - 1]!.sequence, 'acceptance order follows the transaction order');
        }
        const keys = await db.query<{ kind: string; key: string; message_id: bigint }>('SELECT kind, key, message_id FROM idempotency_keys ORDER BY kind, key');
        assert.equal(keys.length, 1 + 6 + 6, 'MsgId, six TxIds and six UETRs, once each');
        assert.ok(keys.every((k) => k.message_id === rows[0]!.message_id));
        assert.ok(keys.some((k) => k.kind === 'TX' && k.key === 'TX\\2\\N'));
        // The acceptance of every payment is recorded, with the ids intake gave them.
        const [set] = await db.query<{ payment_ids: bigint[] }>("SELECT payment_ids FROM payment_transition_sets WHERE to_state = 'ACCEPTED'");
        assert.deepEqual(set!.payment_ids.map(String), rows.map((r) => String(r.id)));
      } finally {
        await h.close();
      }
    });

    it('a message reusing some TxIds takes the precise path: only those transactions are refused, the rest claimed once', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const first = bulk(4, 42, 'BANKDEFF-K2');
        assert.equal((await submitModel(h, first)).status, 'ACCP');
        // A new message: two transactions reuse TxIds of the first (one also its UETR), three are new.
        const fresh = bulk(3, 43, 'BANKDEFF-K3');
        const reused = [
          { ...first.transactions[1]!, paymentIdentification: { ...first.transactions[1]!.paymentIdentification, uetr: fresh.transactions[0]!.paymentIdentification.uetr!.replace(/^./, 'a') } },
          first.transactions[3]!,
        ];
        const second = { ...fresh, transactions: [fresh.transactions[0]!, reused[0]!, fresh.transactions[1]!, reused[1]!, fresh.transactions[2]!] };
        const total = second.transactions.reduce((sum, t) => sum + Number(t.interbankSettlementAmount.value), 0).toFixed(2);
        second.groupHeader = { ...second.groupHeader, numberOfTransactions: '5', controlSum: total,
          totalInterbankSettlementAmount: { currency: 'EUR', value: total } };
        const result = await submitModel(h, second);
        assert.equal(result.status, 'PART', JSON.stringify(result.report.findings.slice(0, 3)));
        assert.deepEqual(result.report.transactions.map((t) => t.status), ['ACCP', 'RJCT', 'ACCP', 'RJCT', 'ACCP']);
        assert.ok(result.report.transactions[1]!.reasons.includes('AM05'));
        assert.ok(result.report.transactions[3]!.reasons.includes('AM05'));
        assert.ok(result.report.findings.some((f) => f.code === 'DUPL' && f.transactionIndex === 3));
        const db = h.engine.storeForTests();
        const created = await db.query<{ transaction_index: number }>(
          'SELECT transaction_index FROM payments WHERE message_id = $1 ORDER BY transaction_index', [result.messageRowId]);
        assert.deepEqual(created.map((c) => c.transaction_index), [0, 2, 4]);
        const keys = await db.query<{ kind: string; n: number }>(
          'SELECT kind, COUNT(*)::int AS n FROM idempotency_keys WHERE message_id = $1 GROUP BY kind ORDER BY kind', [result.messageRowId]);
        // The refused transaction 1 still won its new UETR (as before: a key claimed is claimed).
        assert.deepEqual(keys, [{ kind: 'MSG', n: 1 }, { kind: 'TX', n: 3 }, { kind: 'UETR', n: 4 }]);
        // A message-level duplicate gives back every key it won.
        const again = { ...bulk(2, 44, 'BANKDEFF-K2') };
        const refused = await submitModel(h, again);
        assert.equal(refused.status, 'RJCT');
        assert.ok(refused.report.findings.some((f) => f.code === 'DU01'));
        assert.equal((await db.query('SELECT 1 FROM idempotency_keys WHERE message_id = $1', [refused.messageRowId])).length, 0);
        assert.equal((await db.query('SELECT 1 FROM payments WHERE message_id = $1', [refused.messageRowId])).length, 0);
      } finally {
        await h.close();
      }
    });
  });
}
