/**
 * Real-time intake in groups (switch/engine/realtime-intake.ts): concurrent single INST messages are
 * committed together, in one transaction of set-based statements. Each test submits concurrently, so
 * that messages share groups (checked: at least one group holds several), and then checks what one
 * message after the other would have produced: every answer, the headroom (never over-reserved), the
 * first-in first-out order of each sender's queue, duplicates (MsgId, TxId, UETR) refused within a
 * group and across groups, the same bytes stored once, and a group that fails for one member failing
 * no other member. On PGlite and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008, type Pacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parsePacs002 } from '../../switch/iso/messages/pacs.002.001.10/index.ts';
import { Engine } from '../../switch/engine/engine.ts';
import type { IntakeResult } from '../../switch/engine/transport.ts';
import { backends, freshPostgresUrl, harness, schemeConfig, TestClock, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** One INST payment of `value` from bank `sender` to bank `receiver` (DEMO_BANKS indexes), MsgId from `seed`. */
function single(seed: number, sender: number, receiver: number, value: string, ids: { messageId?: string; transactionId?: string; uetr?: string } = {}): Pacs008 {
  const from = DEMO_BANKS[sender]!;
  const model = bulkCreditTransfer({
    seed, sender: from, receivers: [DEMO_BANKS[receiver]!], transactionCount: 1, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: ids.messageId ?? `${from.bic.slice(0, 8)}-G${seed}`, localInstrument: 'INST',
  });
  const t = model.transactions[0]!;
  return {
    groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{
      ...t, interbankSettlementAmount: { currency: 'EUR', value },
      paymentIdentification: { ...t.paymentIdentification, ...(ids.transactionId ? { transactionId: ids.transactionId } : {}),
        ...(ids.uetr ? { uetr: ids.uetr } : {}) },
    }],
  };
}

function submit(engine: Engine, sender: number, model: Pacs008): Promise<IntakeResult> {
  return engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: DEMO_BANKS[sender]!.bic });
}

interface StoredPayment {
  id: bigint;
  sequence: bigint;
  transaction_id: string;
  debtor_agent: string;
  amount_minor: bigint;
  state: string;
  reason_code: string | null;
  forwarded_message_id: string | null;
}

async function payments(h: Harness): Promise<StoredPayment[]> {
  return h.engine.storeForTests().query<StoredPayment>(
    'SELECT id, sequence, transaction_id, debtor_agent, amount_minor, state, reason_code, forwarded_message_id FROM payments_effective ORDER BY sequence');
}

/**
 * The reference: payments one after the other in acceptance order (sequence), each reserving when it
 * fits its debtor's headroom and nobody of its lane waits; otherwise queued or rejected. Written plainly.
 */
function sequentialStates(stored: readonly StoredPayment[], caps: Record<string, bigint>, overCap: 'queue' | 'reject'): string[] {
  const reserved: Record<string, bigint> = {};
  const waiting = new Set<string>();
  return stored.map((p) => {
    const used = reserved[p.debtor_agent] ?? 0n;
    if (!waiting.has(p.debtor_agent) && used + p.amount_minor <= caps[p.debtor_agent]!) {
      reserved[p.debtor_agent] = used + p.amount_minor;
      return 'RESERVED';
    }
    if (overCap === 'reject') return 'REJECTED';
    waiting.add(p.debtor_agent);
    return 'QUEUED';
  });
}

/** What a sender was told about its real-time payments (pacs.002 per TxId), from the outbox. */
async function statusReports(h: Harness, bic: string): Promise<Map<string, { status: string; reason?: string }>> {
  const rows = await h.engine.storeForTests().query<{ xml: string }>(
    `SELECT convert_from(m.bytes, 'UTF8') AS xml FROM outbox o JOIN messages m ON m.id = o.message_id
      WHERE o.recipient = $1 AND m.message_type = 'pacs.002.001.10'`, [bic]);
  const out = new Map<string, { status: string; reason?: string }>();
  for (const { xml } of rows) {
    for (const t of parsePacs002(xml).transactions) {
      const reason = t.statusReasons?.[0]?.reason;
      out.set(t.originalTransactionId!, { status: t.transactionStatus!, ...(reason && 'code' in reason ? { reason: reason.code } : {}) });
    }
  }
  return out;
}

