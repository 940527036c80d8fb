/**
 * A held real-time payment is decided within the scheme timeout or rejected, always (docs/risk.md
 * "Disposal"): where no sweep runs (no `serve`: a cut-off and the settlement agent's answers only, as
 * in the demo), the business-day close rejects it AB01 (risk event `timeout`) before the day closes,
 * and the sender is told pacs.002 RJCT AB01. On PGlite and PostgreSQL; judged from the messages the
 * switch delivered to the mailboxes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { parseXml as parseAdmi004 } from '../../switch/iso/messages/admi.004.001.02/index.ts';
import { checkConfig } from '../../switch/config.ts';
import type { EngineEvent } from '../../switch/engine/context.ts';
import { backends, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/**
 * The risk section: no limits; a score of 20 holds. A debtor account without a profile (medium risk,
 * 0.4 × 25 = 10 points) paying a creditor it never paid (15) scores 25: held.
 */
const config = checkConfig({ ...JSON.parse(JSON.stringify(schemeConfig({ timeoutMs: 20_000 }))),
  risk: { limits: [], scoring: { holdThreshold: 20, rejectThreshold: 95 } } });

/** What `bic` was delivered, in delivery order (the outbox's), of one message type. */
async function delivered(h: Harness, bic: string, type: string): Promise<{ id: bigint; xml: string }[]> {
  const rows = await h.engine.storeForTests().query<{ id: bigint; type: string; message_id: string }>(
    `SELECT o.id, m.message_type AS type, m.message_id FROM outbox o JOIN messages m ON m.id = o.message_id
      WHERE o.recipient = $1 AND m.message_type = $2 ORDER BY o.id`, [bic, type]);
  return rows.map((r) => ({ id: BigInt(r.id), xml: h.mailboxes.read(bic, 'outbound', `${r.type}_${r.message_id}.xml`).toString('utf8') }));
}

for (const backend of backends) {
  describe(`held real-time payment at the business-day close (${backend})`, () => {
    it('past its decide-by, it is rejected AB01 (risk event timeout) before the day closes, without a sweep; the sender told RJCT AB01', async () => {
      const events: EngineEvent[] = [];
      const h = await harness(backend, config, xsd, undefined, (e) => events.push(e));
      try {
        const sender = DEMO_BANKS[0]!;
        const model = bulkCreditTransfer({ seed: 71, sender, receivers: [DEMO_BANKS[1]!], transactionCount: 1, settlementDate: '2026-11-26',
          createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-HELD-1', localInstrument: 'INST' });
        const single = { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined } };
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(single)), sender: sender.bic })).status, 'ACCP');
        const txId = model.transactions[0]!.paymentIdentification.transactionId!;
        const [held] = await h.engine.riskHolds();
        assert.equal(held?.transactionId, txId, 'held on its score');
        assert.match(held.reasons, /risk score/);
        assert.ok(held.decideBy !== null);

        // The day rolls (midnight UTC), long past the decide-by; the day's last cycle is cut off and settled.
        // Nothing else runs: no sweep, no serve.
        h.clock.set('2026-11-27T00:00:01Z');
        await h.closeAndSettle();
        await h.dispatch();

        const [payment] = await h.engine.storeForTests().query<{ state: string; reason_code: string | null }>(
          'SELECT state, reason_code FROM payments_effective WHERE transaction_id = $1', [txId]);
        assert.deepEqual({ ...payment }, { state: 'REJECTED', reason_code: 'AB01' });
        assert.deepEqual(await h.engine.riskHolds(), [], 'the review queue is empty');
        const timeouts = (await h.engine.riskEvents()).filter((e) => e.kind === 'timeout');
        assert.equal(timeouts.length, 1);
        assert.equal(timeouts[0]!.payment_id !== null && BigInt(timeouts[0]!.payment_id), held.id);
        assert.ok(events.some((e) => e.event === 'risk.timeout'), 'raised to the operators');

        // The sender's pacs.002s for the payment: PDNG at intake, then RJCT AB01 — before the day's DCLS.
        const told = (await delivered(h, sender.bic, 'pacs.002.001.10')).flatMap((m) =>
          parsePacs002(m.xml).transactions.filter((t) => t.originalTransactionId === txId)
            .map((t) => ({ id: m.id, status: t.transactionStatus, reason: t.statusReasons?.[0]?.reason })));
        assert.deepEqual(told.map((t) => [t.status, t.reason && 'code' in t.reason ? t.reason.code : undefined]), [['PDNG', undefined], ['RJCT', 'AB01']]);
        const dcls = (await delivered(h, sender.bic, 'admi.004.001.02')).filter((m) => parseAdmi004(m.xml).event.code === 'DCLS');
        assert.equal(dcls.length, 1, 'the day closed');
        assert.ok(told[1]!.id < dcls[0]!.id, 'rejected before the day closed');
      } finally {
        await h.close();
      }
    });
  });
}
