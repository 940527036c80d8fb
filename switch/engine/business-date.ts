/**
 * The current business date of the scheme calendar, from the engine's clock (one place for intake's
 * settlement-date rules and real-time forwarding).
 */
import { addDays, businessDateOf, isBusinessDay, localDateTime, localTimeToUtc, nextBusinessDay, rollInstant } from '../../batch/calendar.ts';
import { CONFIG_DEFAULTS, type CalendarConfig } from '../config.ts';
import type { FutureDateRules } from '../validation/rules.ts';
import type { EngineContext } from './context.ts';
import { realtimeService } from './realtime-service.ts';

/**
 * The settlement-date rules for a pacs.008 dated after `businessDate` (docs/scheme-rules.md,
 * "Future-dated payments"): the latest date is the business date advanced by the scheme's horizon
 * in business days (config futureDatedHorizonBusinessDays).
 *
 * Asked for by every submission; the answer changes only with the business date, the calendar, the
 * horizon or the real-time service, so it is kept per calendar (a configuration reload brings a new
 * calendar object) and worked out again when any of the others differs. Working it out walks the
 * horizon's days through date strings: about 14 µs a call, 1.2 s of a 20 s real-time step at 2,000/s
 * (docs/performance.md, "Session 14").
 */
export function futureDateRules(ctx: EngineContext, businessDate: string): FutureDateRules {
  const { calendar } = ctx.config;
  const horizon = ctx.config.futureDatedHorizonBusinessDays ?? CONFIG_DEFAULTS.futureDatedHorizonBusinessDays;
  const realtime = realtimeService(ctx) !== undefined;
  const known = futureRules.get(calendar);
  if (known && known.businessDate === businessDate && known.horizon === horizon && known.rules.realtime === realtime) return known.rules;
  let latest = businessDate;
  for (let i = 0; i < horizon; i++) latest = nextBusinessDay(latest, calendar);
  const rules: FutureDateRules = { latest, isBusinessDay: (date) => isBusinessDay(date, calendar), realtime };
  futureRules.set(calendar, { businessDate, horizon, rules });
  return rules;
}

const futureRules = new WeakMap<CalendarConfig, { readonly businessDate: string; readonly horizon: number; readonly rules: FutureDateRules }>();

/**
 * The business date used for settlement-date rules: the scheme calendar's, from the engine clock. It
 * can change only at local midnight and at the roll time, so it is worked out once per such interval
 * and reused until the clock leaves it: working it out takes several time-zone conversions (Intl),
 * about 0.1 ms, a tenth of a real-time message's whole intake.
 */
export function currentBusinessDate(ctx: EngineContext): string {
  const { calendar } = ctx.config;
  const ms = ctx.clock.now().getTime();
  const known = businessDates.get(calendar);
  if (known && ms >= known.from && ms < known.until) return known.date;
  const date = businessDateOf(ms, calendar);
  // businessDateOf reads the local date and compares with that date's roll instant: both hold until
  // the next local midnight, and the comparison also flips at the roll.
  const localDate = localDateTime(ms, calendar.timeZone).date;
  const midnight = localTimeToUtc(addDays(localDate, 1), '00:00', calendar.timeZone).getTime();
  const roll = rollInstant(localDate, calendar).getTime();
  businessDates.set(calendar, { from: ms, until: ms < roll ? Math.min(roll, midnight) : midnight, date });
  return date;
}

const businessDates = new WeakMap<CalendarConfig, { readonly from: number; readonly until: number; readonly date: string }>();
