/**
 * How batch payments are stored and moved for throughput (migration 005, switch/engine/cycles.ts), on
 * PGlite and on PostgreSQL:
 *  - bulk files built per receiver, their transaction XML fetched in chunks, are exactly the files a
 *    reference build from the submitted messages gives (content, order, header), across chunk limits;
 *  - acceptance is recorded once per file, netting and settlement once per cycle, and every payment's
 *    history still lists them with cause and time (paymentHistory and the payment_history view agree);
 *  - the migration moves the XML of payments not yet delivered, keeps the references between payments,
 *    transitions and XML checked, and leaves the indexes usable by the queries that need them;
 *  - no index of payments names `state` (migration 032), so netting's and settlement's updates of a
 *    cycle's batch payments are HOT: no index entry written;
 *  - payments and idempotency keys refer to their message and cycle through checks per statement
 *    (migration 044), which refuse what the foreign keys refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { formatAmount } from '../../switch/iso/amount.ts';
import { forwardedCreditTransfer } from '../../switch/engine/outbound.ts';
import { paymentHistory } from '../../switch/engine/cycles/index.ts';
import { transitionPayments } from '../../switch/engine/transitions.ts';
import { openDatabase, errorCode, type Database } from '../../switch/store/database.ts';
import { migrate, migrations, splitStatements } from '../../switch/store/migrate.ts';
import { backends, BANKS, freshPostgresUrl, harness, schemeConfig, SWITCH, type Backend, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

function bulk(senderIndex: number, count: number, seed: number, receivers: number[], maxAmountMinor?: number) {
  const sender = DEMO_BANKS[senderIndex]!;
  return bulkCreditTransfer({
    seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-S${seed}`, maxAmountMinor,
  });
}

/** The transaction elements of a built pacs.008, in document order, as the switch forwards them. */
function transactionElements(xml: string): string[] {
  return xml.match(/<CdtTrfTxInf>[\s\S]*?<\/CdtTrfTxInf>/g) ?? [];
}

async function submitted(h: Harness, senderIndex: number, model: ReturnType<typeof bulk>): Promise<string> {
  const xml = buildPacs008(model);
  const result = await h.engine.submit({ bytes: encoder.encode(xml), sender: DEMO_BANKS[senderIndex]!.bic });
  assert.equal(result.status, 'ACCP', JSON.stringify(result.report.findings.slice(0, 2)));
  return xml;
}

