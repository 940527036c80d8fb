import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  businessDateOf, cutOffInstants, cycleFor, isBusinessDay, localTimeToUtc, nextBusinessDay, previousBusinessDay,
} from '../../batch/calendar.ts';
import { checkConfig, type CalendarConfig } from '../../switch/config.ts';

/** Frankfurt-style calendar: 16:00 roll, weekends and the Christmas/Easter holidays closed. */
const berlin: CalendarConfig = {
  timeZone: 'Europe/Berlin',
  cycleDayRollTime: '16:00',
  holidays: ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-12-25', '2026-12-26'],
  weekendDays: [6, 0],
};
/** The same, open every day (instant-payment style), to put a business day on each DST change. */
const berlinEveryDay: CalendarConfig = { ...berlin, weekendDays: [], holidays: [] };
const cycles = ['10:00', '13:00', '16:00'];

describe('localTimeToUtc', () => {
  const table: Array<[string, string, string, string, string]> = [
    // date, time, zone, expected UTC, why
    ['2026-11-26', '10:00', 'Europe/Berlin', '2026-11-26T09:00:00.000Z', 'winter, CET +1'],
    ['2026-07-01', '10:00', 'Europe/Berlin', '2026-07-01T08:00:00.000Z', 'summer, CEST +2'],
    ['2026-03-29', '01:59', 'Europe/Berlin', '2026-03-29T00:59:00.000Z', 'spring-forward day, before the change'],
    ['2026-03-29', '02:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z', 'inside the gap: moves forward to 03:30 CEST'],
    ['2026-03-29', '03:00', 'Europe/Berlin', '2026-03-29T01:00:00.000Z', 'spring-forward day, first minute of CEST'],
    ['2026-10-25', '02:30', 'Europe/Berlin', '2026-10-25T00:30:00.000Z', 'occurs twice: the first (CEST) one'],
    ['2026-10-25', '03:00', 'Europe/Berlin', '2026-10-25T02:00:00.000Z', 'fall-back day, after the change'],
    ['2026-11-26', '24:00', 'Europe/Berlin', '2026-11-26T23:00:00.000Z', '24:00 is midnight ending the date'],
    ['2026-03-08', '12:00', 'America/New_York', '2026-03-08T16:00:00.000Z', 'US spring-forward day, EDT -4'],
    ['2026-11-26', '00:00', 'UTC', '2026-11-26T00:00:00.000Z', 'UTC'],
    ['2026-11-26', '08:00', 'Asia/Kolkata', '2026-11-26T02:30:00.000Z', 'half-hour offset +5:30'],
  ];
  for (const [date, time, zone, expected, why] of table) {
    it(`${date} ${time} ${zone} → ${expected} (${why})`, () => {
      assert.equal(localTimeToUtc(date, time, zone).toISOString(), expected);
    });
  }
});

describe('business days', () => {
  const table: Array<[string, boolean, string, string]> = [
    // date, is a business day, next business day, previous business day
    ['2026-11-26', true, '2026-11-27', '2026-11-25'], // Thursday
    ['2026-11-27', true, '2026-11-30', '2026-11-26'], // Friday → Monday
    ['2026-11-28', false, '2026-11-30', '2026-11-27'], // Saturday
    ['2026-11-29', false, '2026-11-30', '2026-11-27'], // Sunday
    ['2026-12-24', true, '2026-12-28', '2026-12-23'], // Christmas Eve: Fri 25th holiday, then the weekend
    ['2026-12-25', false, '2026-12-28', '2026-12-24'], // holiday
    ['2026-04-02', true, '2026-04-07', '2026-04-01'], // Easter: Good Friday and Easter Monday closed
  ];
  for (const [date, business, next, previous] of table) {
    it(`${date}: business ${business}, next ${next}, previous ${previous}`, () => {
      assert.equal(isBusinessDay(date, berlin), business);
      assert.equal(nextBusinessDay(date, berlin), next);
      assert.equal(previousBusinessDay(date, berlin), previous);
    });
  }
  it('a calendar with no business day fails loudly instead of searching forever', () => {
    const closed: CalendarConfig = { ...berlin, weekendDays: [0, 1, 2, 3, 4, 5, 6] };
    assert.throws(() => nextBusinessDay('2026-11-26', closed), /no business day/);
  });
});

