/**
 * The clearing engine end to end, on the embedded PGlite and on real PostgreSQL: intake exactly
 * once, batch netting with a cap breach, settlement, real-time reservation, returns, recalls and
 * status requests. Every flow checks the invariants that matter: positions sum to zero, every
 * accepted payment ends in exactly one final state, and every message emitted is delivered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import { build as buildPacs028 } from '../../switch/iso/messages/pacs.028.001.03/index.ts';
import { build as buildCamt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import { build as buildCamt029 } from '../../switch/iso/messages/camt.029.001.09/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { backends, BANKS, harness, schemeConfig, SWITCH, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulk(senderIndex: number, count: number, seed: number, options: { maxAmountMinor?: number; localInstrument?: string; receivers?: number[] } = {}) {
  const sender = DEMO_BANKS[senderIndex]!;
  return bulkCreditTransfer({
    seed, sender, receivers: (options.receivers ?? [0, 1, 2, 3, 4].filter((i) => i !== senderIndex)).map((i) => DEMO_BANKS[i]!),
    transactionCount: count, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${seed}`,
    maxAmountMinor: options.maxAmountMinor, localInstrument: options.localInstrument,
  });
}

async function submitModel(h: Harness, senderIndex: number, model: ReturnType<typeof bulk>) {
  return h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[senderIndex]!.bic });
}

async function states(h: Harness): Promise<Record<string, number>> {
  const rows = await h.engine.storeForTests().query<{ state: string; n: number }>('SELECT state, COUNT(*)::int AS n FROM payments_effective GROUP BY state');
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

async function assertInvariants(h: Harness): Promise<void> {
  const sums = await h.engine.storeForTests().query<{ cycle_id: bigint; currency: string; s: bigint }>(
    'SELECT cycle_id, currency, SUM(net_minor)::bigint AS s FROM cycle_positions GROUP BY cycle_id, currency');
  for (const r of sums) assert.equal(r.s, 0n, `cycle ${r.cycle_id} ${r.currency} sums to ${r.s}`);
  const exposures = await h.engine.storeForTests().query<{ bic: string; cap_minor: bigint; net_minor: bigint; reserved_minor: bigint }>('SELECT * FROM exposures');
  for (const e of exposures) assert.ok(e.cap_minor + e.net_minor - e.reserved_minor >= 0n, `${e.bic} over its cap`);
  const netSum = exposures.reduce((s, e) => s + e.net_minor, 0n);
  assert.equal(netSum, 0n, 'real-time exposures sum to zero');
  const pending = await h.engine.storeForTests().query("SELECT id FROM outbox WHERE state <> 'DELIVERED'");
  assert.equal(pending.length, 0, 'every emitted message delivered');
}

for (const backend of backends) {
  describe(`engine on ${backend}`, () => {
    it('batch: files from five banks are netted, settled, delivered once, and answered', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const models = [0, 1, 2, 3, 4].map((i) => bulk(i, 40, 100 + i));
        for (const [i, model] of models.entries()) {
          const result = await submitModel(h, i, model);
          assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings));
          assert.match(result.answerXml!, /<GrpSts>ACTC<\/GrpSts>/);
        }
        const cycleId = await h.closeAndSettle();
        assert.ok(cycleId !== undefined);
        assert.deepEqual(await states(h), { SETTLED: 200 });
        const positions = (await h.engine.positions(cycleId))!;
        assert.equal(positions.cycle.state, 'SETTLED');
        // The positions equal an independent sum over the submitted models.
        const expected = new Map<string, bigint>();
        for (const m of models) for (const t of m.transactions) {
          const amount = BigInt(t.interbankSettlementAmount.value.replace('.', ''));
          expected.set(t.debtorAgent, (expected.get(t.debtorAgent) ?? 0n) - amount);
          expected.set(t.creditorAgent, (expected.get(t.creditorAgent) ?? 0n) + amount);
        }
        for (const p of positions.positions) assert.equal(p.net_minor, expected.get(p.bic), p.bic);
        // One bulk pacs.008 per receiving bank, holding exactly the payments to it.
        for (const bic of BANKS) {
          const bulks = h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.008'));
          assert.equal(bulks.length, 1, `${bic} gets one bulk file`);
          const xml = h.mailboxes.read(bic, 'outbound', bulks[0]!).toString('utf8');
          const count = models.flatMap((m) => m.transactions).filter((t) => t.creditorAgent === bic).length;
          assert.equal((xml.match(/<CdtTrfTxInf>/g) ?? []).length, count);
          assert.match(xml, new RegExp(`<NbOfTxs>${count}</NbOfTxs>`));
          assert.ok(h.mailboxes.outbound(bic).some((f) => f.startsWith('camt.054')), `${bic} gets a camt.054`);
        }
        // Each sender learns ACCP at netting and ACSC at settlement.
        for (const [i] of models.entries()) {
          const statuses = h.mailboxes.outbound(BANKS[i]!).filter((f) => f.startsWith('pacs.002'))
            .map((f) => parsePacs002(h.mailboxes.read(BANKS[i]!, 'outbound', f).toString('utf8')).originalGroups[0]!.groupStatus);
          assert.deepEqual(statuses.sort(), ['ACCP', 'ACSC', 'ACTC']);
        }
        await assertInvariants(h);
      } finally {
        await h.close();
      }
    });

    it('intake is exactly once: a replay gets the stored answer, a reused MsgId or TxId is a duplicate', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const model = bulk(0, 5, 7);
        const first = await submitModel(h, 0, model);
        const again = await submitModel(h, 0, model);
        assert.equal(again.replay, true);
        assert.equal(again.answerXml, first.answerXml);
        assert.equal(again.messageRowId, first.messageRowId);
        const sameMsgId = { ...model, transactions: model.transactions.slice(0, 4), groupHeader: { ...model.groupHeader, numberOfTransactions: '4',
          controlSum: undefined, totalInterbankSettlementAmount: undefined } };
        const duplicate = await submitModel(h, 0, sameMsgId);
        assert.equal(duplicate.status, 'RJCT');
        assert.ok(duplicate.report.findings.some((f) => f.code === 'DU01'));
        const reusedTx = { ...model, groupHeader: { ...model.groupHeader, messageId: 'BANKDEFF-OTHER' } };
        const partial = await submitModel(h, 0, reusedTx);
        assert.equal(partial.status, 'RJCT');
        assert.ok(partial.report.findings.some((f) => f.code === 'AM05' || f.code === 'DUPL'));
        const payments = await h.engine.storeForTests().query('SELECT id FROM payments');
        assert.equal(payments.length, 5, 'no payment created twice');
      } finally {
        await h.close();
      }
    });

    it('a cap breach unwinds the latest batch payments of the breaching bank (AM23) and the rest settles', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKITMMXXX: '1000.00' } }), xsd);
      try {
        const model = bulk(4, 10, 55, { maxAmountMinor: 40_000 }); // 10 payments of up to 400.00
        const result = await submitModel(h, 4, model);
        assert.equal(result.status, 'ACCP');
        const cycleId = await h.closeAndSettle();
        const rejected = await h.engine.storeForTests().query<{ sequence: bigint; amount_minor: bigint; reason_code: string }>(
          "SELECT sequence, amount_minor, reason_code FROM payments_effective WHERE state = 'REJECTED' ORDER BY sequence");
        const kept = await h.engine.storeForTests().query<{ sequence: bigint; amount_minor: bigint }>("SELECT sequence, amount_minor FROM payments_effective WHERE state = 'SETTLED' ORDER BY sequence");
        assert.ok(rejected.length > 0);
        assert.ok(rejected.every((r) => r.reason_code === 'AM23'));
        // Latest first: every unwound payment came after every kept one.
        assert.ok(rejected[0]!.sequence > kept[kept.length - 1]!.sequence);
        const keptTotal = kept.reduce((s, r) => s + r.amount_minor, 0n);
        assert.ok(keptTotal <= 100_000n, 'within the cap of 1,000.00');
        assert.ok(keptTotal + rejected[0]!.amount_minor > 100_000n, 'no more was unwound than needed');
        const position = (await h.engine.positions(cycleId))!.positions.find((p) => p.bic === 'BANKITMMXXX')!;
        assert.equal(position.net_minor, -keptTotal);
        const report = h.mailboxes.outbound('BANKITMMXXX').filter((f) => f.startsWith('pacs.002'))
          .map((f) => parsePacs002(h.mailboxes.read('BANKITMMXXX', 'outbound', f).toString('utf8')))
          .find((m) => m.originalGroups[0]!.groupStatus === 'PART')!;
        assert.equal(report.transactions.length, rejected.length);
        assert.ok(report.transactions.every((t) => t.transactionStatus === 'RJCT'));
        await assertInvariants(h);
      } finally {
        await h.close();
      }
    });

    it('a rejected settlement instruction unwinds the defaulter, re-nets and settles the rest', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        for (const i of [0, 1, 2]) assert.equal((await submitModel(h, i, bulk(i, 12, 300 + i, { receivers: [0, 1, 2].filter((k) => k !== i) }))).status, 'ACCP');
        h.agent.rejectParticipants.add('BANKNL2AXXX');
        const cycleId = await h.closeAndSettle();
        const cycle = (await h.engine.positions(cycleId))!;
        assert.equal(cycle.cycle.state, 'SETTLED');
        const involved = await h.engine.storeForTests().query<{ state: string; reason_code: string | null }>(
          "SELECT state, reason_code FROM payments_effective WHERE debtor_agent = 'BANKNL2AXXX' OR creditor_agent = 'BANKNL2AXXX'");
        assert.ok(involved.length > 0 && involved.every((p) => p.state === 'REJECTED' && p.reason_code === 'ED05'));
        assert.equal(cycle.positions.find((p) => p.bic === 'BANKNL2AXXX'), undefined);
        const attempts = await h.engine.storeForTests().query<{ attempt: number }>('SELECT DISTINCT attempt FROM settlement_instructions ORDER BY attempt');
        assert.deepEqual(attempts.map((a) => a.attempt), [1, 2]);
        await assertInvariants(h);
      } finally {
        await h.close();
      }
    });

    it('real-time: reserved, forwarded, committed on ACCP, released on RJCT and on timeout (AB05), refused over headroom (AM04)', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '1000.00' }, timeoutMs: 5_000 }), xsd);
      try {
        const answers: Record<string, 'accept' | 'reject' | 'silent'> = {};
        const creditor = h.bank('BANKFRPPXXX', (id) => answers[id] ?? 'accept');
        const send = async (seed: number, amountMinor: number, answer: 'accept' | 'reject' | 'silent') => {
          const model = bulk(0, 1, seed, { localInstrument: 'INST', receivers: [1] });
          const fixed = { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
            transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value: (amountMinor / 100).toFixed(2) } }] };
          answers[fixed.transactions[0]!.paymentIdentification.transactionId!] = answer;
          return submitModel(h, 0, fixed);
        };
        await send(1, 40_000, 'accept');
        await send(2, 30_000, 'reject');
        await send(3, 20_000, 'silent');
        const refused = await send(4, 20_000, 'accept'); // 400 + 300 + 200 reserved of 1,000: no room for 200 more
        assert.equal((await states(h)).REJECTED, 1);
        void refused;
        await h.dispatch();
        assert.equal(await creditor.answerRealtime(), 2);
        await h.dispatch();
        h.clock.advance(6_000);
        assert.deepEqual(await h.engine.sweep(), { timedOut: 1, expiredCases: 0 });
        await h.dispatch();
        assert.deepEqual(await states(h), { COMMITTED: 1, RELEASED: 2, REJECTED: 1 });
        const reasons = await h.engine.storeForTests().query<{ reason_code: string }>("SELECT reason_code FROM payments_effective WHERE state IN ('RELEASED', 'REJECTED') ORDER BY sequence");
        assert.deepEqual(reasons.map((r) => r.reason_code), ['AC04', 'AB05', 'AM04']);
        const [debtor] = await h.engine.storeForTests().query<{ net_minor: bigint; reserved_minor: bigint }>("SELECT net_minor, reserved_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
        assert.deepEqual(debtor, { net_minor: -40_000n, reserved_minor: 0n });
        const statuses = h.mailboxes.outbound('BANKDEFFXXX').filter((f) => f.startsWith('pacs.002'))
          .map((f) => parsePacs002(h.mailboxes.read('BANKDEFFXXX', 'outbound', f).toString('utf8')).transactions[0]?.transactionStatus);
        assert.deepEqual(statuses.filter(Boolean).sort(), ['ACSP', 'RJCT', 'RJCT', 'RJCT']);
        // The committed payment settles with the next cycle and its exposure is released.
        await h.closeAndSettle();
        assert.deepEqual(await states(h), { SETTLED: 1, RELEASED: 2, REJECTED: 1 });
        const [after] = await h.engine.storeForTests().query<{ net_minor: bigint }>("SELECT net_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
        assert.equal(after!.net_minor, 0n);
        await assertInvariants(h);
      } finally {
        await h.close();
      }
    });

    it('real-time queueing: over headroom waits (PDNG), moves first-in first-out when credits arrive, expires at cut-off', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, overCap: 'queue' }), xsd);
      try {
        const one = (seed: number, sender: number, receiver: number, value: string) => {
          const model = bulk(sender, 1, seed, { localInstrument: 'INST', receivers: [receiver] });
          return { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
            transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value } }] };
        };
        await submitModel(h, 0, one(11, 0, 1, '80.00'));  // reserved
        await submitModel(h, 0, one(12, 0, 1, '50.00'));  // queued (20 left)
        await submitModel(h, 0, one(13, 0, 1, '10.00'));  // queued behind it, although it would fit: FIFO
        await submitModel(h, 0, one(14, 0, 1, '90.00'));  // queued
        assert.deepEqual(await states(h), { RESERVED: 1, QUEUED: 3 });
        // Bank B pays Bank A 40.00 and Bank B accepts the 80.00: A's headroom becomes 100 + 40 - 80 = 60.
        await submitModel(h, 1, one(21, 1, 0, '40.00'));
        await h.dispatch();
        await h.bank('BANKDEFFXXX').answerRealtime();
        await h.bank('BANKFRPPXXX').answerRealtime();
        await h.dispatch();
        const order = await h.engine.storeForTests().query<{ amount_minor: bigint; state: string }>(
          "SELECT amount_minor, state FROM payments_effective WHERE debtor_agent = 'BANKDEFFXXX' ORDER BY sequence");
        assert.deepEqual(order.map((o) => `${o.amount_minor}:${o.state}`), ['8000:COMMITTED', '5000:RESERVED', '1000:RESERVED', '9000:QUEUED']);
        await h.engine.closeCycle();
        const expired = await h.engine.storeForTests().query<{ state: string; reason_code: string }>("SELECT state, reason_code FROM payments_effective WHERE amount_minor = 9000");
        assert.deepEqual(expired[0], { state: 'RELEASED', reason_code: 'AM04' });
      } finally {
        await h.close();
      }
    });

    it('returns, recalls and status requests', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const model = bulk(0, 2, 900, { receivers: [1] });
        await submitModel(h, 0, model);
        await h.closeAndSettle();
        const original = model.transactions[0]!;
        const amount = original.interbankSettlementAmount;
        const returnMessage = (id: string, value: string) => buildPacs004({
          groupHeader: { messageId: `RET-${id}`, creationDateTime: '2026-11-26T12:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' },
            instructingAgent: 'BANKFRPPXXX', instructedAgent: SWITCH },
          transactions: [{ returnId: id, originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
            originalEndToEndId: original.paymentIdentification.endToEndId,
            returnedInterbankSettlementAmount: { currency: 'EUR', value }, returnReasons: [{ reason: { code: 'AC04' } }] }],
        });
        const tooMuch = await h.engine.submit({ bytes: encoder.encode(returnMessage('R1', '999999.00')), sender: 'BANKFRPPXXX' });
        assert.equal(tooMuch.status, 'RJCT');
        assert.ok(tooMuch.report.findings.some((f) => f.code === 'AM09'));
        const ok = await h.engine.submit({ bytes: encoder.encode(returnMessage('R2', amount.value)), sender: 'BANKFRPPXXX' });
        assert.equal(ok.status, 'ACCP', JSON.stringify(ok.report.findings));
        await h.dispatch();
        assert.ok(!h.mailboxes.outbound('BANKDEFFXXX').some((f) => f.startsWith('pacs.004')), 'the return is forwarded when its cycle settles, not before');
        const again = await h.engine.submit({ bytes: encoder.encode(returnMessage('R3', '0.01')), sender: 'BANKFRPPXXX' });
        assert.equal(again.status, 'RJCT', 'at most the original in total (a return still in a cycle counts)');
        // The return settles in the next cycle, in the reverse direction; only then is it forwarded and the original RETURNED.
        const cycleId = await h.closeAndSettle();
        assert.ok(h.mailboxes.outbound('BANKDEFFXXX').some((f) => f.startsWith('pacs.004')), 'return forwarded to the original debtor agent');
        const [returned] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM payments_effective WHERE transaction_id = $1 AND kind = $2',
          [original.paymentIdentification.transactionId, 'CREDIT']);
        assert.equal(returned!.state, 'RETURNED');
        const positions = (await h.engine.positions(cycleId))!.positions;
        const returnedMinor = BigInt(amount.value.replace('.', ''));
        assert.equal(positions.find((p) => p.bic === 'BANKDEFFXXX')!.net_minor, returnedMinor);

        // A recall of the second payment, forwarded with a case, answered, and the answer sent back.
        const second = model.transactions[1]!;
        const recall = buildCamt056({
          assignment: { id: 'CASE-A-1', assigner: 'BANKDEFFXXX', assignee: SWITCH, creationDateTime: '2026-11-26T13:00:00Z' },
          case: { id: 'CASE-1', creator: 'BANKDEFFXXX' },
          underlying: [{ transactions: [{ originalTransactionId: second.paymentIdentification.transactionId, originalUetr: second.paymentIdentification.uetr,
            originalGroup: { messageId: model.groupHeader.messageId, messageNameId: 'pacs.008.001.08' },
            originalInterbankSettlementAmount: second.interbankSettlementAmount, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
        });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(recall), sender: 'BANKDEFFXXX' })).status, 'ACCP');
        await h.dispatch();
        assert.ok(h.mailboxes.outbound('BANKFRPPXXX').some((f) => f.startsWith('camt.056')));
        const [openCase] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM recall_cases');
        assert.equal(openCase!.state, 'OPEN');
        const resolution = buildCamt029({
          assignment: { id: 'ANS-1', assigner: 'BANKFRPPXXX', assignee: SWITCH, creationDateTime: '2026-11-26T14:00:00Z' },
          resolvedCase: { id: 'CASE-1', creator: 'BANKDEFFXXX' }, status: 'RJCR',
          cancellationDetails: [{ transactions: [{ originalTransactionId: second.paymentIdentification.transactionId, reasons: [] }] }],
        });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(resolution), sender: 'BANKFRPPXXX' })).status, 'ACCP');
        await h.dispatch();
        assert.ok(h.mailboxes.outbound('BANKDEFFXXX').some((f) => f.startsWith('camt.029')));
        const [closed] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM recall_cases');
        assert.equal(closed!.state, 'REJECTED');

        // pacs.028: the status of the settled second payment, and of an unknown one.
        const request = buildPacs028({
          groupHeader: { messageId: 'STSREQ-1', creationDateTime: '2026-11-26T15:00:00Z', instructingAgent: 'BANKDEFFXXX', instructedAgent: SWITCH },
          originalGroups: [{ originalMessageId: model.groupHeader.messageId, originalMessageNameId: 'pacs.008.001.08' }],
          transactions: [{ originalTransactionId: second.paymentIdentification.transactionId }, { originalTransactionId: 'NO-SUCH-TX' }],
        });
        await h.engine.submit({ bytes: encoder.encode(request), sender: 'BANKDEFFXXX' });
        await h.dispatch();
        const answers = h.mailboxes.outbound('BANKDEFFXXX').filter((f) => f.startsWith('pacs.002'))
          .map((f) => parsePacs002(h.mailboxes.read('BANKDEFFXXX', 'outbound', f).toString('utf8')))
          .filter((m) => m.transactions.length === 2);
        assert.equal(answers.length, 1);
        assert.deepEqual(answers[0]!.transactions.map((t) => t.transactionStatus), ['ACSC', 'RJCT']);
        await assertInvariants(h);
      } finally {
        await h.close();
      }
    });
  });
}