for (const backend of backends) {
  describe(`batch storage on ${backend}`, () => {
    it('bulk files per receiver equal a reference build from the submitted files, in acceptance order, across fetch chunks', async () => {
      // BANKITMMXXX's cap makes netting unwind some of its payments: they must be missing from the files.
      const h = await harness(backend, schemeConfig({ caps: { BANKITMMXXX: '2000.00' } }), xsd);
      try {
        // 2,300 payments to BANKFRPPXXX alone cross the 1,000-row fetch chunks twice; the others spread.
        const files = [
          { sender: 0, model: bulk(0, 2_300, 11, [1]) },
          { sender: 2, model: bulk(2, 150, 12, [0, 1, 3]) },
          { sender: 4, model: bulk(4, 40, 13, [0, 1, 2, 3], 20_000) },
          { sender: 3, model: bulk(3, 90, 14, [0, 2]) },
        ];
        const sent: { sender: number; xml: string; model: ReturnType<typeof bulk> }[] = [];
        for (const f of files) sent.push({ ...f, xml: await submitted(h, f.sender, f.model) });
        await h.closeAndSettle();

        const settled = await h.engine.storeForTests().query<{ message_id: bigint; transaction_index: number; creditor_agent: string; amount_minor: bigint }>(
          "SELECT message_id, transaction_index, creditor_agent, amount_minor FROM payments_effective WHERE state = 'SETTLED' ORDER BY sequence");
        const unwound = await h.engine.storeForTests().query<{ n: number }>("SELECT COUNT(*)::int AS n FROM payments_effective WHERE state = 'REJECTED' AND reason_code = 'AM23'");
        assert.ok(unwound[0]!.n > 0, 'the cap breach unwound some payments');
        // The inbound files in the order they were submitted (one at a time).
        const messageRows = (await h.engine.storeForTests().query<{ id: bigint }>(
          "SELECT id FROM messages WHERE direction = 'in' AND message_type = 'pacs.008.001.08' ORDER BY id")).map((m) => m.id);
        assert.equal(messageRows.length, files.length);
        const elementsOf = new Map(messageRows.map((row, i) => [row, transactionElements(sent[i]!.xml)]));

        let receivers = 0;
        for (const bic of BANKS) {
          const mine = settled.filter((p) => p.creditor_agent === bic);
          const bulks = h.mailboxes.outbound(bic).filter((f) => f.startsWith('pacs.008'));
          if (mine.length === 0) { assert.deepEqual(bulks, [], `${bic} receives nothing`); continue; }
          receivers++;
          assert.equal(bulks.length, 1, `${bic} gets one bulk file`);
          const delivered = h.mailboxes.read(bic, 'outbound', bulks[0]!).toString('utf8');
          const messageId = /<MsgId>([^<]+)<\/MsgId>/.exec(delivered)![1]!;
          const createdAt = /<CreDtTm>([^<]+)<\/CreDtTm>/.exec(delivered)![1]!;
          const total = mine.reduce((sum, p) => sum + p.amount_minor, 0n);
          const expected = forwardedCreditTransfer({
            messageId, createdAt, settlementDate: '2026-11-26', currency: 'EUR', totalText: formatAmount(total, 'EUR'), count: mine.length,
            instructingAgent: SWITCH, instructedAgent: bic,
          }, mine.map((p) => elementsOf.get(p.message_id)![p.transaction_index]!));
          assert.equal(delivered, expected, `${bic}: the bulk file is the reference build`);
        }
        assert.equal(receivers, 4, 'BANKITMMXXX, which only sends, gets no bulk file');
        assert.ok(settled.filter((p) => p.creditor_agent === 'BANKFRPPXXX').length > 2_000, 'one file spans three fetch chunks');
      } finally {
        await h.close();
      }
    });

    it('acceptance is recorded once per file, netting and settlement once per cycle; each payment\'s history lists them with cause and time', async () => {
      const h = await harness(backend, schemeConfig({ caps: { BANKITMMXXX: '1000.00' } }), xsd);
      try {
        await submitted(h, 4, bulk(4, 10, 55, [0, 1], 40_000));
        await submitted(h, 0, bulk(0, 20, 56, [1, 2]));
        const cycleId = (await h.closeAndSettle())!;
        const sets = await h.engine.storeForTests().query<{ from_state: string; to_state: string; cause: string; n: number }>(
          'SELECT from_state, to_state, cause, cardinality(payment_ids)::int AS n FROM payment_transition_sets WHERE cycle_id = $1 ORDER BY id', [cycleId]);
        const payments = await h.engine.storeForTests().query<{ id: bigint; state: string }>('SELECT id, state FROM payments_effective ORDER BY id');
        const settledIds = payments.filter((p) => p.state === 'SETTLED').map((p) => p.id);
        const rejectedIds = payments.filter((p) => p.state === 'REJECTED').map((p) => p.id);
        assert.ok(settledIds.length > 0 && rejectedIds.length > 0);
        assert.deepEqual(sets, [
          { from_state: 'RECEIVED', to_state: 'ACCEPTED', cause: `accepted into cycle ${cycleId}`, n: 10 },
          { from_state: 'RECEIVED', to_state: 'ACCEPTED', cause: `accepted into cycle ${cycleId}`, n: 20 },
          // Every batch payment is netted; those over the cap are then unwound (NETTED → UNWOUND → REJECTED, one row each).
          { from_state: 'ACCEPTED', to_state: 'NETTED', cause: `cycle ${cycleId} netted`, n: settledIds.length + rejectedIds.length },
          { from_state: 'NETTED', to_state: 'SETTLED', cause: `cycle ${cycleId} settled`, n: settledIds.length },
        ]);
        const perPayment = await h.engine.storeForTests().query("SELECT id FROM payment_transitions WHERE to_state IN ('ACCEPTED', 'NETTED', 'SETTLED')");
        assert.deepEqual(perPayment, [], 'no per-payment rows for what was recorded per file and per cycle');

        const viewRows = await h.engine.storeForTests().query<{ id: bigint; payment_id: bigint; from_state: string | null; to_state: string; cause: string;
          reason_code: string | null; at: Date }>('SELECT id, payment_id, from_state, to_state, cause, reason_code, at FROM payment_history ORDER BY payment_id, id');
        for (const p of payments) {
          const history = await paymentHistory(h.engine.storeForTests(), p.id);
          const steps = history.map((t) => `${t.fromState}>${t.toState}`);
          assert.equal(history[0]!.cause, `accepted into cycle ${cycleId}`);
          if (p.state === 'SETTLED') {
            assert.deepEqual(steps, ['RECEIVED>ACCEPTED', 'ACCEPTED>NETTED', 'NETTED>SETTLED'], `payment ${p.id}`);
            assert.equal(history[1]!.cause, `cycle ${cycleId} netted`);
            assert.equal(history[2]!.cause, `cycle ${cycleId} settled`);
          } else {
            assert.deepEqual(steps, ['RECEIVED>ACCEPTED', 'ACCEPTED>NETTED', 'NETTED>UNWOUND', 'UNWOUND>REJECTED'], `payment ${p.id}`);
            assert.ok(history.slice(2).every((t) => t.reasonCode === 'AM23'));
          }
          for (const t of history) assert.ok(t.at instanceof Date && !Number.isNaN(t.at.getTime()), 'each transition has its time');
          for (let i = 1; i < history.length; i++) assert.ok(history[i]!.at >= history[i - 1]!.at, 'in time order');
          // The view gives the same history.
          assert.deepEqual(viewRows.filter((r) => r.payment_id === p.id).map((r) => ({ id: r.id, fromState: r.from_state, toState: r.to_state,
            cause: r.cause, reasonCode: r.reason_code, at: r.at })), history);
        }
      } finally {
        await h.close();
      }
    });

    it('netting and settlement change no indexed value of a batch payment: no index of payments names state, the netting update is all HOT', async () => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        const db = h.engine.storeForTests();
        // Migration 032: no index of payments has `state` in its keys, expressions or predicate
        // (pending_state stands for the waiting states), and its pages keep room for a new row version.
        const indexes = await db.query<{ name: string; def: string }>(
          `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'payments'::regclass ORDER BY c.relname`);
        assert.ok(indexes.some((i) => i.name === 'payments_queue') && indexes.some((i) => i.name === 'payments_held'));
        for (const i of indexes) assert.doesNotMatch(i.def, /(?<![a-z_])state\b/, `${i.name} names state: ${i.def}`);
        const [table] = await db.query<{ options: string[] | null }>("SELECT reloptions AS options FROM pg_class WHERE oid = 'payments'::regclass");
        assert.deepEqual(table!.options, ['fillfactor=50']);

        // The netting step's update of a cycle's 300 batch payments, counted inside its transaction
        // (then rolled back): every row updated HOT, no index entry written.
        await submitted(h, 0, bulk(0, 300, 71, [1, 2]));
        const [cycle] = await db.query<{ id: bigint }>('SELECT DISTINCT cycle_id AS id FROM payments');
        const rollback = new Error('rollback');
        let counted: { upd: number; hot: number } | undefined;
        await assert.rejects(db.transaction(async (tx) => {
          const moved = await transitionPayments(tx, { event: 'NET', to: 'NETTED', select: { cycleId: cycle!.id, mode: 'batch' }, cause: 'test', record: 'set' });
          assert.equal(moved.get('ACCEPTED'), 300);
          [counted] = await tx.query<{ upd: number; hot: number }>(
            "SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_xact_user_tables WHERE relid = 'payments'::regclass");
          throw rollback;
        }), (e) => e === rollback);
        assert.deepEqual(counted, { upd: 300, hot: 300 });

        // The waiting states still read through their partial indexes, by pending_state.
        await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          const plan = async (sql: string): Promise<string> => (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
          assert.match(await plan("SELECT id FROM payments WHERE debtor_agent = 'B' AND currency = 'EUR' AND pending_state = 'QUEUED' ORDER BY sequence"), /payments_queue/);
          assert.match(await plan("SELECT id FROM payments WHERE pending_state = 'HELD' AND mode = 'realtime' AND confirm_by < now()"), /payments_held/);
        });
        const [consistent] = await db.query<{ n: number }>(
          "SELECT COUNT(*)::int AS n FROM payments WHERE pending_state IS DISTINCT FROM (CASE WHEN state IN ('RECEIVED', 'HELD', 'RESERVED', 'QUEUED') THEN state END)");
        assert.equal(consistent!.n, 0);
        await h.closeAndSettle();
        // Migration 037: netting and settlement wrote none of them; stored ACCEPTED, they are SETTLED by their cycle.
        const states = await db.query<{ state: string; stored: string; pending: string | null; n: number }>(
          'SELECT state, stored_state AS stored, pending_state AS pending, COUNT(*)::int AS n FROM payments_effective GROUP BY 1, 2, 3');
        assert.deepEqual(states, [{ state: 'SETTLED', stored: 'ACCEPTED', pending: null, n: 300 }]);
      } finally {
        await h.close();
      }
    });

    it('migration 005: moves the XML of payments still to deliver, checks references per statement, keeps indexes usable', async () => {
      const db = await openMigratedTo4(backend);
      try {
        // Before 005: one batch payment in an open cycle, one in a settled cycle, XML inline.
        await db.query("INSERT INTO participants (bic, name, status) VALUES ('BANKDEFFXXX', 'A', 'active'), ('BANKFRPPXXX', 'B', 'active')");
        await db.query("INSERT INTO cycles (id, business_date, sequence, state) VALUES (1, '2026-11-25', 1, 'SETTLED'), (2, '2026-11-26', 1, 'OPEN')");
        await db.query("INSERT INTO messages (id, direction, participant, sha256, size_bytes, bytes) VALUES (1, 'in', 'BANKDEFFXXX', 'x', 1, '\\x00'::bytea)");
        for (const [id, cycle] of [[1, 1], [2, 2]] as const) {
          await db.query(`INSERT INTO payments (id, message_id, transaction_index, kind, mode, transaction_id, uetr, instructing_agent, debtor_agent, creditor_agent,
              currency, amount_minor, state, cycle_id, transaction_xml)
            VALUES ($1::bigint, 1, $1::int, 'CREDIT', 'batch', $2, NULL, 'BANKDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', 'EUR', 100, $3, $4, $5)`,
          [id, `TX${id}`, cycle === 1 ? 'SETTLED' : 'ACCEPTED', cycle, `<CdtTrfTxInf>${id}</CdtTrfTxInf>`]);
          await db.query("INSERT INTO payment_transitions (payment_id, from_state, to_state, cause) VALUES ($1, 'RECEIVED', 'ACCEPTED', 'test')", [id]);
        }
        assert.deepEqual(await migrate(db), [...migrations().map((m) => m.version).filter((v) => v >= 5)]);
        assert.deepEqual(await db.query('SELECT payment_id, transaction_xml FROM payment_xml ORDER BY payment_id'),
          [{ payment_id: 2n, transaction_xml: '<CdtTrfTxInf>2</CdtTrfTxInf>' }], 'the undelivered payment\'s XML moved');
        assert.deepEqual(await db.query('SELECT id, transaction_xml FROM payments ORDER BY id'),
          [{ id: 1n, transaction_xml: '<CdtTrfTxInf>1</CdtTrfTxInf>' }, { id: 2n, transaction_xml: null }], 'the delivered one kept its XML');

        // References checked per statement, as the foreign key did per row.
        await rejectsWith(db.query("INSERT INTO payment_transitions (payment_id, from_state, to_state, cause) VALUES (99, 'RECEIVED', 'ACCEPTED', 'x')"), '23503');
        await rejectsWith(db.query("INSERT INTO payment_xml (payment_id, transaction_xml) VALUES (99, '<x/>')"), '23503');
        await rejectsWith(db.query('DELETE FROM payments WHERE id = 1'), '23503');
        await rejectsWith(db.query('UPDATE payments SET id = 7 WHERE id = 2'), '23503');
        // Only a credit transfer may keep its XML elsewhere (in its inbound message: batch since 005, real-time since 036); a return keeps its own.
        await rejectsWith(db.query(`INSERT INTO payments (message_id, transaction_index, kind, mode, instructing_agent, debtor_agent, creditor_agent,
          currency, amount_minor, state) VALUES (1, 9, 'RETURN', 'batch', 'BANKDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', 'EUR', 1, 'RECEIVED')`), '23514');
        await assert.rejects(db.transaction(async (tx) => {
          await tx.query(`INSERT INTO payments (id, message_id, transaction_index, kind, mode, instructing_agent, debtor_agent, creditor_agent,
            currency, amount_minor, state) VALUES (100, 1, 9, 'CREDIT', 'realtime', 'BANKDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', 'EUR', 1, 'RECEIVED')`);
          throw new Error('accepted, rolled back');
        }), /accepted, rolled back/);
        await db.query("INSERT INTO payment_transitions (payment_id, from_state, to_state, cause) VALUES (2, 'ACCEPTED', 'NETTED', 'ok')");
        await db.query("UPDATE payments SET state = 'NETTED' WHERE id = 2");

        // The partial indexes serve the queries that used them (the predicate follows from the query).
        await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          const plan = async (sql: string): Promise<string> => (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
          assert.match(await plan("SELECT id FROM payments WHERE pending_state = 'RESERVED' AND confirm_by < now()"), /payments_state/);
          assert.match(await plan("SELECT id FROM payments WHERE pending_state = 'QUEUED' ORDER BY sequence"), /payments_(state|queue)/);
          assert.match(await plan("SELECT id FROM payments WHERE forwarded_message_id = 'M1' AND creditor_agent = 'B' AND state = 'RESERVED'"), /payments_forwarded/);
          assert.match(await plan("SELECT id FROM payments WHERE uetr = 'u'"), /payments_by_uetr/);
        });
        // UETRs are random: a hash index takes each payment's entry without a b-tree's random leaf (migration 038).
        const [uetrIndex] = await db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'payments_by_uetr'");
        assert.match(uetrIndex!.indexdef, /USING hash \(uetr\) WHERE \(uetr IS NOT NULL\)/);

        // lz4 for message bytes where the server has it (PostgreSQL built with lz4); pglz otherwise (PGlite).
        const [lz4] = await db.query<{ available: boolean }>(
          "SELECT 'lz4' = ANY (enumvals) AS available FROM pg_settings WHERE name = 'default_toast_compression'");
        const [column] = await db.query<{ compression: string }>(
          "SELECT attcompression::text AS compression FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = 'bytes'");
        assert.equal(column!.compression, lz4?.available ? 'l' : '');
        // And the long arrays written once per cycle (migration 045): a step's set of payment ids, a bulk file's composition.
        const arrays = await db.query<{ name: string; compression: string }>(
          `SELECT attrelid::regclass::text || '.' || attname AS name, attcompression::text AS compression FROM pg_attribute
            WHERE (attrelid = 'payment_transition_sets'::regclass AND attname = 'payment_ids')
               OR (attrelid = 'message_compositions'::regclass AND attname IN ('sources', 'starts', 'ends', 'plain')) ORDER BY 1`);
        assert.deepEqual(arrays.map((a) => [a.name, a.compression]), ['message_compositions.ends', 'message_compositions.plain', 'message_compositions.sources',
          'message_compositions.starts', 'payment_transition_sets.payment_ids'].map((name) => [name, lz4?.available ? 'l' : '']));
      } finally {
        await db.close();
      }
    });

    it('migration 044: payments and keys refer to their message and cycle through checks per statement, as the foreign keys did per row', async () => {
      const db = await openDatabase(backend === 'postgres' ? { url: await freshPostgresUrl(), poolSize: 1 } : {});
      try {
        await migrate(db);
        await db.query("INSERT INTO participants (bic, name, status) VALUES ('BANKDEFFXXX', 'A', 'active'), ('BANKFRPPXXX', 'B', 'active')");
        await db.query("INSERT INTO cycles (id, business_date, sequence, state) VALUES (1, '2026-11-26', 1, 'OPEN')");
        await db.query("INSERT INTO messages (id, direction, participant, sha256, size_bytes, bytes) VALUES (1, 'in', 'BANKDEFFXXX', 'x', 1, '\\x00'::bytea)");
        const payment = (id: number, message: number, cycle: number | null): string => `(${id}, ${message}, ${id}, 'CREDIT', 'batch', 'TX${id}',
          'BANKDEFFXXX', 'BANKDEFFXXX', 'BANKFRPPXXX', 'EUR', 100, 'ACCEPTED', ${cycle ?? 'NULL'})`;
        const insertPayments = (...rows: string[]): Promise<unknown> => db.query(`INSERT INTO payments (id, message_id, transaction_index, kind, mode,
          transaction_id, instructing_agent, debtor_agent, creditor_agent, currency, amount_minor, state, cycle_id) VALUES ${rows.join(', ')}`);
        // The per-row keys are gone (each was an SPI lookup and a KEY SHARE lock per payment and per key).
        const keys = await db.query<{ name: string }>(`SELECT conname AS name FROM pg_constraint
          WHERE contype = 'f' AND conrelid IN ('payments'::regclass, 'idempotency_keys'::regclass) AND confrelid IN ('messages'::regclass, 'cycles'::regclass)`);
        assert.deepEqual(keys, []);
        // Every row of a statement is checked, not only its first.
        await rejectsWith(insertPayments(payment(1, 1, 1), payment(2, 99, 1)), '23503');
        await rejectsWith(insertPayments(payment(1, 1, 1), payment(2, 1, 99)), '23503');
        await rejectsWith(db.query("INSERT INTO idempotency_keys (kind, scope, key, message_id) VALUES ('TX', 'BANKDEFFXXX', 'a', 1), ('TX', 'BANKDEFFXXX', 'b', 99)"), '23503');
        await insertPayments(payment(1, 1, 1), payment(2, 1, null));
        await db.query("INSERT INTO idempotency_keys (kind, scope, key, message_id) VALUES ('TX', 'BANKDEFFXXX', 'TX1', 1), ('TX', 'BANKDEFFXXX', 'TX2', 1)");
        // A changed reference is checked (a warehoused payment joining a cycle), and so is a cycle's removal or new id (messages are immutable).
        await rejectsWith(db.query('UPDATE payments SET cycle_id = 99 WHERE id = 2'), '23503');
        await db.query('UPDATE payments SET cycle_id = 1 WHERE id = 2');
        await rejectsWith(db.query('UPDATE payments SET message_id = 99 WHERE id = 2'), '23503');
        await rejectsWith(db.query("UPDATE idempotency_keys SET message_id = 99 WHERE key = 'TX1'"), '23503');
        await rejectsWith(db.query('DELETE FROM cycles WHERE id = 1'), '23503');
        await rejectsWith(db.query('UPDATE cycles SET id = 7 WHERE id = 1'), '23503');
        await db.query('DELETE FROM payments');
        await db.query('DELETE FROM cycles WHERE id = 1');
      } finally {
        await db.close();
      }
    });
  });
}

async function rejectsWith(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.equal(errorCode(error), code, (error as Error).message);
    return true;
  });
}

/** A fresh database with migrations 001–004 applied and recorded, as a switch had it before 005. */
async function openMigratedTo4(backend: Backend): Promise<Database> {
  const db = await openDatabase(backend === 'postgres' ? { url: await freshPostgresUrl(), poolSize: 1 } : {});
  await db.transaction(async (tx) => {
    await tx.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const m of migrations().filter((m) => m.version <= 4)) {
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)', [m.version, m.name, m.sha256]);
    }
  });
  return db;
}
