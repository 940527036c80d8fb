/**
 * What a report covers (docs/reports.md "Scope"): a business day, a month of business days, or one
 * cycle; optionally restricted to one participant's own payments.
 */
import { previousBusinessDay, rollInstant } from '../../batch/calendar.ts';
import type { CalendarConfig } from '../config.ts';

export type Period =
  | { readonly date: string }
  | { readonly month: string }
  | { readonly cycle: bigint };

export interface ReportRequest {
  readonly period: Period;
  /** Only this participant's own data (the payments it sent or received, its positions and settlement). */
  readonly participant?: string;
}

/** A report request that cannot be answered as given (a malformed date, an unknown cycle): a usage error. */
export class ReportRequestError extends Error {
  override readonly name = 'ReportRequestError';
}

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const BIC = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

export function checkRequest(request: ReportRequest): void {
  const p = request.period;
  if ('date' in p && !DATE.test(p.date)) throw new ReportRequestError(`--date ${p.date} is not a date YYYY-MM-DD`);
  if ('month' in p && !MONTH.test(p.month)) throw new ReportRequestError(`--month ${p.month} is not a month YYYY-MM`);
  if (request.participant !== undefined && !BIC.test(request.participant)) throw new ReportRequestError(`--participant ${request.participant} is not a BIC`);
}

/** The first and last calendar dates of a day or month period. */
export function dateRange(period: { readonly date: string } | { readonly month: string }): { from: string; to: string } {
  if ('date' in period) return { from: period.date, to: period.date };
  const [year, month] = period.month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { from: `${period.month}-01`, to: `${period.month}-${String(last).padStart(2, '0')}` };
}

/**
 * The instants messages of business days from..to were received in, by the store's clock: from the
 * roll of the business day before `from` to the roll of `to` (docs/reports.md "Scope").
 */
export function receiptWindow(from: string, to: string, calendar: CalendarConfig): { start: Date; end: Date } {
  return { start: rollInstant(previousBusinessDay(from, calendar), calendar), end: rollInstant(to, calendar) };
}

export function periodLabel(period: Period): string {
  if ('date' in period) return `business day ${period.date}`;
  if ('month' in period) return `month ${period.month}`;
  return `cycle ${period.cycle}`;
}
