/**
 * Every date the switch computes or emits follows the business calendar, under fixed clocks: the demo
 * scheme's (Frankfurt, the business day rolls at 16:00, cut-offs 10:00 / 13:00 / 16:00, weekends and
 * TARGET holidays closed). The instants cover a weekend, a holiday (Christmas), the second before and
 * at the roll, and both daylight-saving changes. What is checked is what participants and the
 * settlement agent see: the answers to their files (DT05), and the IntrBkSttlmDt of the pacs.009
 * settlement instructions and of the bulk and real-time pacs.008, the booking and value dates of the
 * camt.054 (docs/scheme-rules.md, "Dates").
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { loadConfig, type SchemeConfig } from '../../switch/config.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { addDays } from '../../batch/calendar.ts';
import { root } from '../support/cli-workspace.ts';
import { AGENT, BANKS, harness, type Harness } from './support.ts';

const encoder = new TextEncoder();
const demoScheme = loadConfig(join(root, 'config', 'demo-scheme.json'));
let xsd: XsdValidator;
before(() => { xsd = new XsdValidator(); });
after(async () => { await xsd.close(); });

/** The cycle business date of an instant, and why (instants in UTC; Frankfurt is UTC+1, +2 in summer). */
const INSTANTS: ReadonlyArray<readonly [string, string, string]> = [
  ['2026-03-27T15:00:00Z', '2026-03-30', 'Friday 16:00 CET: the roll, over the weekend (clocks go forward on Sunday)'],
  ['2026-03-30T13:59:59Z', '2026-03-30', 'Monday 15:59:59 CEST, first business day of summer time'],
  ['2026-03-30T14:00:00Z', '2026-03-31', 'Monday 16:00:00 CEST: the roll, an hour earlier in UTC'],
  ['2026-10-23T13:59:59Z', '2026-10-23', 'Friday 15:59:59 CEST'],
  ['2026-10-23T14:00:00Z', '2026-10-26', 'Friday 16:00:00 CEST: the roll, over the weekend (clocks go back on Sunday)'],
  ['2026-10-25T00:30:00Z', '2026-10-26', 'Sunday 02:30 CEST, the first of the two 02:30s'],
  ['2026-10-26T14:59:59Z', '2026-10-26', 'Monday 15:59:59 CET, first business day of winter time'],
  ['2026-10-26T15:00:00Z', '2026-10-27', 'Monday 16:00:00 CET: the roll, an hour later in UTC'],
  ['2026-11-26T14:59:59Z', '2026-11-26', 'Thursday 15:59:59'],
  ['2026-11-26T15:00:00Z', '2026-11-27', 'Thursday 16:00:00: the roll'],
  ['2026-12-05T11:00:00Z', '2026-12-07', 'Saturday noon'],
  ['2026-12-05T23:30:00Z', '2026-12-07', 'Sunday 00:30, still Saturday in UTC'],
  ['2026-12-06T11:00:00Z', '2026-12-07', 'Sunday noon'],
  ['2026-12-24T14:59:59Z', '2026-12-24', 'Christmas Eve 15:59:59'],
  ['2026-12-24T15:00:00Z', '2026-12-28', 'Christmas Eve 16:00:00: the roll over two holidays and a Sunday'],
  ['2026-12-25T09:00:00Z', '2026-12-28', 'Christmas Day (a holiday) 10:00'],
];

function bulkFile(senderIndex: number, settlementDate: string | undefined, seed: number, options: { localInstrument?: string; receivers?: number[] } = {}): Uint8Array {
  const sender = DEMO_BANKS[senderIndex]!;
  const model = bulkCreditTransfer({
    seed, sender, receivers: (options.receivers ?? [0, 1, 2, 3, 4].filter((i) => i !== senderIndex)).map((i) => DEMO_BANKS[i]!),
    transactionCount: options.localInstrument ? 1 : 6, settlementDate: settlementDate ?? '2026-01-01', createdAt: '2026-11-26T09:00:00Z',
    messageId: `${sender.bic.slice(0, 8)}-DT${seed}`, maxAmountMinor: 100_000, localInstrument: options.localInstrument,
  });
  const groupHeader = settlementDate === undefined ? { ...model.groupHeader, interbankSettlementDate: undefined } : model.groupHeader;
  return encoder.encode(buildPacs008({ ...model, groupHeader }));
}

async function submit(h: Harness, senderIndex: number, file: Uint8Array) {
  return h.engine.submit({ bytes: file, sender: DEMO_BANKS[senderIndex]!.bic });
}

async function openCycleDate(h: Harness): Promise<string> {
  const open = (await h.engine.cycles()).find((c) => c.state === 'OPEN');
  assert.ok(open, 'a cycle is open');
  return open.businessDate;
}

/** Every `<tag>` value of the files of `type` delivered to `bic` (from its outbound/ mailbox). */
function delivered(h: Harness, bic: string, type: string, pattern: RegExp): string[] {
  return h.mailboxes.outbound(bic).filter((f) => f.startsWith(type))
    .flatMap((f) => [...h.mailboxes.read(bic, 'outbound', f).toString('utf8').matchAll(pattern)].map((m) => m[1]!));
}