describe('businessDateOf (16:00 roll, Europe/Berlin)', () => {
  const table: Array<[string, string, string]> = [
    ['2026-11-26T14:59:59.999Z', '2026-11-26', 'Thursday 15:59:59.999 CET: before the roll'],
    ['2026-11-26T15:00:00.000Z', '2026-11-27', 'Thursday 16:00 CET: at the roll, next business day'],
    ['2026-11-26T23:30:00.000Z', '2026-11-27', 'Friday 00:30 CET is still Thursday in UTC: the local date counts'],
    ['2026-11-27T15:00:00.000Z', '2026-11-30', 'Friday 16:00: rolls over the weekend to Monday'],
    ['2026-11-28T12:00:00.000Z', '2026-11-30', 'Saturday'],
    ['2026-11-30T14:59:59.000Z', '2026-11-30', 'Monday before the roll'],
    ['2026-12-24T15:00:00.000Z', '2026-12-28', 'Christmas Eve at the roll: holiday and weekend skipped'],
    ['2026-12-25T10:00:00.000Z', '2026-12-28', 'on the holiday'],
    ['2026-03-27T14:59:00.000Z', '2026-03-27', 'Friday before spring DST, 15:59 CET'],
    ['2026-03-29T01:30:00.000Z', '2026-03-30', 'Sunday 03:30 CEST, just after the change'],
    ['2026-03-30T13:59:59.000Z', '2026-03-30', 'Monday 15:59:59 CEST'],
    ['2026-03-30T14:00:00.000Z', '2026-03-31', 'Monday 16:00 CEST: the roll is an hour earlier in UTC'],
    ['2026-10-23T14:00:00.000Z', '2026-10-26', 'Friday 16:00 CEST before fall DST'],
    ['2026-10-26T14:59:59.000Z', '2026-10-26', 'Monday 15:59:59 CET'],
    ['2026-10-26T15:00:00.000Z', '2026-10-27', 'Monday 16:00 CET'],
  ];
  for (const [instant, expected, why] of table) {
    it(`${instant} → ${expected} (${why})`, () => {
      assert.equal(businessDateOf(new Date(instant), berlin), expected);
      assert.equal(businessDateOf(Date.parse(instant), berlin), expected, 'epoch milliseconds too');
    });
  }
  it('on a seven-day calendar the DST days themselves roll at local 16:00', () => {
    assert.equal(businessDateOf(Date.parse('2026-03-29T13:59:59Z'), berlinEveryDay), '2026-03-29');
    assert.equal(businessDateOf(Date.parse('2026-03-29T14:00:00Z'), berlinEveryDay), '2026-03-30');
    assert.equal(businessDateOf(Date.parse('2026-10-25T14:59:59Z'), berlinEveryDay), '2026-10-25');
    assert.equal(businessDateOf(Date.parse('2026-10-25T15:00:00Z'), berlinEveryDay), '2026-10-26');
  });
});

describe('cutOffInstants', () => {
  const table: Array<[CalendarConfig, string, string[], string]> = [
    [berlin, '2026-11-26', ['2026-11-26T09:00:00.000Z', '2026-11-26T12:00:00.000Z', '2026-11-26T15:00:00.000Z'], 'winter'],
    [berlin, '2026-03-27', ['2026-03-27T09:00:00.000Z', '2026-03-27T12:00:00.000Z', '2026-03-27T15:00:00.000Z'], 'Friday before spring DST'],
    [berlin, '2026-03-30', ['2026-03-30T08:00:00.000Z', '2026-03-30T11:00:00.000Z', '2026-03-30T14:00:00.000Z'], 'Monday after spring DST'],
    [berlin, '2026-10-26', ['2026-10-26T09:00:00.000Z', '2026-10-26T12:00:00.000Z', '2026-10-26T15:00:00.000Z'], 'Monday after fall DST'],
    [berlinEveryDay, '2026-03-29', ['2026-03-29T08:00:00.000Z', '2026-03-29T11:00:00.000Z', '2026-03-29T14:00:00.000Z'], 'spring DST day'],
    [berlinEveryDay, '2026-10-25', ['2026-10-25T09:00:00.000Z', '2026-10-25T12:00:00.000Z', '2026-10-25T15:00:00.000Z'], 'fall DST day'],
  ];
  for (const [calendar, date, expected, why] of table) {
    it(`${date} (${why})`, () => {
      assert.deepEqual(cutOffInstants(date, calendar, cycles).map((d) => d.toISOString()), expected);
    });
  }
  it('cut-offs inside the DST gap and overlap', () => {
    const night = ['02:30', '16:00'];
    assert.deepEqual(cutOffInstants('2026-03-29', berlinEveryDay, night).map((d) => d.toISOString()),
      ['2026-03-29T01:30:00.000Z', '2026-03-29T14:00:00.000Z']);
    assert.deepEqual(cutOffInstants('2026-10-25', berlinEveryDay, night).map((d) => d.toISOString()),
      ['2026-10-25T00:30:00.000Z', '2026-10-25T15:00:00.000Z']);
  });
  it('a closed day has no cut-offs', () => {
    assert.throws(() => cutOffInstants('2026-12-25', berlin, cycles), /not a business day/);
    assert.throws(() => cutOffInstants('2026-11-28', berlin, cycles), /not a business day/);
  });
});

