/**
 * Business-day close (docs/scheme-rules.md, "Business-day close"). A business day D closes when the
 * day has rolled (the current business date is after D), every cycle of D is SETTLED, and every
 * earlier day with cycles is closed (a statement's opening balance is the previous day's closing).
 *
 * Closing D is one transaction: the business_days row (the day is closed from then on: the store
 * refuses any change to its cycles, positions and settlement instructions), for each participant and
 * currency it holds a camt.053 of the day (paged, limits.statements.entriesPerPageMax entries per
 * page) and its day_statements row, then the admi.004 DCLS to every active participant. All of it
 * goes out through the outbox like any other outbound message. Closing again finds the row and does
 * nothing; a crash before the commit leaves nothing, and the next attempt (a sweep, a settlement
 * answer, a restart) closes the day whole.
 */
import { build as buildAdmi004, schemeEvents } from '../iso/messages/admi.004.001.02/index.ts';
import { build as buildCamt053, type Entry } from '../iso/messages/camt.053.001.08/index.ts';
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';
import { currentBusinessDate } from './business-date.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { dateText } from './date-column.ts';
import { emit } from './outbound.ts';
import { sweepHeldTimeouts } from './risk-holds.ts';
import { statementEntries, statementOf, statementTotals, type StatementTotals } from './statements.ts';

export interface ClosedDay {
  readonly businessDate: string;
  readonly cycles: number;
  readonly statements: number;
}

/** Thrown when something would change a day already closed. */
export class BusinessDayClosedError extends Error {
  override readonly name = 'BusinessDayClosedError';
}

/**
 * Close every business day that can be closed, oldest first; returns the days this call closed.
 * First, every held real-time payment past its decide-by is rejected AB01 (risk-holds.ts
 * sweepHeldTimeouts): "decided within the scheme timeout or rejected" holds wherever the engine runs,
 * also where no `serve` sweeps (the demo, a CLI cut-off, a settlement answer), and no such payment
 * stays HELD past its day's close (docs/risk.md "Disposal").
 */
export async function closeBusinessDays(ctx: EngineContext): Promise<ClosedDay[]> {
  await sweepHeldTimeouts(ctx, { wait: true });
  const today = currentBusinessDate(ctx);
  const days = await ctx.db.query<{ business_date: string | Date; settled: boolean; cycles: number }>(
    `SELECT c.business_date, bool_and(c.state = 'SETTLED') AS settled, COUNT(*)::int AS cycles
       FROM cycles c
      WHERE c.business_date < $1::date
        AND NOT EXISTS (SELECT 1 FROM business_days d WHERE d.business_date = c.business_date)
      GROUP BY c.business_date ORDER BY c.business_date`, [today]);
  const closed: ClosedDay[] = [];
  for (const day of days) {
    // An earlier day still open (a cycle not settled) holds every later day: their opening balances wait for it.
    if (!day.settled) break;
    const result = await ctx.db.transaction((tx) => closeDay(ctx, tx, dateText(day.business_date)!), { retryable: true });
    if (result) {
      closed.push(result);
      ctx.events?.({ event: 'business-day.closed', ...result });
    }
  }
  return closed;
}

