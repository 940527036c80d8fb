/**
 * Intake reuses the business date between the instants where it can change (local midnight, the roll
 * time): checked equal to the calendar's own businessDateOf at every step of clocks that walk across
 * rolls, midnights, weekends, holidays and both DST changes, forwards and backwards. Seeded: FC_SEED.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addDays, businessDateOf, nextBusinessDay } from '../../batch/calendar.ts';
import type { CalendarConfig } from '../../switch/config.ts';
import type { EngineContext } from '../../switch/engine/context.ts';
import { currentBusinessDate, futureDateRules } from '../../switch/engine/business-date.ts';

const calendars: CalendarConfig[] = [
  { timeZone: 'Europe/Berlin', cycleDayRollTime: '16:00', holidays: ['2026-03-30', '2026-10-26', '2026-12-25'], weekendDays: [6, 0] },
  { timeZone: 'America/New_York', cycleDayRollTime: '24:00', holidays: ['2026-11-26'], weekendDays: [6, 0] },
  // DST at midnight: the local day starts at 01:00 on the spring change.
  { timeZone: 'America/Santiago', cycleDayRollTime: '18:30', holidays: [], weekendDays: [0] },
  { timeZone: 'UTC', cycleDayRollTime: '24:00', holidays: [], weekendDays: [6, 0] },
];

// Around the 2026 DST changes of these zones and an ordinary week.
const starts = ['2026-03-27T12:00:00Z', '2026-10-23T12:00:00Z', '2026-11-05T12:00:00Z', '2026-09-04T12:00:00Z', '2026-04-03T12:00:00Z',
  '2026-11-24T12:00:00Z'].map((t) => Date.parse(t));

it('the reused business date equals businessDateOf at every instant', () => {
  fc.assert(fc.property(
    fc.constantFrom(...calendars), fc.constantFrom(...starts),
    // Mostly small steps forward (so cached intervals are reused and their ends crossed), some jumps back.
    fc.array(fc.oneof(fc.integer({ min: 0, max: 3 * 3_600_000 }), fc.integer({ min: -2 * 86_400_000, max: 0 })), { minLength: 1, maxLength: 120 }),
    (calendar, start, steps) => {
      let now = start;
      const ctx = { config: { calendar }, clock: { now: () => new Date(now) } } as unknown as EngineContext;
      for (const step of steps) {
        now += step;
        assert.equal(currentBusinessDate(ctx), businessDateOf(now, calendar), `${calendar.timeZone} at ${new Date(now).toISOString()}`);
      }
    }), { numRuns: 300, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined });
});

it('exactly at the roll instant and one millisecond before it', () => {
  const calendar = calendars[0]!;
  let now = Date.parse('2026-11-24T14:59:59.999Z'); // 15:59:59.999 in Berlin: still the 24th
  const ctx = { config: { calendar }, clock: { now: () => new Date(now) } } as unknown as EngineContext;
  assert.equal(currentBusinessDate(ctx), '2026-11-24');
  now += 1;
  assert.equal(currentBusinessDate(ctx), '2026-11-25');
  now -= 1;
  assert.equal(currentBusinessDate(ctx), '2026-11-24');
});

it('the reused future-date rules equal the horizon walked afresh, whatever the order of dates, horizons and calendars', () => {
  // Kept per calendar and worked out again when the business date, the horizon or the real-time
  // service differs: a stale entry would show here as another latest date or another realtime flag.
  const services = [[], [{ messageType: 'pacs.008', mode: 'realtime' }]];
  fc.assert(fc.property(
    fc.array(fc.record({
      calendar: fc.constantFrom(...calendars), offset: fc.integer({ min: 0, max: 400 }),
      horizon: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }), realtime: fc.boolean(),
    }), { minLength: 1, maxLength: 60 }),
    (asks) => {
      for (const { calendar, offset, horizon, realtime } of asks) {
        const businessDate = nextBusinessDay(addDays('2026-01-01', offset), calendar);
        const ctx = { config: { calendar, services: services[realtime ? 1 : 0], ...(horizon === undefined ? {} : { futureDatedHorizonBusinessDays: horizon }) } } as unknown as EngineContext;
        let latest = businessDate;
        for (let i = 0; i < (horizon ?? 5); i++) latest = nextBusinessDay(latest, calendar);
        const rules = futureDateRules(ctx, businessDate);
        assert.equal(rules.latest, latest, `${calendar.timeZone} ${businessDate} horizon ${horizon}`);
        assert.equal(rules.realtime, realtime);
        assert.equal(rules.isBusinessDay(latest), true);
        // The same date and horizon with the real-time service switched (a configuration reload).
        const switched = { config: { ...ctx.config, services: services[realtime ? 0 : 1] } } as unknown as EngineContext;
        assert.equal(futureDateRules(switched, businessDate).realtime, !realtime);
      }
    }), { numRuns: 200, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined });
});