describe('cycleFor', () => {
  const table: Array<[string, string, number, string, string]> = [
    ['2026-11-26T08:59:59.999Z', '2026-11-26', 1, '2026-11-26T09:00:00.000Z', 'just before the first cut-off'],
    ['2026-11-26T09:00:00.000Z', '2026-11-26', 2, '2026-11-26T12:00:00.000Z', 'at a cut-off: the next cycle'],
    ['2026-11-26T14:59:59.000Z', '2026-11-26', 3, '2026-11-26T15:00:00.000Z', 'last cycle'],
    ['2026-11-26T15:00:00.000Z', '2026-11-27', 1, '2026-11-27T09:00:00.000Z', 'at the roll'],
    ['2026-11-25T20:00:00.000Z', '2026-11-26', 1, '2026-11-26T09:00:00.000Z', 'the evening before belongs to cycle 1'],
    ['2026-11-27T15:00:00.000Z', '2026-11-30', 1, '2026-11-30T09:00:00.000Z', 'Friday roll → Monday'],
    ['2026-11-28T12:00:00.000Z', '2026-11-30', 1, '2026-11-30T09:00:00.000Z', 'weekend'],
    ['2026-12-24T15:30:00.000Z', '2026-12-28', 1, '2026-12-28T09:00:00.000Z', 'holiday and weekend'],
    ['2026-03-30T07:59:59.000Z', '2026-03-30', 1, '2026-03-30T08:00:00.000Z', 'Monday after spring DST, 09:59:59 CEST'],
    ['2026-03-30T08:00:00.000Z', '2026-03-30', 2, '2026-03-30T11:00:00.000Z', 'Monday after spring DST, 10:00 CEST'],
    ['2026-10-26T08:59:59.000Z', '2026-10-26', 1, '2026-10-26T09:00:00.000Z', 'Monday after fall DST, 09:59:59 CET'],
  ];
  for (const [instant, businessDate, sequence, cutOffAt, why] of table) {
    it(`${instant} → ${businessDate} #${sequence} (${why})`, () => {
      const cycle = cycleFor(Date.parse(instant), berlin, cycles);
      assert.deepEqual({ ...cycle, cutOffAt: cycle.cutOffAt.toISOString() }, { businessDate, sequence, cutOffAt });
    });
  }

  it('after the last cut-off but before the roll: still the business date, but cycle 1 of the next day', () => {
    const early = ['10:00', '13:00', '15:00'];
    const instant = Date.parse('2026-11-26T14:30:00Z'); // 15:30 local
    assert.equal(businessDateOf(instant, berlin), '2026-11-26');
    assert.deepEqual(cycleFor(instant, berlin, early), { businessDate: '2026-11-27', sequence: 1, cutOffAt: new Date('2026-11-27T09:00:00Z') });
  });

  it('the defaults of a validator-only configuration: UTC, midnight roll, one cycle a day', () => {
    const { calendar, cycles: single } = checkConfig({
      name: 'x', currencies: ['EUR'], participants: [{ bic: 'BANKDEFFXXX', name: 'A', status: 'active', currencies: ['EUR'] }],
    });
    assert.deepEqual(single, ['24:00']);
    assert.equal(businessDateOf(Date.parse('2026-11-26T23:59:59Z'), calendar), '2026-11-26');
    assert.equal(businessDateOf(Date.parse('2026-11-27T00:00:00Z'), calendar), '2026-11-27');
    assert.deepEqual(cycleFor(Date.parse('2026-11-26T12:00:00Z'), calendar, single),
      { businessDate: '2026-11-26', sequence: 1, cutOffAt: new Date('2026-11-27T00:00:00Z') });
    assert.deepEqual(cycleFor(Date.parse('2026-11-28T12:00:00Z'), calendar, single),
      { businessDate: '2026-11-30', sequence: 1, cutOffAt: new Date('2026-12-01T00:00:00Z') }, 'Saturday');
  });

  it('walking cut-off to cut-off over a year covers every business day once, in order, through both DST changes', () => {
    let cycle = cycleFor(Date.parse('2025-12-31T12:00:00Z'), berlin, cycles);
    const days = new Map<string, number[]>();
    let previous = 0;
    for (let step = 0; step < 3 * 366 && cycle.businessDate < '2027-01-01'; step += 1) {
      assert.ok(cycle.cutOffAt.getTime() > previous, 'cut-offs strictly increase');
      assert.ok(isBusinessDay(cycle.businessDate, berlin));
      days.set(cycle.businessDate, [...(days.get(cycle.businessDate) ?? []), cycle.sequence]);
      previous = cycle.cutOffAt.getTime();
      cycle = cycleFor(cycle.cutOffAt, berlin, cycles);
    }
    const businessDays2026 = [...days.keys()].filter((d) => d.startsWith('2026-'));
    assert.equal(businessDays2026.length, 261 - 5, '261 weekdays in 2026, five of them holidays');
    for (const d of businessDays2026) assert.deepEqual(days.get(d), [1, 2, 3], d);
  });
});
