/**
 * Periodic intraday reports (docs/reports.md, "Intraday report (camt.052)"; config intradayReports):
 * within the business hours of each business day, every `intervalMinutes` a slot starts, and each
 * subscribing active participant gets, per currency it holds, one camt.052 of its position (the same
 * report a camt.060 gets, account-report.ts), emitted through the outbox like any other message.
 *
 * Exactly once per (participant, currency, slot), whatever the number of serve processes on one
 * database: the report is emitted in the transaction that inserts its intraday_report_slots row, whose
 * primary key is the claim; a concurrent transaction inserting the same row waits for the first and
 * then inserts nothing (ON CONFLICT DO NOTHING), a rolled-back one leaves the slot to the next sweep.
 * Only the slot the clock is in is ever sent: after downtime the slots missed are not caught up.
 */
import { isBusinessDay, localDateTime, localTimeToUtc } from '../../batch/calendar.ts';
import { localTimeMinutes, type CalendarConfig, type IntradayReportsConfig } from '../config.ts';
import { emitIntradayReport } from './account-report.ts';
import type { EngineContext } from './context.ts';

/** The slot an instant falls in: the local business day and the instant the slot started. */
export interface IntradaySlot {
  readonly date: string;
  readonly start: Date;
}

/**
 * The slot of `instant` (pure): undefined outside the business hours or on a day that is not a business
 * day of the calendar. Slots start at `from`, `from + interval`, … local time, the last before `to`.
 */
export function intradaySlot(instant: Date | number, calendar: CalendarConfig, config: IntradayReportsConfig): IntradaySlot | undefined {
  const local = localDateTime(instant, calendar.timeZone);
  if (!isBusinessDay(local.date, calendar)) return undefined;
  const from = localTimeMinutes(config.from)!;
  const to = localTimeMinutes(config.to)!;
  const minutes = local.hour * 60 + local.minute;
  if (minutes < from || minutes >= to) return undefined;
  const slotMinutes = from + Math.floor((minutes - from) / config.intervalMinutes) * config.intervalMinutes;
  const hhmm = `${String(Math.floor(slotMinutes / 60)).padStart(2, '0')}:${String(slotMinutes % 60).padStart(2, '0')}`;
  return { date: local.date, start: localTimeToUtc(local.date, hhmm, calendar.timeZone) };
}

/** What one call sent: the slot and the (participant, currency) reports it emitted. */
export interface IntradayReportsSent {
  readonly slot?: IntradaySlot;
  readonly sent: readonly { readonly bic: string; readonly currency: string; readonly messageId: string }[];
}

/**
 * Send the current slot's reports not sent yet (part of every sweep). Cheap when there is nothing to
 * do: one read of the slot's rows; a claim (and a report) per (participant, currency) still missing.
 */
export async function sendIntradayReports(ctx: EngineContext): Promise<IntradayReportsSent> {
  const config = ctx.config.intradayReports;
  if (!config) return { sent: [] };
  const slot = intradaySlot(ctx.clock.now(), ctx.config.calendar, config);
  if (!slot) return { sent: [] };
  const active = new Set((await ctx.db.query<{ bic: string }>("SELECT bic FROM participants WHERE status = 'active'")).map((r) => r.bic));
  const subscribed = config.participants ? new Set(config.participants) : undefined;
  const done = new Set((await ctx.db.query<{ bic: string; currency: string }>(
    'SELECT bic, currency FROM intraday_report_slots WHERE slot_start = $1', [slot.start])).map((r) => `${r.bic}|${r.currency}`));
  const sent: { bic: string; currency: string; messageId: string }[] = [];
  for (const participant of [...ctx.config.participants].sort((a, b) => (a.bic < b.bic ? -1 : 1))) {
    if (!active.has(participant.bic) || (subscribed && !subscribed.has(participant.bic))) continue;
    for (const currency of [...participant.currencies].sort()) {
      if (done.has(`${participant.bic}|${currency}`)) continue;
      const messageId = await ctx.db.transaction(async (tx) => {
        const [claimed] = await tx.query<{ bic: string }>(
          `INSERT INTO intraday_report_slots (bic, currency, slot_start, message_id, sent_at) VALUES ($1, $2, $3, '', $4)
           ON CONFLICT (bic, currency, slot_start) DO NOTHING RETURNING bic`, [participant.bic, currency, slot.start, ctx.clock.now()]);
        if (!claimed) return undefined; // another process sent it
        const id = await emitIntradayReport(ctx, tx, participant.bic, [currency]);
        await tx.query('UPDATE intraday_report_slots SET message_id = $4 WHERE bic = $1 AND currency = $2 AND slot_start = $3',
          [participant.bic, currency, slot.start, id]);
        return id;
      }, { retryable: true });
      if (messageId !== undefined) sent.push({ bic: participant.bic, currency, messageId });
    }
  }
  return { slot, sent };
}