const SETTLEMENT_DATE = /<IntrBkSttlmDt>([^<]+)<\/IntrBkSttlmDt>/g;
const BOOKING_DATE = /<BookgDt>\s*<Dt>([^<]+)<\/Dt>\s*<\/BookgDt>/g;
const VALUE_DATE = /<ValDt>\s*<Dt>([^<]+)<\/Dt>\s*<\/ValDt>/g;

/** Cut off now, deliver the instructions, and return the IntrBkSttlmDt of each pacs.009 before the agent takes them. */
async function cutOff(h: Harness): Promise<string[]> {
  assert.ok((await h.engine.closeCycle()) !== undefined, 'a cycle was cut off');
  await h.dispatch();
  return delivered(h, AGENT, 'pacs.009', SETTLEMENT_DATE);
}

async function settle(h: Harness): Promise<void> {
  for (let round = 0; round < 5 && (await h.agent.answerAll()) > 0; round++) await h.dispatch();
  const cycles = await h.engine.cycles();
  assert.ok(cycles.filter((c) => c.state !== 'OPEN').every((c) => c.state === 'SETTLED'), JSON.stringify(cycles, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
}

/** The dates every participant received after settlement: bulk pacs.008 headers and camt.054 entries. */
function participantDates(h: Harness): { bulk: string[]; booking: string[]; value: string[] } {
  return {
    bulk: BANKS.flatMap((bic) => delivered(h, bic, 'pacs.008', SETTLEMENT_DATE)),
    booking: BANKS.flatMap((bic) => delivered(h, bic, 'camt.054', BOOKING_DATE)),
    value: BANKS.flatMap((bic) => delivered(h, bic, 'camt.054', VALUE_DATE)),
  };
}

const only = (values: readonly string[]): string[] => [...new Set(values)];

describe('dates under fixed clocks (demo scheme: Frankfurt, roll 16:00, cut-offs 10:00/13:00/16:00)', () => {
  it('a cycle opened at each instant carries its business date; intake refuses the day before it (DT05) and takes it', async () => {
    const h = await harness('postgres', demoScheme, xsd, INSTANTS[0]![0]);
    try {
      let seed = 1;
      for (const [instant, businessDate, why] of INSTANTS) {
        h.clock.set(instant);
        await h.engine.closeCycle();
        assert.equal(await openCycleDate(h), businessDate, `cycle opened ${why} (${instant})`);
        const taken = await submit(h, 0, bulkFile(0, businessDate, seed++));
        assert.equal(taken.status, 'ACCP', `${why}: dated ${businessDate}: ${JSON.stringify(taken.report.findings)}`);
        const late = await submit(h, 1, bulkFile(1, addDays(businessDate, -1), seed++));
        assert.equal(late.status, 'RJCT', `${why}: dated the day before ${businessDate}`);
        assert.ok(late.report.findings.some((f) => f.code === 'DT05'), `${why}: DT05, got ${JSON.stringify(late.report.findings)}`);
      }
    } finally {
      await h.close();
    }
  });

  it('closed on a Sunday: instructions, bulk files and notifications carry Monday, the cycle\'s business date', async () => {
    const h = await harness('postgres', demoScheme, xsd, '2026-12-06T11:00:00Z'); // Sunday noon
    try {
      assert.equal(await openCycleDate(h), '2026-12-07');
      // A file dated the next business day is warehoused (test/engine/future-dated.test.ts): this
      // cycle's files and notices carry only the cycle's date.
      assert.equal((await submit(h, 1, bulkFile(1, '2026-12-08', 11))).status, 'ACCP');
      assert.equal((await submit(h, 0, bulkFile(0, '2026-12-07', 12))).status, 'ACCP');
      const instructed = await cutOff(h); // an ad-hoc close by the operator, on Sunday
      assert.ok(instructed.length > 0);
      assert.deepEqual(only(instructed), ['2026-12-07'], 'pacs.009 IntrBkSttlmDt');
      await settle(h);
      const dates = participantDates(h);
      assert.ok(dates.bulk.length > 0 && dates.booking.length > 0);
      assert.deepEqual(only(dates.bulk), ['2026-12-07'], 'bulk pacs.008 IntrBkSttlmDt');
      assert.deepEqual(only(dates.booking), ['2026-12-07'], 'camt.054 booking date');
      assert.deepEqual(only(dates.value), ['2026-12-07'], 'camt.054 value date');
    } finally {
      await h.close();
    }
  });

  const fridays = [
    { week: 'winter time', open: '2026-12-04T08:00:00Z', lastSecond: '2026-12-04T14:59:59Z', cutOff: '2026-12-04T15:00:00Z', answer: '2026-12-05T08:00:00Z', friday: '2026-12-04', monday: '2026-12-07' },
    { week: 'the clocks go back on Sunday', open: '2026-10-23T07:00:00Z', lastSecond: '2026-10-23T13:59:59Z', cutOff: '2026-10-23T14:00:00Z', answer: '2026-10-25T09:00:00Z', friday: '2026-10-23', monday: '2026-10-26' },
  ];
  for (const f of fridays) {
    it(`cut off at Friday 16:00 and settled at the weekend (${f.week}): every date is Friday's`, async () => {
      const h = await harness('postgres', demoScheme, xsd, f.open); // Friday 09:00
      try {
        assert.equal((await submit(h, 2, bulkFile(2, f.friday, 21))).status, 'ACCP');
        h.clock.set(f.lastSecond); // Friday 15:59:59: still Friday's business day
        assert.equal((await submit(h, 4, bulkFile(4, f.friday, 22, { receivers: [2] }))).status, 'ACCP');
        h.clock.set(f.cutOff); // Friday 16:00:00, the last cut-off and the roll
        assert.deepEqual(only(await cutOff(h)), [f.friday], 'pacs.009 IntrBkSttlmDt');
        assert.equal(await openCycleDate(h), f.monday, 'the next cycle is Monday\'s');
        h.clock.set(f.answer); // the settlement agent answers at the weekend
        await settle(h);
        const dates = participantDates(h);
        assert.deepEqual(only(dates.bulk), [f.friday], 'bulk pacs.008 IntrBkSttlmDt');
        assert.deepEqual(only(dates.booking), [f.friday], 'camt.054 booking date');
        assert.deepEqual(only(dates.value), [f.friday], 'camt.054 value date');
      } finally {
        await h.close();
      }
    });
  }

  it('closed on Christmas Day: every date is the next business day, 28 December', async () => {
    const h = await harness('postgres', demoScheme, xsd, '2026-12-24T15:00:00Z'); // Christmas Eve 16:00
    try {
      assert.equal(await openCycleDate(h), '2026-12-28');
      assert.equal((await submit(h, 3, bulkFile(3, '2026-12-28', 31, { receivers: [0, 1] }))).status, 'ACCP');
      h.clock.set('2026-12-25T09:00:00Z');
      assert.deepEqual(only(await cutOff(h)), ['2026-12-28'], 'pacs.009 IntrBkSttlmDt');
      await settle(h);
      const dates = participantDates(h);
      assert.deepEqual(only(dates.bulk), ['2026-12-28'], 'bulk pacs.008 IntrBkSttlmDt');
      assert.deepEqual(only([...dates.booking, ...dates.value]), ['2026-12-28'], 'camt.054 booking and value dates');
    } finally {
      await h.close();
    }
  });

  it('a real-time payment without a date of its own is forwarded with the business date, not the calendar date', async () => {
    const h = await harness('postgres', demoScheme, xsd, '2026-12-06T11:00:00Z'); // Sunday noon
    try {
      const result = await submit(h, 0, bulkFile(0, undefined, 41, { localInstrument: 'INST', receivers: [1] }));
      assert.notEqual(result.status, 'RJCT', JSON.stringify(result.report.findings));
      await h.dispatch();
      assert.deepEqual(delivered(h, BANKS[1], 'pacs.008', SETTLEMENT_DATE), ['2026-12-07']);
    } finally {
      await h.close();
    }
  });

  it('with the last cut-off before the roll, the cycle opened after it belongs to the next business day', async () => {
    const early: SchemeConfig = { ...demoScheme, cycles: ['10:00', '13:00'] };
    const h = await harness('postgres', early, xsd, '2026-11-26T08:00:00Z'); // Thursday 09:00
    try {
      assert.equal(await openCycleDate(h), '2026-11-26');
      h.clock.set('2026-11-26T12:00:00Z'); // Thursday 13:00, the day's last cut-off
      await h.engine.closeCycle();
      // No cycle of Thursday is left: the next one is cut off on Friday at 10:00 and settles for Friday.
      assert.equal(await openCycleDate(h), '2026-11-27');
      h.clock.set('2026-11-26T14:00:00Z'); // Thursday 15:00, still business date Thursday for intake
      assert.equal((await submit(h, 4, bulkFile(4, '2026-11-27', 51))).status, 'ACCP');
      h.clock.set('2026-11-27T09:00:00Z'); // Friday 10:00
      assert.deepEqual(only(await cutOff(h)), ['2026-11-27'], 'pacs.009 IntrBkSttlmDt');
    } finally {
      await h.close();
    }
  });

  it('business dates read back from PostgreSQL do not depend on the process time zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin'; // east of UTC: a date read as local midnight is the day before in UTC
    try {
      const h = await harness('postgres', demoScheme, xsd, '2026-12-07T08:00:00Z'); // Monday 09:00
      try {
        assert.equal(await openCycleDate(h), '2026-12-07');
        assert.equal((await submit(h, 0, bulkFile(0, '2026-12-07', 61, { receivers: [1] }))).status, 'ACCP');
        assert.deepEqual(only(await cutOff(h)), ['2026-12-07'], 'pacs.009 IntrBkSttlmDt');
        await settle(h);
        assert.deepEqual(only(participantDates(h).booking), ['2026-12-07'], 'camt.054 booking date');
      } finally {
        await h.close();
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
