/**
 * The business calendar: which cycle day (business date) an instant belongs to, and when each cycle of
 * a business day is cut off. Pure: every instant is passed in (a Date or epoch milliseconds); nothing
 * here reads the clock.
 *
 * Conventions (also in docs/configuration.md, "Business day and cycles"):
 *
 * - Business day D runs from the roll instant of the previous business day P (P's date at
 *   `cycleDayRollTime`, local time in `timeZone`) up to, but not including, D's own roll instant. So
 *   with a 16:00 roll, Friday 16:00 … Monday 15:59:59 belong to Monday (weekend and holidays skipped).
 *   "24:00" means the roll is at midnight: the business day is then the calendar day itself.
 * - The cut-offs of D are the configured local times on the calendar date D. Cycle k of D runs from
 *   cut-off k−1 (for k = 1: the roll instant of P) up to, but not including, cut-off k: an instant
 *   exactly at a cut-off belongs to the next cycle (the cut-off is a hard edge).
 * - When the last cut-off is earlier than the roll time, an instant between D's last cut-off and D's
 *   roll is still business date D for `businessDateOf`, but there is no cycle of D left to take it:
 *   `cycleFor` puts it in cycle 1 of the next business day. Schemes normally cut the last cycle at the
 *   roll time, and then the two always agree.
 * - Local times are turned into instants with the zone's rules on that date (Intl), so DST days are
 *   handled; a local time that does not exist (the spring-forward gap) moves forward by the gap, and
 *   one that exists twice (autumn) is its first occurrence — the same choice as Temporal's
 *   "compatible" disambiguation.
 */
import type { CalendarConfig } from '../switch/config.ts';

/** A cycle identified by its business day and position in it, with its cut-off instant. */
export interface CycleCutOff {
  /** The business date, "YYYY-MM-DD". */
  readonly businessDate: string;
  /** 1 … number of cycles of the day. */
  readonly sequence: number;
  readonly cutOffAt: Date;
}

/**
 * Longest run of consecutive closed days searched for the next business day. A year: a calendar with
 * no business day in a year is a configuration mistake, and the search must not run forever on it.
 */
const closedDaysSearchMax = 366;

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;

type Instant = Date | number;

function epochOf(instant: Instant): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new Error(`calendar: ${String(instant)} is not an instant`);
  return ms;
}

// ---- calendar dates (no time zone: "YYYY-MM-DD" as a day count) ---------------------------------

function dayNumber(date: string): number {
  const match = DATE.exec(date);
  if (!match) throw new Error(`calendar: ${JSON.stringify(date)} is not a date "YYYY-MM-DD"`);
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new Error(`calendar: ${date} is not a calendar date`);
  return ms / DAY_MS;
}

function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

// ---- local time in a zone <-> UTC -------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export interface LocalDateTime {
  /** "YYYY-MM-DD" */
  readonly date: string;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** The wall-clock date and time of an instant in a time zone (whole seconds). */
