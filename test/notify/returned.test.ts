/**
 * payment.returned: a full return (pacs.004) that settles notifies both agents of the original, in
 * the transaction that moves the original to RETURNED; a transition that rolls back leaves no
 * notification (the rows are written by the same statement as the state change).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import { transitionPayments } from '../../switch/engine/transitions.ts';
import { harness, SWITCH } from '../engine/support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });
const who = { actor: 'olivia', reason: 'test' };

describe('payment.returned', () => {
  it('tells both agents of the original once the return settles, and nothing of a rolled-back transition', async () => {
    const h = await harness('pglite', undefined, xsd);
    try {
      const [a, b] = [DEMO_BANKS[0]!.bic, DEMO_BANKS[1]!.bic];
      const store = h.engine.notifications();
      const subA = await store.subscribe({ participant: a, channel: 'email', target: 'a@bank-a.test', events: ['payment.returned'] }, who);
      const subB = await store.subscribe({ participant: b, channel: 'email', target: 'b@bank-b.test', events: ['payment.returned'] }, who);
      const model = bulkCreditTransfer({ seed: 31, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 2,
        settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-R31' });
      assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: a })).status, 'ACCP');
      await h.closeAndSettle();
      assert.equal((await store.notifications()).length, 0, 'settled, not returned: nothing for these subscriptions');

      // The rolled-back case: a transition to RETURNED inside a transaction that then fails.
      const db = h.engine.storeForTests();
      const [first] = await db.query<{ id: bigint }>("SELECT id FROM payments WHERE kind = 'CREDIT' ORDER BY id LIMIT 1");
      await assert.rejects(db.transaction(async (tx) => {
        await transitionPayments(tx, { event: 'RETURN', to: 'RETURNED', select: { ids: [first!.id] }, cause: 'test', record: 'each' });
        assert.equal((await tx.query('SELECT 1 FROM notifications')).length, 2, 'written with the state change');
        throw new Error('the step fails after the transition');
      }), /the step fails/);
      assert.equal((await store.notifications()).length, 0, 'rolled back with it');

      const original = model.transactions[0]!;
      const ret = encoder.encode(buildPacs004({
        groupHeader: { messageId: 'RET-R31', creationDateTime: '2026-11-26T12:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' },
          instructingAgent: b, instructedAgent: SWITCH },
        transactions: [{ returnId: 'R31', originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
          originalEndToEndId: original.paymentIdentification.endToEndId, returnedInterbankSettlementAmount: original.interbankSettlementAmount,
          returnReasons: [{ reason: { code: 'AC04' } }] }],
      }));
      const answer = await h.engine.submit({ bytes: ret, sender: b });
      assert.equal(answer.status, 'ACCP', JSON.stringify(answer.report.findings));
      assert.equal((await store.notifications()).length, 0, 'a return accepted but not settled changes nothing yet');
      await h.closeAndSettle();
      const rows = await store.notifications();
      assert.deepEqual(rows.map((r) => [r.subscriptionId, r.kind]).sort(), [[subA.id, 'payment.returned'], [subB.id, 'payment.returned']].sort());
      const [due] = await store.lease(1);
      assert.equal(due!.payment!.endToEndId, original.paymentIdentification.endToEndId, 'the original payment is named');
      assert.equal(due!.payment!.state, 'RETURNED');
    } finally {
      await h.close();
    }
  });
});