async function assertGrouped(h: Harness | Engine, submitted: number): Promise<void> {
  const engine = h instanceof Engine ? h : h.engine;
  const stats = engine.realtimeGroups();
  assert.equal(stats.failed, 0, `no group failed (${stats.lastFailure ?? ''})`);
  assert.ok(stats.largest >= 2, `concurrent submissions shared a group (largest group: ${stats.largest})`);
  assert.ok(stats.members >= submitted, `${stats.members} grouped of ${submitted}`);
}

for (const backend of backends) {
  describe(`real-time groups on ${backend}`, () => {
    it('concurrent payments: each answered, headroom taken in acceptance order and never exceeded', async () => {
      const caps = { BANKDEFFXXX: 100_000n, BANKFRPPXXX: 50_000n };
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '1000.00', BANKFRPPXXX: '500.00' } }), xsd);
      try {
        // 40 payments of 20.00 to 95.00 from two senders, all at once: more than either cap.
        const models = Array.from({ length: 40 }, (_, i) => ({ sender: i % 2, model: single(100 + i, i % 2, 2 + (i % 3), `${20 + ((i * 37) % 76)}.00`) }));
        const results = await Promise.all(models.map(({ sender, model }) => submit(h.engine, sender, model)));
        await assertGrouped(h, models.length);
        assert.ok(results.every((r) => r.status === 'ACCP' && !r.replay), 'every message accepted, none a replay');
        assert.equal(new Set(results.map((r) => r.messageRowId)).size, models.length, 'each stored once');

        const stored = await payments(h);
        assert.equal(stored.length, models.length);
        assert.deepEqual(stored.map((p) => p.state), sequentialStates(stored, caps, 'reject'), 'as one payment after the other, in sequence order');
        assert.ok(stored.some((p) => p.state === 'REJECTED') && stored.some((p) => p.state === 'RESERVED'));
        for (const bic of Object.keys(caps) as (keyof typeof caps)[]) {
          const [e] = await h.engine.storeForTests().query<{ reserved_minor: bigint }>("SELECT reserved_minor FROM exposures WHERE bic = $1 AND currency = 'EUR'", [bic]);
          const sum = stored.filter((p) => p.debtor_agent === bic && p.state === 'RESERVED').reduce((s, p) => s + p.amount_minor, 0n);
          assert.equal(e!.reserved_minor, sum, `${bic}: reserved equals its reserved payments`);
          assert.ok(sum <= caps[bic], `${bic}: within its cap`);
        }
        // Reserved: forwarded under their own MsgId. Rejected: AM04 to the sender. One transition each, from RECEIVED.
        const forwards = await h.engine.storeForTests().query<{ message_id: string; participant: string }>(
          "SELECT message_id, participant FROM messages WHERE direction = 'out' AND message_type = 'pacs.008.001.08'");
        const reservedIds = stored.filter((p) => p.state === 'RESERVED').map((p) => p.forwarded_message_id);
        assert.deepEqual(forwards.map((f) => f.message_id).sort(), [...reservedIds].sort());
        for (const bic of ['BANKDEFFXXX', 'BANKFRPPXXX']) {
          const told = await statusReports(h, bic);
          const rejected = stored.filter((p) => p.debtor_agent === bic && p.state === 'REJECTED');
          assert.deepEqual([...told.keys()].sort(), rejected.map((p) => p.transaction_id).sort(), `${bic}: one pacs.002 per refused payment`);
          assert.ok([...told.values()].every((t) => t.status === 'RJCT' && t.reason === 'AM04'));
          assert.ok(rejected.every((p) => p.reason_code === 'AM04'));
        }
        const moves = await h.engine.storeForTests().query<{ payment_id: bigint; from_state: string; to_state: string; cause: string }>(
          'SELECT payment_id, from_state, to_state, cause FROM payment_transitions ORDER BY payment_id');
        assert.deepEqual(moves.map((m) => `${m.payment_id}:${m.from_state}>${m.to_state}:${m.cause}`),
          [...stored].sort((a, b) => (a.id < b.id ? -1 : 1))
            .map((p) => `${p.id}:RECEIVED>${p.state}:${p.state === 'RESERVED' ? 'headroom reserved' : 'over headroom'}`));
        const messageIds = await h.engine.storeForTests().query<{ message_id: string }>("SELECT message_id FROM messages WHERE direction = 'out'");
        assert.equal(new Set(messageIds.map((m) => m.message_id)).size, messageIds.length, 'every emitted MsgId unique');
        const pending = await h.engine.storeForTests().query("SELECT 1 FROM messages m LEFT JOIN outbox o ON o.message_id = m.id WHERE m.direction = 'out' AND o.id IS NULL");
        assert.equal(pending.length, 0, 'every emitted message queued for delivery');

        // They go on as payments alone do: the creditors accept, the payments commit.
        await h.dispatch();
        for (const bic of ['BANKNL2AXXX', 'BANKBEBBXXX', 'BANKITMMXXX']) await h.bank(bic).answerRealtime();
        await h.dispatch();
        const [committed] = await h.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments WHERE state = 'COMMITTED'");
        assert.equal(committed!.n, reservedIds.length);
      } finally {
        await h.close();
      }
    });

    it('queueing: concurrent payments over headroom queue first-in first-out per sender, and move in that order', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, overCap: 'queue' }), xsd);
      try {
        assert.equal((await submit(h.engine, 0, single(200, 0, 1, '80.00'))).status, 'ACCP'); // reserved: 20.00 left
        // Large and small at once: whichever comes first, no small one may overtake a queued large one.
        const values = ['50.00', '5.00', '50.00', '5.00', '50.00', '5.00', '50.00', '5.00', '15.00', '1.00'];
        const results = await Promise.all(values.map((v, i) => submit(h.engine, 0, single(210 + i, 0, 1 + (i % 4), v))));
        assert.ok(results.every((r) => r.status === 'ACCP'));
        await assertGrouped(h, values.length);
        const stored = await payments(h);
        assert.deepEqual(stored.map((p) => p.state), sequentialStates(stored, { BANKDEFFXXX: 10_000n }, 'queue'));
        const firstQueued = stored.find((p) => p.state === 'QUEUED');
        assert.ok(firstQueued, 'some payment waits');
        assert.ok(stored.every((p) => p.state !== 'RESERVED' || p.sequence < firstQueued.sequence), 'nothing reserved after the first queued payment');
        const told = await statusReports(h, 'BANKDEFFXXX');
        assert.deepEqual([...told.keys()].sort(), stored.filter((p) => p.state === 'QUEUED').map((p) => p.transaction_id).sort());
        assert.ok([...told.values()].every((t) => t.status === 'PDNG'));

        // A new payment while others wait queues behind them, even if it would fit on its own.
        await h.dispatch();
        await h.bank('BANKFRPPXXX', () => 'reject').answerRealtime(); // the 80.00 comes back: 100.00 of headroom
        await h.dispatch();
        const released = await payments(h);
        const queuedBefore = stored.filter((p) => p.state === 'QUEUED');
        const movedIds = new Set(released.filter((p) => p.state === 'RESERVED').map((p) => p.id));
        // Released strictly from the front of the queue.
        const moved = queuedBefore.map((p) => movedIds.has(p.id));
        assert.ok(moved.every((m, i) => !m || moved.slice(0, i).every(Boolean)), `released from the front: ${moved.join(',')}`);
      } finally {
        await h.close();
      }
    });

    it('a grouped payment keeps no copy of its element: its forward, from the queue too, and its detail read it from the inbound message', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, overCap: 'queue' }), xsd);
      try {
        const first = buildPacs008(single(700, 0, 1, '80.00'));
        const queued = buildPacs008(single(701, 0, 2, '50.00'));
        for (const xml of [first, queued]) assert.equal((await h.engine.submit({ bytes: encoder.encode(xml), sender: 'BANKDEFFXXX' })).status, 'ACCP');
        const store = h.engine.storeForTests();
        const rows = await store.query<{ id: bigint; state: string; transaction_xml: string | null }>('SELECT id, state, transaction_xml FROM payments ORDER BY sequence');
        assert.deepEqual(rows.map((r) => [r.state, r.transaction_xml]), [['RESERVED', null], ['QUEUED', null]]);
        // The 80.00 refused by its creditor agent: the queued 50.00 is reserved and forwarded now.
        await h.dispatch();
        await h.bank('BANKFRPPXXX', () => 'reject').answerRealtime();
        await h.dispatch();
        const element = (xml: string): string => xml.slice(xml.indexOf('<CdtTrfTxInf>'), xml.indexOf('</CdtTrfTxInf>') + '</CdtTrfTxInf>'.length);
        const forwards = await store.query<{ state: string; xml: string }>(
          `SELECT p.state, convert_from(m.bytes, 'UTF8') AS xml FROM payments p
             JOIN messages m ON m.direction = 'out' AND m.message_id = p.forwarded_message_id AND m.participant = p.creditor_agent ORDER BY p.sequence`);
        assert.deepEqual(forwards.map((f) => f.state), ['RELEASED', 'RESERVED']);
        assert.deepEqual(forwards.map((f) => element(f.xml)), [element(first), element(queued)]);
        for (const [i, row] of rows.entries()) {
          assert.equal((await h.engine.paymentDetail(row.id))?.transactionXml, element([first, queued][i]!));
        }
      } finally {
        await h.close();
      }
    });

    it('duplicates within one group and across groups: DU01 (MsgId), AM05 (TxId), DUPL (UETR), as one after the other', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const uetr = 'f3c1e0a2-4b5d-4e6f-8a9b-0c1d2e3f4a5b';
        const pairs: [Pacs008, Pacs008, string][] = [
          [single(300, 0, 1, '10.00'), single(301, 0, 2, '11.00', { messageId: 'BANKDEFF-G300' }), 'DU01'],
          [single(302, 0, 1, '12.00'), single(303, 0, 1, '13.00', { transactionId: 'BANKDEFF-G302-000001' }), 'AM05'],
          [single(304, 0, 1, '14.00', { uetr }), single(305, 0, 3, '15.00', { uetr }), 'DUPL'],
        ];
        // Within a group: both of each pair at once; exactly one of each is accepted, the other refused.
        const results = await Promise.all(pairs.flatMap(([a, b]) => [submit(h.engine, 0, a), submit(h.engine, 0, b)]));
        await assertGrouped(h, 6);
        for (const [k, [, , code]] of pairs.entries()) {
          const pair = [results[2 * k]!, results[2 * k + 1]!];
          assert.deepEqual(pair.map((r) => r.status).sort(), ['ACCP', 'RJCT'], `${code}: one accepted, one refused`);
          const refused = pair.find((r) => r.status === 'RJCT')!;
          assert.ok(refused.report.findings.some((f) => f.code === code), `${code}: ${JSON.stringify(refused.report.findings)}`);
          assert.match(refused.answerXml ?? '', /<GrpSts>RJCT<\/GrpSts>/, `${code}: the refusal is answered`);
        }
        assert.equal((await payments(h)).length, 3, 'one payment per pair');
        // Across groups: the same three kinds of duplicate, against what is now stored.
        const later = await Promise.all([
          submit(h.engine, 0, single(306, 0, 4, '16.00', { messageId: 'BANKDEFF-G302' })),
          submit(h.engine, 0, single(307, 0, 4, '17.00', { transactionId: 'BANKDEFF-G300-000001' })),
          submit(h.engine, 0, single(308, 0, 4, '18.00', { uetr })),
          submit(h.engine, 0, single(309, 0, 4, '19.00')),
        ]);
        assert.deepEqual(later.map((r) => r.status), ['RJCT', 'RJCT', 'RJCT', 'ACCP']);
        for (const [i, code] of ['DU01', 'AM05', 'DUPL'].entries()) {
          assert.ok(later[i]!.report.findings.some((f) => f.code === code), `${code}: ${JSON.stringify(later[i]!.report.findings)}`);
        }
        const keys = await h.engine.storeForTests().query<{ kind: string; n: number }>('SELECT kind, COUNT(*)::int AS n FROM idempotency_keys GROUP BY kind ORDER BY kind');
        // As for messages alone: a message refused as a duplicate message (DU01) keeps no key; one whose
        // only transaction is a duplicate keeps the keys it won (its MsgId, and the TxId or UETR not taken).
        // Accepted 4 × 3 keys; AM05 refusals 2 × (MSG, UETR); DUPL refusals 2 × (MSG, TX).
        assert.deepEqual(keys, [{ kind: 'MSG', n: 8 }, { kind: 'TX', n: 6 }, { kind: 'UETR', n: 6 }]);
        assert.equal((await payments(h)).length, 4);
      } finally {
        await h.close();
      }
    });

    it('a message refused as a duplicate gives its keys back, even to a later message of the same group', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        await submit(h.engine, 0, single(400, 0, 1, '10.00')); // MsgId BANKDEFF-G400 taken
        // A reuses that MsgId (DU01) and claims TxId T; B claims T too. Alone, one after the other, A
        // is refused and claims nothing, so B gets T whatever their order.
        for (let round = 0; round < 4; round++) {
          const a = single(401 + 2 * round, 0, 1, '11.00', { messageId: 'BANKDEFF-G400', transactionId: `SHARED-TX-${round}` });
          const b = single(402 + 2 * round, 0, 2, '12.00', { transactionId: `SHARED-TX-${round}` });
          const [ra, rb] = await Promise.all([submit(h.engine, 0, a), submit(h.engine, 0, b)]);
          assert.equal(ra.status, 'RJCT');
          assert.ok(ra.report.findings.some((f) => f.code === 'DU01'));
          assert.equal(rb.status, 'ACCP', JSON.stringify(rb.report.findings));
        }
        const shared = await h.engine.storeForTests().query<{ transaction_id: string }>("SELECT transaction_id FROM payments WHERE transaction_id LIKE 'SHARED-TX-%'");
        assert.equal(shared.length, 4, 'each shared TxId paid once, to B');
      } finally {
        await h.close();
      }
    });

    it('the same bytes submitted several times at once are stored once; the others are replays with the same outcome', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const bytes = encoder.encode(buildPacs008(single(500, 1, 2, '42.00')));
        const others = Array.from({ length: 6 }, (_, i) => single(510 + i, 1, 3, '1.00'));
        const results = await Promise.all([
          ...Array.from({ length: 4 }, () => h.engine.submit({ bytes, sender: 'BANKFRPPXXX' })),
          ...others.map((m) => submit(h.engine, 1, m)),
        ]);
        await assertGrouped(h, results.length);
        const same = results.slice(0, 4);
        assert.equal(same.filter((r) => !r.replay).length, 1, 'one stored, three replays');
        assert.equal(new Set(same.map((r) => r.messageRowId)).size, 1);
        assert.ok(same.every((r) => r.status === 'ACCP'));
        const [inbound] = await h.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM messages WHERE direction = 'in'");
        assert.equal(inbound!.n, 7);
        assert.equal((await payments(h)).length, 7);
        // And once more later: a replay of what is stored.
        const again = await h.engine.submit({ bytes, sender: 'BANKFRPPXXX' });
        assert.equal(again.replay, true);
        assert.equal(again.messageRowId, same[0]!.messageRowId);
      } finally {
        await h.close();
      }
    });

    it('a group that fails for one member fails no other: each is retried alone', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        // A payment the database refuses (a trigger standing in for any unexpected error of one member).
        await h.engine.storeForTests().query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.transaction_id = 'POISON' THEN RAISE EXCEPTION 'poisoned payment'; END IF; RETURN NEW; END $$`);
        await h.engine.storeForTests().query('CREATE TRIGGER refuse_poison BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
        const models = Array.from({ length: 12 }, (_, i) => single(600 + i, 2, 3, '7.00', i === 5 ? { transactionId: 'POISON' } : {}));
        const settled = await Promise.allSettled(models.map((m) => submit(h.engine, 2, m)));
        const failed = settled.filter((s) => s.status === 'rejected');
        assert.equal(failed.length, 1, 'only the poisoned member fails');
        assert.match(String((failed[0] as PromiseRejectedResult).reason), /poisoned payment/);
        assert.equal((settled[5] as PromiseSettledResult<IntakeResult>).status, 'rejected');
        assert.ok(settled.every((s, i) => i === 5 || (s.status === 'fulfilled' && s.value.status === 'ACCP')));
        assert.ok(h.engine.realtimeGroups().failed >= 1, 'the group failed and was retried member by member');
        const stored = await payments(h);
        assert.equal(stored.length, 11);
        assert.ok(stored.every((p) => p.state === 'RESERVED'));
        const [orphans] = await h.engine.storeForTests().query<{ n: number }>(
          "SELECT COUNT(*)::int AS n FROM messages m LEFT JOIN intake i ON i.message_id = m.id WHERE m.direction = 'in' AND i.message_id IS NULL");
        assert.equal(orphans!.n, 0, 'nothing of the failed group was left behind');
      } finally {
        await h.close();
      }
    });
  });
}

for (const backend of backends) {
  it(`a scheme that commits on forward (no receiver confirmation) keeps payments alone, committed at once (${backend})`, async () => {
    const h = await harness(backend, schemeConfig({ caps: { BANKDEFFXXX: '100.00' }, receiverConfirmation: false }), xsd);
    try {
      // 30.00 each against a cap of 100.00: three commit, the rest are refused (commits use headroom as reservations do).
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(h.engine, 0, single(800 + i, 0, 1, '30.00'))));
      assert.ok(results.every((r) => r.status === 'ACCP'));
      assert.equal(h.engine.realtimeGroups().members, 0, 'not grouped');
      const stored = await payments(h);
      assert.deepEqual(stored.map((p) => p.state).sort(), ['COMMITTED', 'COMMITTED', 'COMMITTED', 'REJECTED', 'REJECTED']);
      const told = await statusReports(h, 'BANKDEFFXXX');
      assert.deepEqual([...told.values()].map((t) => t.status).sort(), ['ACSP', 'ACSP', 'ACSP', 'RJCT', 'RJCT']);
      const [debtor] = await h.engine.storeForTests().query<{ net_minor: bigint; reserved_minor: bigint }>("SELECT net_minor, reserved_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
      assert.deepEqual(debtor, { net_minor: -9_000n, reserved_minor: 0n });
    } finally {
      await h.close();
    }
  });
}

describe('real-time groups of two engines on one PostgreSQL', () => {
  it('the same payment sent through both engines at once is stored once; every other is reserved once within the cap', async () => {
    const url = await freshPostgresUrl();
    const config = schemeConfig({ caps: { BANKDEFFXXX: '300.00' } });
    const first = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
    const second = await Engine.open({ config, databaseUrl: url, clock: new TestClock(), xsd });
    try {
      const same = encoder.encode(buildPacs008(single(700, 0, 1, '10.00')));
      const models = Array.from({ length: 40 }, (_, i) => single(710 + i, 0, 1 + (i % 4), '10.00'));
      const results = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? first : second).submit({ bytes: same, sender: 'BANKDEFFXXX' })),
        ...models.map((m, i) => submit(i % 2 === 0 ? first : second, 0, m)),
      ]);
      assert.equal(results.slice(0, 6).filter((r) => !r.replay).length, 1);
      assert.ok(results.every((r) => r.status === 'ACCP'));
      const states = await first.storeForTests().query<{ state: string; n: number }>('SELECT state, COUNT(*)::int AS n FROM payments_effective GROUP BY state ORDER BY state');
      assert.deepEqual(Object.fromEntries(states.map((s) => [s.state, s.n])), { REJECTED: 11, RESERVED: 30 });
      const [exposure] = await first.storeForTests().query<{ reserved_minor: bigint }>("SELECT reserved_minor FROM exposures WHERE bic = 'BANKDEFFXXX'");
      assert.equal(exposure!.reserved_minor, 30_000n, 'all of the headroom, not a cent more');
      assert.ok(first.realtimeGroups().largest >= 2 || second.realtimeGroups().largest >= 2, 'grouped');
    } finally {
      await first.close();
      await second.close();
    }
  });
});
