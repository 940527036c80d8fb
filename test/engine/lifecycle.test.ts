/**
 * One payment lifecycle (issue 9, defects 3–7), on the embedded PGlite and on real PostgreSQL: every
 * state change goes through the machine of switch/clearing/payment-state.ts (one set-based helper,
 * switch/engine/transitions.ts), and each party learns the same outcome. Judged from the messages
 * emitted where possible, and from the recorded transitions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { build as buildPacs004 } from '../../switch/iso/messages/pacs.004.001.09/index.ts';
import { build as buildCamt056 } from '../../switch/iso/messages/camt.056.001.08/index.ts';
import { parseXml as parseCamt029 } from '../../switch/iso/messages/camt.029.001.09/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { transitions, type PaymentState } from '../../switch/clearing/payment-state.ts';
import { IllegalTransitionError, transitionPayments } from '../../switch/engine/transitions.ts';
import { backends, harness, schemeConfig, SWITCH, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

export function bulk(senderIndex: number, count: number, seed: number, options: { localInstrument?: string; receivers?: number[]; amountMinor?: number } = {}) {
  const sender = DEMO_BANKS[senderIndex]!;
  const model = bulkCreditTransfer({
    seed, sender, receivers: (options.receivers ?? [0, 1, 2, 3, 4].filter((i) => i !== senderIndex)).map((i) => DEMO_BANKS[i]!),
    transactionCount: count, settlementDate: '2026-11-26', createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${seed}`,
    localInstrument: options.localInstrument,
  });
  if (options.amountMinor === undefined) return model;
  const value = (options.amountMinor / 100).toFixed(2);
  return { ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: model.transactions.map((t) => ({ ...t, interbankSettlementAmount: { currency: 'EUR', value } })) };
}

async function submit(h: Harness, senderIndex: number, model: ReturnType<typeof bulk>) {
  return h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[senderIndex]!.bic });
}

function returnOf(original: ReturnType<typeof bulk>['transactions'][number], id: string, creditor: string, value?: string) {
  return encoder.encode(buildPacs004({
    groupHeader: { messageId: `RET-${id}`, creationDateTime: '2026-11-26T12:00:00Z', numberOfTransactions: '1', settlementInformation: { method: 'CLRG' },
      instructingAgent: creditor, instructedAgent: SWITCH },
    transactions: [{ returnId: id, originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
      originalEndToEndId: original.paymentIdentification.endToEndId,
      returnedInterbankSettlementAmount: value === undefined ? original.interbankSettlementAmount : { currency: 'EUR', value }, returnReasons: [{ reason: { code: 'AC04' } }] }],
  }));
}

/** Every pacs.002 a bank received, as (status, reason) per transaction line, or the group status when it lists none. */
export function statusesTo(h: Harness, bic: string): { status: string; reason?: string; original: string }[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.002')).flatMap((f) => {
    const m = parsePacs002(h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
    const group = m.originalGroups[0]!;
    if (m.transactions.length === 0) return [{ status: group.groupStatus ?? '', original: group.originalMessageId }];
    return m.transactions.map((t) => ({ status: t.transactionStatus ?? group.groupStatus ?? '',
      reason: t.statusReasons?.[0]?.reason && 'code' in t.statusReasons[0].reason ? t.statusReasons[0].reason.code : undefined,
      original: group.originalMessageId }));
  });
}

function recallOf(original: ReturnType<typeof bulk>['transactions'][number], caseId: string, debtor: string) {
  return encoder.encode(buildCamt056({
    assignment: { id: `A-${caseId}`, assigner: debtor, assignee: SWITCH, creationDateTime: '2026-11-26T10:30:00Z' },
    case: { id: caseId, creator: debtor },
    underlying: [{ transactions: [{ originalTransactionId: original.paymentIdentification.transactionId, originalUetr: original.paymentIdentification.uetr,
      originalEndToEndId: original.paymentIdentification.endToEndId, reasons: [{ reason: { code: 'DUPL' }, additionalInformation: [] }] }] }],
  }));
}

/** The camt.029 answers a bank received: group confirmation and each transaction's status. */
function resolutionsTo(h: Harness, bic: string): { status: string; transactions: (string | undefined)[] }[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith('camt.029')).map((f) => {
    const m = parseCamt029(h.mailboxes.read(bic, 'outbound', f).toString('utf8'));
    return { status: m.status, transactions: m.cancellationDetails.flatMap((d) => d.transactions.map((t) => t.status)) };
  });
}