async function closeDay(ctx: EngineContext, tx: Queryable, businessDate: string): Promise<ClosedDay | undefined> {
  // Lock the day's cycles; the day must still be closable now that nothing can move under us.
  const cycles = await tx.query<{ id: bigint; state: string }>(
    'SELECT id, state FROM cycles WHERE business_date = $1::date ORDER BY id FOR UPDATE', [businessDate]);
  if (cycles.length === 0 || cycles.some((c) => c.state !== 'SETTLED')) return undefined;
  const [claimed] = await tx.query<{ business_date: string | Date }>(
    `INSERT INTO business_days (business_date, closed_at, cycles, statements) VALUES ($1::date, $2, $3, 0)
     ON CONFLICT (business_date) DO NOTHING RETURNING business_date`, [businessDate, ctx.clock.now(), cycles.length]);
  if (!claimed) return undefined; // closed by another process (or an earlier attempt that committed)
  const createdAt = isoDateTime(ctx.clock.now());
  const perParticipant = new Map<string, number>();
  let statements = 0;
  for (const participant of [...ctx.config.participants].sort((a, b) => (a.bic < b.bic ? -1 : 1))) {
    for (const currency of [...participant.currencies].sort()) {
      const totals = await statementTotals(tx, businessDate, participant.bic, currency);
      const sent = await emitStatement(ctx, tx, totals, { createdAt, statementCreatedAt: createdAt });
      await tx.query(
        `INSERT INTO day_statements (business_date, bic, currency, opening_minor, closing_minor, credit_count, credit_minor,
                                     debit_count, debit_minor, pages, first_message_id)
         VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [businessDate, totals.bic, totals.currency, totals.openingMinor, totals.closingMinor, totals.creditCount,
          totals.creditMinor, totals.debitCount, totals.debitMinor, sent.pages, sent.firstMessageId]);
      perParticipant.set(participant.bic, (perParticipant.get(participant.bic) ?? 0) + 1);
      statements++;
    }
  }
  await tx.query('UPDATE business_days SET statements = $2 WHERE business_date = $1::date', [businessDate, statements]);
  // Every participant told, after its statements (same transaction, later in the outbox).
  const code = schemeEvents.BUSINESS_DAY_CLOSED;
  await tx.query('INSERT INTO system_events (code, cycle_id, detail) VALUES ($1, NULL, $2)',
    [code, JSON.stringify({ event: 'BUSINESS_DAY_CLOSED', parameters: [businessDate, String(cycles.length), String(statements)] })]);
  const active = await tx.query<{ bic: string }>("SELECT bic FROM participants WHERE status = 'active' ORDER BY bic");
  for (const { bic } of active) {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const xml = buildAdmi004({ event: {
      code, parameters: [businessDate, String(cycles.length), String(perParticipant.get(bic) ?? 0)], time: createdAt,
      description: `business day ${businessDate} closed: ${cycles.length} cycle(s); camt.053 statements sent`,
    } });
    await emit(tx, { recipient: bic, messageType: 'admi.004.001.02', messageId, xml });
  }
  return { businessDate, cycles: cycles.length, statements };
}

/**
 * The statement of a closed day sent again (a camt.060 asking for it, account-report.ts): rebuilt from
 * the day's day_statements row (balances and totals as sent at the close) and its entries, which a
 * closed day can no longer change; the same Stmt/Id, Stmt/CreDtTm (the close) and paging as the
 * original, marked CpyDplctInd DUPL, under new MsgIds created now. Undefined when the day is not closed
 * or has no statement of this participant and currency; otherwise the first page's MsgId and the pages.
 */
export async function emitStatementDuplicate(ctx: EngineContext, tx: Queryable, businessDate: string, bic: string, currency: string)
  : Promise<{ pages: number; firstMessageId: string } | undefined> {
  const [row] = await tx.query<{ closed_at: Date; opening_minor: bigint; closing_minor: bigint; credit_count: bigint; credit_minor: bigint;
    debit_count: bigint; debit_minor: bigint }>(
    `SELECT d.closed_at, s.opening_minor, s.closing_minor, s.credit_count, s.credit_minor, s.debit_count, s.debit_minor
       FROM business_days d JOIN day_statements s ON s.business_date = d.business_date
      WHERE d.business_date = $1::date AND s.bic = $2 AND s.currency = $3`, [businessDate, bic, currency]);
  if (!row) return undefined;
  const totals: StatementTotals = {
    businessDate, bic, currency, openingMinor: BigInt(row.opening_minor), closingMinor: BigInt(row.closing_minor),
    creditCount: BigInt(row.credit_count), creditMinor: BigInt(row.credit_minor), debitCount: BigInt(row.debit_count), debitMinor: BigInt(row.debit_minor),
  };
  return emitStatement(ctx, tx, totals, {
    createdAt: isoDateTime(ctx.clock.now()), statementCreatedAt: isoDateTime(new Date(row.closed_at)), copyDuplicate: 'DUPL',
  });
}

/** The statement as camt.053 pages of at most limits.statements.entriesPerPageMax entries, each emitted. */
async function emitStatement(ctx: EngineContext, tx: Queryable, totals: StatementTotals,
  options: { readonly createdAt: string; readonly statementCreatedAt: string; readonly copyDuplicate?: 'DUPL' })
  : Promise<{ pages: number; firstMessageId: string }> {
  const { createdAt } = options;
  let page: Entry[] = [];
  let pages = 0;
  let firstMessageId = '';
  const send = async (lastPage: boolean): Promise<void> => {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    if (pages === 0) firstMessageId = messageId;
    pages++;
    const xml = buildCamt053({
      groupHeader: {
        messageId, creationDateTime: createdAt, recipient: { anyBic: totals.bic },
        pagination: { pageNumber: String(pages), lastPage },
      },
      statements: [{
        ...statementOf(totals, ctx.switchBic, options.statementCreatedAt, page),
        ...(options.copyDuplicate ? { copyDuplicate: options.copyDuplicate } : {}),
      }],
    });
    await emit(tx, { recipient: totals.bic, messageType: 'camt.053.001.08', messageId, xml });
    page = [];
  };
  const expected = totals.creditCount + totals.debitCount;
  let seen = 0n;
  for await (const entry of statementEntries(tx, totals, { switchBic: ctx.switchBic })) {
    page.push(entry);
    seen++;
    if (page.length >= limits.statements.entriesPerPageMax && seen < expected) await send(false);
  }
  await send(true);
  if (seen !== expected) {
    // The totals and the entries were read in one transaction of a settled day: they cannot differ.
    throw new Error(`statement ${totals.bic} ${totals.currency} ${totals.businessDate}: ${seen} entries read, ${expected} counted`);
  }
  return { pages, firstMessageId };
}

/** Refuse, with a clear error, a change to a cycle of a closed day (the store's trigger is the guarantee). */
export async function requireOpenDay(tx: Queryable, cycleId: bigint): Promise<void> {
  const [row] = await tx.query<{ business_date: string | Date }>(
    `SELECT d.business_date FROM cycles c JOIN business_days d ON d.business_date = c.business_date WHERE c.id = $1`, [cycleId]);
  if (row) throw new BusinessDayClosedError(`cycle ${cycleId} belongs to business day ${dateText(row.business_date)}, which is closed: it cannot change`);
}