export function localDateTime(instant: Instant, timeZone: string): LocalDateTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(epochOf(instant))) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in summer: +7,200,000). */
function offsetMs(epochMs: number, timeZone: string): number {
  const local = localDateTime(epochMs, timeZone);
  const wall = dayNumber(local.date) * DAY_MS + ((local.hour * 60 + local.minute) * 60 + local.second) * 1000;
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows `time` ("HH:MM", or "24:00" = 00:00 of the
 * next day) on calendar date `date`. Nonexistent local times (spring-forward gap) move forward by the
 * gap; ambiguous ones (autumn overlap) resolve to the earlier instant.
 */
export function localTimeToUtc(date: string, time: string, timeZone: string): Date {
  if (time === '24:00') return localTimeToUtc(addDays(date, 1), '00:00', timeZone);
  const match = TIME.exec(time);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) throw new Error(`calendar: ${JSON.stringify(time)} is not a local time "HH:MM"`);
  const wallMs = dayNumber(date) * DAY_MS + (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  // The offsets a day either side bracket any transition near this wall time (zones change offset at
  // most once within a couple of days).
  const offsetBefore = offsetMs(wallMs - DAY_MS, timeZone);
  const offsetAfter = offsetMs(wallMs + DAY_MS, timeZone);
  const candidates = [wallMs - offsetBefore, wallMs - offsetAfter]
    .filter((t) => offsetMs(t, timeZone) === wallMs - t)
    .sort((a, b) => a - b);
  // No candidate: the wall time falls in a gap; reading it with the offset in force before the gap
  // lands the same distance past the gap's end.
  return new Date(candidates[0] ?? wallMs - offsetBefore);
}

// ---- business days -------------------------------------------------------------------------

const holidaySets = new WeakMap<CalendarConfig, ReadonlySet<string>>();

function holidaysOf(calendar: CalendarConfig): ReadonlySet<string> {
  let set = holidaySets.get(calendar);
  if (set === undefined) {
    set = new Set(calendar.holidays);
    holidaySets.set(calendar, set);
  }
  return set;
}

/** True when `date` ("YYYY-MM-DD") is neither a weekend day nor a holiday of the calendar. */
export function isBusinessDay(date: string, calendar: CalendarConfig): boolean {
  const weekday = (((dayNumber(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4); 0 is Sunday
  return !calendar.weekendDays.includes(weekday) && !holidaysOf(calendar).has(date);
}

/** The first business day strictly after `date`. */
export function nextBusinessDay(date: string, calendar: CalendarConfig): string {
  return businessDayOnOrAfter(addDays(date, 1), calendar);
}

/** The last business day strictly before `date`. */
export function previousBusinessDay(date: string, calendar: CalendarConfig): string {
  let day = addDays(date, -1);
  for (let i = 0; i < closedDaysSearchMax; i += 1) {
    if (isBusinessDay(day, calendar)) return day;
    day = addDays(day, -1);
  }
  throw new Error(`calendar: no business day in the ${closedDaysSearchMax} days before ${date}`);
}

function businessDayOnOrAfter(date: string, calendar: CalendarConfig): string {
  let day = date;
  for (let i = 0; i < closedDaysSearchMax; i += 1) {
    if (isBusinessDay(day, calendar)) return day;
    day = addDays(day, 1);
  }
  throw new Error(`calendar: no business day in the ${closedDaysSearchMax} days from ${date}`);
}

/** The instant business date `date` ends and the next one begins: `date` at the roll time, local. */
export function rollInstant(date: string, calendar: CalendarConfig): Date {
  return localTimeToUtc(date, calendar.cycleDayRollTime, calendar.timeZone);
}

/**
 * The business date (cycle day) an instant belongs to: its local date in the calendar's zone, moved
 * to the next calendar day at or after that date's roll instant, then to the first business day on or
 * after it.
 */
export function businessDateOf(instant: Instant, calendar: CalendarConfig): string {
  const ms = epochOf(instant);
  const localDate = localDateTime(ms, calendar.timeZone).date;
  const rolled = ms >= rollInstant(localDate, calendar).getTime() ? addDays(localDate, 1) : localDate;
  return businessDayOnOrAfter(rolled, calendar);
}

/** The cut-off instants of business date `businessDate`: each cycle time, local, on that calendar date. */
export function cutOffInstants(businessDate: string, calendar: CalendarConfig, cycles: readonly string[]): Date[] {
  if (!isBusinessDay(businessDate, calendar)) throw new Error(`calendar: ${businessDate} is not a business day`);
  if (cycles.length === 0) throw new Error('calendar: a business day needs at least one cycle');
  return cycles.map((time) => localTimeToUtc(businessDate, time, calendar.timeZone));
}

/**
 * The cycle an instant falls into: the one whose cut-off is the first cut-off strictly after the
 * instant. Cycles partition time, so `cycleFor(c.cutOffAt)` is the cycle after `c`.
 */
export function cycleFor(instant: Instant, calendar: CalendarConfig, cycles: readonly string[]): CycleCutOff {
  const ms = epochOf(instant);
  const businessDate = businessDateOf(ms, calendar);
  const cutOffs = cutOffInstants(businessDate, calendar, cycles);
  const index = cutOffs.findIndex((c) => ms < c.getTime());
  if (index >= 0) return { businessDate, sequence: index + 1, cutOffAt: cutOffs[index]! };
  // Between the last cut-off and the roll: the first cycle of the next business day takes it.
  const next = nextBusinessDay(businessDate, calendar);
  return { businessDate: next, sequence: 1, cutOffAt: cutOffInstants(next, calendar, cycles)[0]! };
}
