/**
 * Business-day close (issue 13): after the roll, once the day's last cycle settled, the day is closed
 * once: a camt.053 per participant (valid against the scheme XSD and the official one) whose closing
 * balance is its opening balance plus its entries and whose settlement entries are the cycles' settled
 * net positions, then an admi.004 DCLS to every participant; closing again (concurrently, later, after
 * a restart) produces nothing; the closed day's cycles cannot change. On PGlite and PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parseCamt053, type Camt053 } from '../../switch/iso/messages/camt.053.001.08/index.ts';
import { parseXml as parseAdmi004 } from '../../switch/iso/messages/admi.004.001.02/index.ts';
import { parseAmount } from '../../switch/iso/amount.ts';
import { officialSchemaErrors, officialSchemaMissing } from '../iso/official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { statementDocument } from '../../switch/engine/statements.ts';
import type { EngineContext } from '../../switch/engine/context.ts';
import { backends, BANKS, harness, schemeConfig, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

async function send(h: Harness, senderIndex: number, seed: number, receivers: number[]): Promise<void> {
  const sender = DEMO_BANKS[senderIndex]!;
  const model = bulkCreditTransfer({
    seed, sender, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: 8, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${sender.bic.slice(0, 8)}-M${seed}`,
  });
  assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: sender.bic })).status, 'ACCP');
}

function files(h: Harness, bic: string, type: string): string[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith(type)).sort();
}

const minor = (value: string, currency: string): bigint => {
  const parsed = parseAmount(value, currency);
  assert.ok(parsed.ok, value);
  return parsed.minor;
};
const signed = (amount: { value: string; currency: string }, cd: string): bigint => (cd === 'DBIT' ? -1n : 1n) * minor(amount.value, amount.currency);

for (const backend of backends) {
  describe(`business-day close on ${backend}`, () => {
    it('closes the rolled day once its cycles settled: statements that add up, then DCLS; never twice; the day unchangeable', async (t) => {
      const h = await harness(backend, schemeConfig(), xsd);
      try {
        assert.deepEqual(BANKS.slice(0, 3), DEMO_BANKS.slice(0, 3).map((b) => b.bic));
        await send(h, 0, 41, [1, 2]);
        await send(h, 1, 42, [0, 2]);
        const first = (await h.closeAndSettle())!;
        await send(h, 2, 43, [0, 1]);
        const second = (await h.closeAndSettle())!;
        // Not rolled yet: nothing closes, whatever is asked.
        assert.deepEqual(await h.engine.closeBusinessDays(), []);
        assert.equal(files(h, BANKS[0], 'camt.053').length, 0);

        // The roll: midnight UTC. The cut-off at the roll cuts the day's last (empty) cycle; the day closes.
        h.clock.set('2026-11-27T00:00:01Z');
        await h.closeAndSettle();
        await h.dispatch();
        const positions = new Map<string, bigint>();
        for (const cycle of [first, second]) {
          for (const p of (await h.engine.positions(cycle))!.positions) positions.set(`${cycle}|${p.bic}`, p.net_minor);
        }

        const documents: { name: string; xml: string }[] = [];
        for (const bic of BANKS.slice(0, 3)) {
          const statements = files(h, bic, 'camt.053');
          const xml = h.mailboxes.read(bic, 'outbound', statements[0]!).toString('utf8');
          documents.push({ name: `${backend}-${bic}`, xml });
          assert.deepEqual(await xsd.validateOne('camt.053.001.08', encoder.encode(xml)), [], `${bic}: scheme XSD`);
          const message: Camt053 = parseCamt053(xml);
          assert.deepEqual(message.groupHeader.recipient, { anyBic: bic });
          assert.deepEqual(message.groupHeader.pagination, { pageNumber: '1', lastPage: true });
          const statement = message.statements[0]!;
          const balance = (code: string) => {
            const b = statement.balances.find((x) => 'code' in x.type && x.type.code === code)!;
            assert.deepEqual(b.date, { date: '2026-11-26' });
            return signed(b.amount, b.creditDebit);
          };
          const entries = statement.entries.reduce((sum, e) => sum + signed(e.amount, e.creditDebit), 0n);
          assert.equal(balance('CLBD'), balance('OPBD') + entries, `${bic}: closing = opening + entries`);
          assert.equal(balance('OPBD'), 0n, 'the first day opens at zero');
          assert.equal(balance('CLBD'), 0n, 'every cycle settled: the position is back at zero');
          // Per cycle, the payments' net is the settled net position, and the pacs.009 entry offsets it.
          for (const cycle of [first, second]) {
            const settlement = statement.entries.filter((e) => e.reference?.startsWith(`C${cycle}-`));
            const settled = settlement.reduce((sum, e) => sum + signed(e.amount, e.creditDebit), 0n);
            assert.equal(-settled, positions.get(`${cycle}|${bic}`) ?? 0n, `${bic} cycle ${cycle}: the settlement entry is minus its net position`);
          }
          const paymentCount = statement.entries.filter((e) => e.reference?.startsWith('P')).length;
          assert.ok(paymentCount > 0, `${bic} has payment entries`);
          assert.equal(statement.summary?.total?.count, String(statement.entries.length));
        }
        for (const bic of BANKS) assert.equal(files(h, bic, 'camt.053').length, 1, `${bic}: one camt.053`);
        for (const bic of BANKS.slice(3)) {
          const xml = h.mailboxes.read(bic, 'outbound', files(h, bic, 'camt.053')[0]!).toString('utf8');
          documents.push({ name: `${backend}-${bic}`, xml });
          const statement = parseCamt053(xml).statements[0]!;
          assert.equal(statement.entries.length, 0, `${bic} had no traffic: a statement without entries`);
        }
        if (!requireOrSkip(t, officialSchemaMissing('camt.053.001.08'))) {
          assert.deepEqual(await officialSchemaErrors('camt.053.001.08', documents), []);
        }

        // Every participant told, after its statement.
        for (const bic of BANKS) {
          const events = files(h, bic, 'admi.004').map((f) => ({ f, m: parseAdmi004(h.mailboxes.read(bic, 'outbound', f).toString('utf8')) }))
            .filter((e) => e.m.event.code === 'DCLS');
          assert.equal(events.length, 1, `${bic}: one DCLS`);
          assert.deepEqual(events[0]!.m.event.parameters, ['2026-11-26', '3', '1']);
        }

        // The same statement streamed (a file: bounded memory, keyset batches of 3 rows here) says the same.
        const context = (h.engine as unknown as { context: EngineContext }).context;
        let streamed = '';
        for await (const chunk of statementDocument(context.db, { businessDate: '2026-11-26', bic: BANKS[0], currency: 'EUR',
          switchBic: context.switchBic, messageId: 'STREAMED-1', createdAt: '2026-11-27T00:00:01Z', batchRows: 3 })) streamed += chunk;
        const delivered = parseCamt053(h.mailboxes.read(BANKS[0], 'outbound', files(h, BANKS[0], 'camt.053')[0]!).toString('utf8'));
        const fromStream = parseCamt053(streamed);
        assert.ok(fromStream.statements[0]!.entries.length > 3, 'several batches');
        assert.deepEqual({ ...fromStream.statements[0]!, creationDateTime: '' }, { ...delivered.statements[0]!, creationDateTime: '' });
        assert.deepEqual(await xsd.validateOne('camt.053.001.08', encoder.encode(streamed)), []);

        // Never twice: asked again, concurrently, by a sweep.
        const again = await Promise.all([h.engine.closeBusinessDays(), h.engine.closeBusinessDays()]);
        assert.deepEqual(again, [[], []]);
        await h.engine.sweep();
        await h.dispatch();
        for (const bic of BANKS) assert.equal(files(h, bic, 'camt.053').length, 1, `${bic}: still one statement`);

        // The closed day cannot change.
        const db = (h.engine as unknown as { context: { db: { query(sql: string, p?: unknown[]): Promise<unknown> } } }).context.db;
        await assert.rejects(db.query("UPDATE cycles SET state = 'NETTED' WHERE id = $1", [first]), /business day 2026-11-26 is closed/);
        await assert.rejects(db.query('DELETE FROM settlement_instructions WHERE cycle_id = $1', [first]), /business day 2026-11-26 is closed/);
        await assert.rejects(db.query("INSERT INTO cycles (business_date, sequence, state) VALUES ('2026-11-26', 99, 'SETTLED')"),
          /business day 2026-11-26 is closed/);
      } finally {
        await h.close();
      }
    });
  });
}