/** Every recorded transition (sets expanded) is one the machine allows. */
async function assertHistoryLegal(h: Harness): Promise<number> {
  const rows = await h.engine.storeForTests().query<{ payment_id: bigint; from_state: string | null; to_state: string }>(
    'SELECT payment_id, from_state, to_state FROM payment_history ORDER BY id');
  for (const r of rows) {
    assert.ok(r.from_state !== null, `payment ${r.payment_id}: a transition without a from-state (→ ${r.to_state})`);
    assert.ok(transitions.get(r.from_state as PaymentState)?.has(r.to_state as PaymentState),
      `payment ${r.payment_id}: ${r.from_state} → ${r.to_state} is not in the machine`);
  }
  return rows.length;
}

for (const backend of backends) {
  describe(`payment lifecycle on ${backend}`, () => {
    it('item 7: netting with a cap breach, settlement and a return record only transitions the machine allows', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '300.00' } }), xsd);
      try {
        const model = bulk(0, 4, 71, { receivers: [1], amountMinor: 10_000 });
        assert.equal((await submit(h, 0, model)).status, 'ACCP');
        await h.closeAndSettle();
        const states = await h.engine.storeForTests().query<{ state: string; reason_code: string | null }>(
          "SELECT state, reason_code FROM payments_effective WHERE kind = 'CREDIT' ORDER BY sequence");
        assert.deepEqual(states.map((s) => s.state), ['SETTLED', 'SETTLED', 'SETTLED', 'REJECTED']);
        assert.equal(states[3]!.reason_code, 'AM23');
        assert.ok(statusesTo(h, 'BANKDEFFXXX').some((s) => s.status === 'RJCT' && s.reason === 'AM23'), 'the sender is told of the unwound payment');
        const ret = await h.engine.submit({ bytes: returnOf(model.transactions[0]!, 'R71', 'BANKFRPPXXX'), sender: 'BANKFRPPXXX' });
        assert.equal(ret.status, 'ACCP', JSON.stringify(ret.report.findings));
        await h.closeAndSettle();
        assert.ok(await assertHistoryLegal(h) > 0);
      } finally {
        await h.close();
      }
    });

    it('item 7: the helper moves only payments in an allowed from-state, and throws (nothing moved) when one is not', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        assert.equal((await submit(h, 0, bulk(0, 3, 72, { receivers: [1] }))).status, 'ACCP');
        const db = h.engine.storeForTests();
        const ids = (await db.query<{ id: bigint }>('SELECT id FROM payments ORDER BY id')).map((r) => r.id);
        await assert.rejects(db.transaction((tx) => transitionPayments(tx, { event: 'SETTLE', to: 'SETTLED', select: { ids }, cause: 'test', record: 'each' })),
          IllegalTransitionError);
        await assert.rejects(db.transaction((tx) => transitionPayments(tx, { event: 'SETTLE', to: 'RETURNED', select: { ids }, cause: 'test', record: 'each' })),
          /no transition SETTLE → RETURNED/);
        // One of three already NETTED: netting "these three" again moves none of them.
        await db.transaction((tx) => transitionPayments(tx, { event: 'NET', to: 'NETTED', select: { ids: [ids[0]!] }, cause: 'test', record: 'each' }));
        await assert.rejects(db.transaction((tx) => transitionPayments(tx, { event: 'NET', to: 'NETTED', select: { ids }, cause: 'test', record: 'each' })),
          (error: Error) => error instanceof IllegalTransitionError && error.message.includes(`${ids[0]} NETTED`));
        const states = await db.query<{ state: string }>('SELECT state FROM payments_effective ORDER BY id');
        assert.deepEqual(states.map((s) => s.state), ['NETTED', 'ACCEPTED', 'ACCEPTED']);
      } finally {
        await h.close();
      }
    });

    it('item 3: a real-time timeout (AB05) tells both agents; a late ACCP is refused to the creditor with AB05', async () => {
      const h = await harness(backend, schemeConfig({ timeoutMs: 5_000 }), xsd);
      try {
        let answer: 'accept' | 'silent' = 'silent';
        const creditor = h.bank('BANKFRPPXXX', () => answer);
        const model = bulk(0, 1, 31, { localInstrument: 'INST', receivers: [1], amountMinor: 25_000 });
        assert.equal((await submit(h, 0, model)).status, 'ACCP');
        await h.dispatch();
        const forwarded = h.mailboxes.outbound('BANKFRPPXXX').filter((f) => f.startsWith('pacs.008'));
        assert.equal(forwarded.length, 1);
        h.clock.advance(6_000);
        assert.equal((await h.engine.sweep()).timedOut, 1);
        await h.dispatch();
        const txId = model.transactions[0]!.paymentIdentification.transactionId;
        // The debtor agent and the creditor agent both get RJCT AB05 for the payment.
        assert.deepEqual(statusesTo(h, 'BANKDEFFXXX').map((s) => [s.status, s.reason]), [['RJCT', 'AB05']]);
        const toCreditor = statusesTo(h, 'BANKFRPPXXX');
        assert.deepEqual(toCreditor.map((s) => [s.status, s.reason]), [['RJCT', 'AB05']]);
        const forwardedId = /<MsgId>([^<]+)<\/MsgId>/.exec(h.mailboxes.read('BANKFRPPXXX', 'outbound', forwarded[0]!).toString('utf8'))![1];
        assert.equal(toCreditor[0]!.original, forwardedId, 'the creditor\'s RJCT quotes the pacs.008 forwarded to it');
        // The creditor answers ACCP after the timeout: refused to it, with AB05; nothing changes.
        answer = 'accept';
        assert.equal(await creditor.answerRealtime(), 1);
        await h.dispatch();
        const late = statusesTo(h, 'BANKFRPPXXX').slice(1);
        assert.equal(late.length, 1, 'the late answer is answered, not met with silence');
        assert.equal(late[0]!.status, 'RJCT');
        assert.equal(late[0]!.reason, 'AB05');
        assert.match(late[0]!.original, /^BANKFRPP-ANS-/);
        const [payment] = await h.engine.storeForTests().query<{ state: string; reason_code: string }>('SELECT state, reason_code FROM payments_effective WHERE transaction_id = $1', [txId]);
        assert.deepEqual(payment, { state: 'RELEASED', reason_code: 'AB05' });
        const [debtor] = await h.engine.storeForTests().query<{ net_minor: bigint; reserved_minor: bigint }>("SELECT net_minor, reserved_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
        assert.deepEqual(debtor, { net_minor: 0n, reserved_minor: 0n });
        assert.equal(statusesTo(h, 'BANKDEFFXXX').length, 1, 'the debtor agent hears nothing more');
        await assertHistoryLegal(h);
      } finally {
        await h.close();
      }
    });

    it('item 4: a recall before cut-off cancels the payment from the cycle (camt.029 CNCL); the creditor never sees it; positions without it', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const model = bulk(0, 2, 41, { receivers: [1], amountMinor: 12_345 });
        assert.equal((await submit(h, 0, model)).status, 'ACCP');
        const recalled = model.transactions[1]!;
        const answer = await h.engine.submit({ bytes: recallOf(recalled, 'CASE-41', 'BANKDEFFXXX'), sender: 'BANKDEFFXXX' });
        assert.equal(answer.status, 'ACCP', JSON.stringify(answer.report.findings));
        await h.dispatch();
        assert.deepEqual(resolutionsTo(h, 'BANKDEFFXXX'), [{ status: 'CNCL', transactions: ['ACCR'] }]);
        assert.equal(h.mailboxes.outbound('BANKFRPPXXX').filter((f) => f.startsWith('camt.056')).length, 0, 'the creditor is not asked');
        const cycleId = (await h.closeAndSettle())!;
        const positions = (await h.engine.positions(cycleId))!.positions;
        assert.equal(positions.find((p) => p.bic === 'BANKDEFFXXX')!.net_minor, -12_345n, 'only the payment not recalled is netted');
        const bulks = h.mailboxes.outbound('BANKFRPPXXX').filter((f) => f.startsWith('pacs.008'));
        assert.equal(bulks.length, 1);
        const xml = h.mailboxes.read('BANKFRPPXXX', 'outbound', bulks[0]!).toString('utf8');
        assert.equal((xml.match(/<CdtTrfTxInf>/g) ?? []).length, 1);
        assert.ok(!xml.includes(recalled.paymentIdentification.transactionId!), 'the recalled payment is not delivered');
        assert.equal(h.mailboxes.outbound('BANKFRPPXXX').filter((f) => f.startsWith('camt.056')).length, 0);
        const [row] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM payments_effective WHERE transaction_id = $1', [recalled.paymentIdentification.transactionId]);
        assert.equal(row!.state, 'CANCELLED');
        const [recallCase] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM recall_cases');
        assert.equal(recallCase!.state, 'ACCEPTED');
        await assertHistoryLegal(h);
      } finally {
        await h.close();
      }
    });

    it('item 4: a recall after cut-off, before settlement, is held (camt.029 PDCR) and reaches the creditor only with the settled payment', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const model = bulk(0, 1, 42, { receivers: [1], amountMinor: 5_000 });
        assert.equal((await submit(h, 0, model)).status, 'ACCP');
        await h.engine.closeCycle();
        await h.dispatch();
        const answer = await h.engine.submit({ bytes: recallOf(model.transactions[0]!, 'CASE-42', 'BANKDEFFXXX'), sender: 'BANKDEFFXXX' });
        assert.equal(answer.status, 'ACCP', JSON.stringify(answer.report.findings));
        await h.dispatch();
        assert.deepEqual(resolutionsTo(h, 'BANKDEFFXXX'), [{ status: 'PDCR', transactions: ['PDCR'] }]);
        assert.equal(h.mailboxes.outbound('BANKFRPPXXX').filter((f) => f.startsWith('camt.056') || f.startsWith('pacs.008')).length, 0,
          'before settlement the creditor has neither the payment nor the recall');
        for (let round = 0; round < 5 && (await h.agent.answerAll()) > 0; round++) await h.dispatch();
        await h.dispatch();
        const files = h.mailboxes.outbound('BANKFRPPXXX');
        assert.equal(files.filter((f) => f.startsWith('pacs.008')).length, 1);
        assert.equal(files.filter((f) => f.startsWith('camt.056')).length, 1, 'the recall follows the settled payment');
        const [row] = await h.engine.storeForTests().query<{ state: string }>('SELECT state FROM payments_effective');
        assert.equal(row!.state, 'SETTLED');
        await assertHistoryLegal(h);
      } finally {
        await h.close();
      }
    });

    it('item 6: a return moves money only when its cycle settles; unwound, it changes nothing, its sender gets RJCT, the original can be returned again', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKFRPPXXX: '10.00' } }), xsd);
      try {
        const model = bulk(0, 1, 61, { receivers: [1], amountMinor: 5_000 });
        assert.equal((await submit(h, 0, model)).status, 'ACCP');
        await h.closeAndSettle();
        const original = model.transactions[0]!;
        const originalRow = async () => (await h.engine.storeForTests().query<{ state: string; returned_minor: bigint }>(
          "SELECT state, returned_minor FROM payments_effective WHERE kind = 'CREDIT'"))[0]!;
        const pacs004To = (bic: string) => h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.004')).length;
        // The full return is accepted into the open cycle; nothing is returned yet and the debtor's bank hears nothing.
        const full = await h.engine.submit({ bytes: returnOf(original, 'R61', 'BANKFRPPXXX'), sender: 'BANKFRPPXXX' });
        assert.equal(full.status, 'ACCP', JSON.stringify(full.report.findings));
        await h.dispatch();
        assert.equal(pacs004To('BANKDEFFXXX'), 0, 'not forwarded before its cycle settles');
        assert.deepEqual(await originalRow(), { state: 'SETTLED', returned_minor: 0n });
        // Its cycle nets it over the returning bank's cap (10.00): unwound. Nothing changed, and every party sees it.
        await h.closeAndSettle();
        assert.equal(pacs004To('BANKDEFFXXX'), 0, 'the debtor agent is never told of money it did not get');
        assert.deepEqual(await originalRow(), { state: 'SETTLED', returned_minor: 0n });
        assert.ok(statusesTo(h, 'BANKFRPPXXX').some((s) => s.original === 'RET-R61' && s.status === 'RJCT' && s.reason === 'AM23'),
          'the returning bank gets RJCT with the unwind code');
        // The original can be returned again: a partial return within the cap settles and only then moves money.
        const partial = await h.engine.submit({ bytes: returnOf(original, 'R62', 'BANKFRPPXXX', '8.00'), sender: 'BANKFRPPXXX' });
        assert.equal(partial.status, 'ACCP', JSON.stringify(partial.report.findings));
        const tooMuch = await h.engine.submit({ bytes: returnOf(original, 'R63', 'BANKFRPPXXX', '42.01'), sender: 'BANKFRPPXXX' });
        assert.equal(tooMuch.status, 'RJCT', 'the return still in a cycle counts against what is left');
        await h.dispatch();
        assert.deepEqual(await originalRow(), { state: 'SETTLED', returned_minor: 0n });
        const cycleId = (await h.closeAndSettle())!;
        assert.equal(pacs004To('BANKDEFFXXX'), 1, 'forwarded with the settled cycle');
        assert.deepEqual(await originalRow(), { state: 'SETTLED', returned_minor: 800n });
        const positions = (await h.engine.positions(cycleId))!.positions;
        assert.equal(positions.find((p) => p.bic === 'BANKDEFFXXX')!.net_minor, 800n);
        await assertHistoryLegal(h);
      } finally {
        await h.close();
      }
    });
  });
}
