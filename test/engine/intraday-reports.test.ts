/**
 * Periodic camt.052 (issue 13, config intradayReports): the configuration is checked with clear
 * problems; within the business hours each subscribing participant gets one camt.052 per currency and
 * slot through its connector (valid against the scheme XSD and the official one, with its position),
 * never a second for the same slot however often or concurrently the sweep runs, nothing outside the
 * hours or on a weekend, and after downtime only the current slot (no catch-up). On PGlite and
 * PostgreSQL; on PostgreSQL two engines on one store race for the same slot and one report goes out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { Engine } from '../../switch/engine/engine.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { parseXml as parseCamt052 } from '../../switch/iso/messages/camt.052.001.08/index.ts';
import { formatAmount } from '../../switch/iso/amount.ts';
import { checkConfig, ConfigError, type SchemeConfig } from '../../switch/config.ts';
import { intradaySlot } from '../../switch/engine/intraday-reports.ts';
import { officialSchemaErrors, officialSchemaMissing } from '../iso/official-xsd.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { backends, BANKS, freshPostgresUrl, harness, schemeConfig, TestClock, type Harness } from './support.ts';

const encoder = new TextEncoder();
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

const SUBSCRIBERS = [BANKS[0], BANKS[1]];
function config(intradayReports: unknown = { intervalMinutes: 15, from: '08:00', to: '18:00', participants: SUBSCRIBERS }): SchemeConfig {
  return checkConfig({ ...schemeConfig(), intradayReports });
}

function problemsOf(intradayReports: unknown): string[] {
  try {
    config(intradayReports);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail('the configuration was accepted');
}

function reports(h: Harness, bic: string): string[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith('camt.052')).sort();
}

describe('intradayReports configuration', () => {
  it('accepts a valid block (participants optional) and names every bad value', () => {
    assert.deepEqual(config().intradayReports, { intervalMinutes: 15, from: '08:00', to: '18:00', participants: SUBSCRIBERS });
    assert.deepEqual(config({ intervalMinutes: 60, from: '00:00', to: '24:00' }).intradayReports, { intervalMinutes: 60, from: '00:00', to: '24:00' });
    assert.deepEqual(problemsOf('hourly'), ['intradayReports: an object { intervalMinutes, from, to, participants? } is required']);
    assert.deepEqual(problemsOf({ intervalMinutes: 2, from: '08:00', to: '18:00' }),
      ['intradayReports.intervalMinutes: 2 must be a whole number of minutes from 5 to 1440']);
    assert.deepEqual(problemsOf({ intervalMinutes: 7.5, from: '08:00', to: '18:00' }),
      ['intradayReports.intervalMinutes: 7.5 must be a whole number of minutes from 5 to 1440']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '8:00', to: '18:00' }), ['intradayReports.from: "8:00" must be a local time "HH:MM"']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '18:00', to: '08:00' }), ['intradayReports.to: 08:00 must be after from (18:00)']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '08:00', to: '25:00' }), ['intradayReports.to: "25:00" must be a local time "HH:MM" (or "24:00")']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '08:00', to: '18:00', participants: ['BANKXXXXXXX'] }),
      ['intradayReports.participants[0]: BANKXXXXXXX is not a participant']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '08:00', to: '18:00', participants: [] }),
      ['intradayReports.participants: a non-empty list of participant BICs is required (leave it out for every participant)']);
    assert.deepEqual(problemsOf({ intervalMinutes: 15, from: '08:00', to: '18:00', every: 'day' }),
      ['intradayReports.every: unknown field (known: intervalMinutes, from, to, participants)']);
  });

  it('slots start at from + k × interval local time, only on business days within the hours', () => {
    const calendar = { timeZone: 'Europe/Berlin', cycleDayRollTime: '24:00', holidays: ['2026-12-24'], weekendDays: [6, 0] };
    const hours = { intervalMinutes: 45, from: '08:30', to: '17:00' };
    // 10:14 in Berlin (UTC+1): slots 08:30, 09:15, 10:00 → 10:00 local = 09:00Z.
    assert.deepEqual(intradaySlot(new Date('2026-11-26T09:14:00Z'), calendar, hours), { date: '2026-11-26', start: new Date('2026-11-26T09:00:00Z') });
    assert.equal(intradaySlot(new Date('2026-11-26T07:29:59Z'), calendar, hours), undefined, '08:29 local: before the hours');
    assert.deepEqual(intradaySlot(new Date('2026-11-26T15:59:59Z'), calendar, hours)?.start, new Date('2026-11-26T15:45:00Z'), '16:59 local: the 16:45 slot');
    assert.equal(intradaySlot(new Date('2026-11-26T16:00:00Z'), calendar, hours), undefined, '17:00 local: after the hours');
    assert.equal(intradaySlot(new Date('2026-11-28T10:00:00Z'), calendar, hours), undefined, 'Saturday');
    assert.equal(intradaySlot(new Date('2026-12-24T10:00:00Z'), calendar, hours), undefined, 'a holiday');
  });
});

for (const backend of backends) {
  describe(`periodic camt.052 on ${backend}`, () => {
    it('one report per subscriber, currency and slot, within the hours; no catch-up after downtime', async (t) => {
      const h = await harness(backend, config(), xsd, '2026-11-26T07:59:00Z');
      try {
        const model = bulkCreditTransfer({ seed: 9, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 4,
          settlementDate: '2026-11-26', createdAt: '2026-11-26T07:00:00Z', messageId: `${BANKS[0].slice(0, 8)}-M9` });
        assert.equal((await h.engine.submit({ bytes: encoder.encode(buildPacs008(model)), sender: BANKS[0] })).status, 'ACCP');
        const sent = model.transactions.reduce((sum, tx) => sum + BigInt(tx.interbankSettlementAmount.value.replace('.', '')), 0n);

        await h.engine.sweep();
        await h.dispatch();
        for (const bic of BANKS) assert.equal(reports(h, bic).length, 0, `${bic}: 07:59, before the hours`);

        h.clock.set('2026-11-26T09:07:00Z');
        await Promise.all([h.engine.sweep(), h.engine.sendIntradayReports(), h.engine.sendIntradayReports()]);
        await h.engine.sweep();
        await h.dispatch();
        const documents: { name: string; xml: string }[] = [];
        for (const [i, bic] of SUBSCRIBERS.entries()) {
          const files = reports(h, bic);
          assert.equal(files.length, 1, `${bic}: one report for the 09:00 slot`);
          const xml = h.mailboxes.read(bic, 'outbound', files[0]!).toString('utf8');
          documents.push({ name: `${backend}-${bic}`, xml });
          assert.deepEqual(await xsd.validateOne('camt.052.001.08', encoder.encode(xml)), [], `${bic}: scheme XSD`);
          const message = parseCamt052(xml);
          assert.deepEqual(message.groupHeader.recipient, { anyBic: bic });
          const report = message.reports[0]!;
          assert.deepEqual(report.account.id, { other: `${bic}-EUR-SETTLEMENT` });
          const itbd = report.balances.find((b) => 'code' in b.type && b.type.code === 'ITBD')!;
          assert.deepEqual([itbd.amount.value, itbd.creditDebit], [formatAmount(sent, 'EUR'), i === 0 ? 'DBIT' : 'CRDT'], `${bic}: its net position`);
          assert.deepEqual(itbd.date, { date: '2026-11-26' });
        }
        for (const bic of BANKS.slice(2)) assert.equal(reports(h, bic).length, 0, `${bic} did not subscribe`);
        if (!requireOrSkip(t, officialSchemaMissing('camt.052.001.08'))) {
          assert.deepEqual(await officialSchemaErrors('camt.052.001.08', documents), []);
        }

        h.clock.set('2026-11-26T09:14:59Z');
        await h.engine.sweep();
        await h.dispatch();
        for (const bic of SUBSCRIBERS) assert.equal(reports(h, bic).length, 1, `${bic}: still the 09:00 slot`);

        // Down from 09:15 to 11:40: the 09:15 … 11:15 slots are gone; only 11:30's report is sent.
        h.clock.set('2026-11-26T11:40:00Z');
        await h.engine.sweep();
        await h.dispatch();
        for (const bic of SUBSCRIBERS) assert.equal(reports(h, bic).length, 2, `${bic}: the current slot only`);
        const slots = await h.engine.storeForTests().query<{ bic: string; slot_start: Date; message_id: string }>(
          'SELECT bic, slot_start, message_id FROM intraday_report_slots ORDER BY slot_start, bic');
        assert.deepEqual(slots.map((s) => [s.bic, new Date(s.slot_start).toISOString()]), [
          [BANKS[0], '2026-11-26T09:00:00.000Z'], [BANKS[1], '2026-11-26T09:00:00.000Z'],
          [BANKS[0], '2026-11-26T11:30:00.000Z'], [BANKS[1], '2026-11-26T11:30:00.000Z'],
        ]);
        assert.ok(slots.every((s) => /^CLHSDEFF/.test(s.message_id)), 'each slot row names its message');

        h.clock.set('2026-11-26T18:00:00Z');
        await h.engine.sweep();
        h.clock.set('2026-11-28T10:00:00Z');
        await h.engine.sweep();
        await h.dispatch();
        for (const bic of SUBSCRIBERS) assert.equal(reports(h, bic).length, 2, `${bic}: nothing at 18:00 nor on Saturday`);
      } finally {
        await h.close();
      }
    });
  });
}

describe('periodic camt.052 with two engines on one PostgreSQL', () => {
  it('two engines racing for the same slot send one report per participant and currency', async () => {
    const url = await freshPostgresUrl();
    const scheme = config({ intervalMinutes: 5, from: '08:00', to: '18:00' });
    const clock = new TestClock('2026-11-26T10:02:00Z');
    const first = await Engine.open({ config: scheme, databaseUrl: url, clock, xsd });
    const second = await Engine.open({ config: scheme, databaseUrl: url, clock, xsd });
    try {
      const results = await Promise.all([first.sendIntradayReports(), second.sendIntradayReports(),
        first.sendIntradayReports(), second.sendIntradayReports()]);
      const sent = results.flatMap((r) => r.sent.map((s) => s.bic)).sort();
      assert.deepEqual(sent, [...BANKS].sort(), 'every participant (none listed: all), each once');
      const queued = await first.storeForTests().query<{ participant: string; n: number }>(
        "SELECT participant, COUNT(*)::int AS n FROM messages WHERE direction = 'out' AND message_type = 'camt.052.001.08' GROUP BY participant ORDER BY participant");
      assert.deepEqual(queued.map((q) => [q.participant, q.n]), [...BANKS].sort().map((b) => [b, 1]));
    } finally {
      await first.close();
      await second.close();
    }
  });
});
