/**
 * Business-day close (docs/scheme-rules.md, "Business-day close"). A business day D closes when the
 * day has rolled (the current business date is after D), every cycle of D is SETTLED, and every
 * earlier day with cycles is closed (a statement's opening balance is the previous day's closing).
 *
 * The close goes in bounded pieces (migration 030, decisions.md #77), so that a day of millions of
 * payments neither holds one transaction for hours nor loses it all to a crash:
 *
 * 1. The claim, one short transaction: the business_days row (the day is closed from then on: the
 *    store refuses any change to its cycles, positions and settlement instructions), for each
 *    participant and currency its day_statements row (balances and totals, one aggregate query), and
 *    the plan — a day_close_messages row for each camt.053 page (limits.statements.entriesPerPageMax
 *    entries each) and each admi.004 DCLS, in sending order, with its MsgId allocated now.
 * 2. Each planned message in a transaction of its own, in plan order: a page reads its entries from
 *    where the previous page ended (the position recorded with it), is built and emitted through the
 *    outbox, and its row is marked sent with the position after its last entry.
 * 3. completed_at: every planned message sent.
 *
 * Every byte of a message follows from the claim (the MsgIds, the close time used as CreDtTm, the
 * totals) and from the closed day's rows, which cannot change: a crash after the claim is resumed by
 * the next attempt (a sweep, a settlement answer, a restart), which sends what was not sent, the same
 * bytes the uninterrupted close would have sent. Closing again finds the day complete and does nothing.
 * Memory is one page (its entries and its XML) whatever the day's size.
 */
import { build as buildAdmi004, schemeEvents } from '../iso/messages/admi.004.001.02/index.ts';
import { build as buildCamt053, type Entry } from '../iso/messages/camt.053.001.08/index.ts';
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';
import { currentBusinessDate } from './business-date.ts';
import { crashPoint } from './crash.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { dateText } from './date-column.ts';
import { emit } from './outbound.ts';
import { sweepHeldTimeouts } from './risk-holds.ts';
import { parsePosition, positionedEntries, positionText, statementOf, statementTotals, type EntryPosition, type StatementTotals } from './statements.ts';

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
 * Close every business day that can be closed, oldest first, after finishing any close a crash (or
 * another process still at work) left incomplete; returns the days this call completed.
 * First, every held real-time payment past its decide-by is rejected AB01 (risk-holds.ts
 * sweepHeldTimeouts): "decided within the scheme timeout or rejected" holds wherever the engine runs,
 * also where no `serve` sweeps (the demo, a CLI cut-off, a settlement answer), and no such payment
 * stays HELD past its day's close (docs/risk.md "Disposal").
 */
export async function closeBusinessDays(ctx: EngineContext): Promise<ClosedDay[]> {
  await sweepHeldTimeouts(ctx, { wait: true });
  const closed: ClosedDay[] = [];
  const finish = async (businessDate: string): Promise<void> => {
    const result = await finishDay(ctx, businessDate);
    if (result) {
      closed.push(result);
      ctx.events?.({ event: 'business-day.closed', ...result });
    }
  };
  const incomplete = await ctx.db.query<{ business_date: string | Date }>(
    'SELECT business_date FROM business_days WHERE completed_at IS NULL ORDER BY business_date');
  for (const day of incomplete) await finish(dateText(day.business_date)!);

  const today = currentBusinessDate(ctx);
  const days = await ctx.db.query<{ business_date: string | Date; settled: boolean; cycles: number }>(
    `SELECT c.business_date, bool_and(c.state = 'SETTLED') AS settled, COUNT(*)::int AS cycles
       FROM cycles c
      WHERE c.business_date < $1::date
        AND NOT EXISTS (SELECT 1 FROM business_days d WHERE d.business_date = c.business_date)
      GROUP BY c.business_date ORDER BY c.business_date`, [today]);
  for (const day of days) {
    // An earlier day still open (a cycle not settled) holds every later day: their opening balances wait for it.
    if (!day.settled) break;
    const businessDate = dateText(day.business_date)!;
    if (await ctx.db.transaction((tx) => claimDay(ctx, tx, businessDate), { retryable: true })) await finish(businessDate);
  }
  return closed;
}

/** The claim: the day closed, its statements' totals, and the plan of every message to send with its MsgId. */
async function claimDay(ctx: EngineContext, tx: Queryable, businessDate: string): Promise<boolean> {
  // Lock the day's cycles; the day must still be closable now that nothing can move under us.
  const cycles = await tx.query<{ id: bigint; state: string }>(
    'SELECT id, state FROM cycles WHERE business_date = $1::date ORDER BY id FOR UPDATE', [businessDate]);
  if (cycles.length === 0 || cycles.some((c) => c.state !== 'SETTLED')) return false;
  const [claimed] = await tx.query<{ business_date: string | Date }>(
    `INSERT INTO business_days (business_date, closed_at, cycles, statements) VALUES ($1::date, $2, $3, 0)
     ON CONFLICT (business_date) DO NOTHING RETURNING business_date`, [businessDate, ctx.clock.now(), cycles.length]);
  if (!claimed) return false; // claimed by another process (or an earlier attempt that committed)
  let seq = 0;
  const plan = async (recipient: string, messageType: string, page?: { currency: string; number: number; last: boolean }): Promise<string> => {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    await tx.query(
      `INSERT INTO day_close_messages (business_date, seq, recipient, message_type, currency, page, last_page, message_id)
       VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8)`,
      [businessDate, seq++, recipient, messageType, page?.currency ?? null, page?.number ?? null, page?.last ?? null, messageId]);
    return messageId;
  };
  let statements = 0;
  for (const participant of [...ctx.config.participants].sort((a, b) => (a.bic < b.bic ? -1 : 1))) {
    for (const currency of [...participant.currencies].sort()) {
      const totals = await statementTotals(tx, businessDate, participant.bic, currency);
      const pages = pageCount(totals);
      let firstMessageId = '';
      for (let number = 1; number <= pages; number++) {
        const messageId = await plan(totals.bic, 'camt.053.001.08', { currency, number, last: number === pages });
        if (number === 1) firstMessageId = messageId;
      }
      await tx.query(
        `INSERT INTO day_statements (business_date, bic, currency, opening_minor, closing_minor, credit_count, credit_minor,
                                     debit_count, debit_minor, pages, first_message_id)
         VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [businessDate, totals.bic, totals.currency, totals.openingMinor, totals.closingMinor, totals.creditCount,
          totals.creditMinor, totals.debitCount, totals.debitMinor, pages, firstMessageId]);
      statements++;
    }
  }
  await tx.query('UPDATE business_days SET statements = $2 WHERE business_date = $1::date', [businessDate, statements]);
  const code = schemeEvents.BUSINESS_DAY_CLOSED;
  await tx.query('INSERT INTO system_events (code, cycle_id, detail) VALUES ($1, NULL, $2)',
    [code, JSON.stringify({ event: 'BUSINESS_DAY_CLOSED', parameters: [businessDate, String(cycles.length), String(statements)] })]);
  // Every participant told, after its statements (later in the plan, so later in the outbox).
  const active = await tx.query<{ bic: string }>("SELECT bic FROM participants WHERE status = 'active' ORDER BY bic");
  for (const { bic } of active) await plan(bic, 'admi.004.001.02');
  return true;
}

interface PlannedMessage {
  readonly seq: number;
  readonly recipient: string;
  readonly message_type: string;
  readonly currency: string | null;
  readonly page: number | null;
  readonly last_page: boolean | null;
  readonly message_id: string;
  readonly message_row_id: bigint | null;
}

/** Sends the day's planned messages not sent yet, in order, each in its own transaction; completes the day. */
async function finishDay(ctx: EngineContext, businessDate: string): Promise<ClosedDay | undefined> {
  let after = -1;
  for (;;) {
    const [next] = await ctx.db.query<{ seq: number }>(
      `SELECT seq FROM day_close_messages WHERE business_date = $1::date AND seq > $2 AND message_row_id IS NULL
        ORDER BY seq LIMIT 1`, [businessDate, after]);
    if (!next) break;
    after = next.seq;
    await ctx.db.transaction((tx) => sendPlanned(ctx, tx, businessDate, next.seq), { retryable: true });
    crashPoint('day-close.after-message');
  }
  const [completed] = await ctx.db.query<{ cycles: number; statements: number }>(
    `UPDATE business_days SET completed_at = $2
      WHERE business_date = $1::date AND completed_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM day_close_messages WHERE business_date = $1::date AND message_row_id IS NULL)
      RETURNING cycles, statements`, [businessDate, ctx.clock.now()]);
  return completed ? { businessDate, cycles: completed.cycles, statements: completed.statements } : undefined;
}

/** One planned message: built from the claim and the closed day's rows, emitted, marked sent (once, whoever gets its lock first). */
async function sendPlanned(ctx: EngineContext, tx: Queryable, businessDate: string, seq: number): Promise<void> {
  const [message] = await tx.query<PlannedMessage>(
    `SELECT seq, recipient, message_type, currency, page, last_page, message_id, message_row_id FROM day_close_messages
      WHERE business_date = $1::date AND seq = $2 FOR UPDATE`, [businessDate, seq]);
  if (!message || message.message_row_id !== null) return; // sent by another process meanwhile
  const [day] = await tx.query<{ closed_at: Date; cycles: number }>(
    'SELECT closed_at, cycles FROM business_days WHERE business_date = $1::date', [businessDate]);
  const createdAt = isoDateTime(day!.closed_at);
  let xml: string;
  let endPosition: string | null = null;
  if (message.message_type === 'camt.053.001.08') {
    const page = await statementPage(ctx, tx, businessDate, message, createdAt);
    xml = page.xml;
    endPosition = page.end === undefined ? null : positionText(page.end);
  } else {
    const [mine] = await tx.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM day_statements WHERE business_date = $1::date AND bic = $2', [businessDate, message.recipient]);
    xml = buildAdmi004({ event: {
      code: schemeEvents.BUSINESS_DAY_CLOSED, parameters: [businessDate, String(day!.cycles), String(mine!.n)], time: createdAt,
      description: `business day ${businessDate} closed: ${day!.cycles} cycle(s); camt.053 statements sent`,
    } });
  }
  const sent = await emit(tx, { recipient: message.recipient, messageType: message.message_type, messageId: message.message_id, xml });
  await tx.query('UPDATE day_close_messages SET message_row_id = $3, end_position = $4 WHERE business_date = $1::date AND seq = $2',
    [businessDate, seq, sent.messageRowId, endPosition]);
}

/** How many camt.053 pages a statement has: entriesPerPageMax entries each, one page when it has none. */
function pageCount(totals: StatementTotals): number {
  const entries = totals.creditCount + totals.debitCount;
  const perPage = BigInt(limits.statements.entriesPerPageMax);
  return entries === 0n ? 1 : Number((entries + perPage - 1n) / perPage);
}

/** A statement's totals as the close stored them (day_statements), or undefined when it has none. */
async function storedTotals(tx: Queryable, businessDate: string, bic: string, currency: string): Promise<StatementTotals | undefined> {
  const [row] = await tx.query<{ opening_minor: bigint; closing_minor: bigint; credit_count: bigint; credit_minor: bigint; debit_count: bigint; debit_minor: bigint }>(
    `SELECT opening_minor, closing_minor, credit_count, credit_minor, debit_count, debit_minor FROM day_statements
      WHERE business_date = $1::date AND bic = $2 AND currency = $3`, [businessDate, bic, currency]);
  if (!row) return undefined;
  return {
    businessDate, bic, currency, openingMinor: BigInt(row.opening_minor), closingMinor: BigInt(row.closing_minor),
    creditCount: BigInt(row.credit_count), creditMinor: BigInt(row.credit_minor), debitCount: BigInt(row.debit_count), debitMinor: BigInt(row.debit_minor),
  };
}

/** A camt.053 page of the close: the entries after the previous page's end (recorded with that page in the plan). */
async function statementPage(ctx: EngineContext, tx: Queryable, businessDate: string, message: PlannedMessage, createdAt: string)
  : Promise<{ xml: string; end: EntryPosition | undefined }> {
  const bic = message.recipient;
  const currency = message.currency!;
  const number = message.page!;
  const totals = await storedTotals(tx, businessDate, bic, currency);
  if (!totals) throw new Error(`statement ${bic} ${currency} ${businessDate}: planned without its day_statements row`);
  let start: EntryPosition | undefined;
  if (number > 1) {
    // The previous page of this statement is the previous message of the plan, sent before this one.
    const [previous] = await tx.query<{ end_position: string | null; page: number | null }>(
      'SELECT end_position, page FROM day_close_messages WHERE business_date = $1::date AND seq = $2', [businessDate, message.seq - 1]);
    if (previous?.page !== number - 1 || previous.end_position === null) {
      throw new Error(`statement ${bic} ${currency} ${businessDate}: page ${number - 1} not sent before page ${number}`);
    }
    start = parsePosition(previous.end_position);
  }
  return buildPage(ctx, tx, totals, { messageId: message.message_id, createdAt, statementCreatedAt: createdAt, number, last: message.last_page!, start });
}

/**
 * One camt.053 page built: the entries after `start` (at most entriesPerPageMax; the last page all the
 * rest), the group header and the statement (CreDtTm: when the close claimed the day), optionally
 * marked as a copy. The close and a statement asked for again build their pages here, so both split
 * the statement at the same entries.
 */
async function buildPage(ctx: EngineContext, tx: Queryable, totals: StatementTotals, page: {
  readonly messageId: string; readonly createdAt: string; readonly statementCreatedAt: string; readonly number: number; readonly last: boolean;
  readonly start: EntryPosition | undefined; readonly copyDuplicate?: 'DUPL';
}): Promise<{ xml: string; end: EntryPosition | undefined }> {
  const { bic, currency, businessDate } = totals;
  const perPage = limits.statements.entriesPerPageMax;
  const expected = totals.creditCount + totals.debitCount;
  const wanted = page.last ? expected - BigInt((page.number - 1) * perPage) : BigInt(perPage);
  const entries: Entry[] = [];
  let end: EntryPosition | undefined;
  for await (const { entry, position } of positionedEntries(tx, totals, { switchBic: ctx.switchBic, ...(page.start ? { after: page.start } : {}) })) {
    if (!page.last && entries.length >= perPage) break;
    entries.push(entry);
    end = position;
  }
  if (BigInt(entries.length) !== wanted) {
    // The totals and the entries are rows of a closed day: they cannot differ.
    throw new Error(`statement ${bic} ${currency} ${businessDate} page ${page.number}: ${entries.length} entries read, ${wanted} counted`);
  }
  const xml = buildCamt053({
    groupHeader: {
      messageId: page.messageId, creationDateTime: page.createdAt, recipient: { anyBic: bic },
      pagination: { pageNumber: String(page.number), lastPage: page.last },
    },
    statements: [{
      ...statementOf(totals, ctx.switchBic, page.statementCreatedAt, entries),
      ...(page.copyDuplicate ? { copyDuplicate: page.copyDuplicate } : {}),
    }],
  });
  return { xml, end };
}

/**
 * The statement of a closed day sent again (a camt.060 asking for it, account-report.ts): rebuilt from
 * the day's day_statements row (balances and totals as sent at the close) and its entries, which a
 * closed day can no longer change; the same Stmt/Id, Stmt/CreDtTm (the close) and paging as the
 * original, marked CpyDplctInd DUPL, under new MsgIds created now. Undefined when the day's close has
 * not completed or it has no statement of this participant and currency; otherwise the first page's
 * MsgId and the pages.
 */
export async function emitStatementDuplicate(ctx: EngineContext, tx: Queryable, businessDate: string, bic: string, currency: string)
  : Promise<{ pages: number; firstMessageId: string } | undefined> {
  const [day] = await tx.query<{ closed_at: Date }>(
    'SELECT closed_at FROM business_days WHERE business_date = $1::date AND completed_at IS NOT NULL', [businessDate]);
  const totals = day ? await storedTotals(tx, businessDate, bic, currency) : undefined;
  if (!day || !totals) return undefined;
  const pages = pageCount(totals);
  const createdAt = isoDateTime(ctx.clock.now());
  const statementCreatedAt = isoDateTime(new Date(day.closed_at));
  let start: EntryPosition | undefined;
  let firstMessageId = '';
  for (let number = 1; number <= pages; number++) {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    if (number === 1) firstMessageId = messageId;
    const page = await buildPage(ctx, tx, totals, { messageId, createdAt, statementCreatedAt, number, last: number === pages, start, copyDuplicate: 'DUPL' });
    await emit(tx, { recipient: bic, messageType: 'camt.053.001.08', messageId, xml: page.xml });
    start = page.end;
  }
  return { pages, firstMessageId };
}

/** Refuse, with a clear error, a change to a cycle of a closed day (the store's trigger is the guarantee). */
export async function requireOpenDay(tx: Queryable, cycleId: bigint): Promise<void> {
  const [row] = await tx.query<{ business_date: string | Date }>(
    `SELECT d.business_date FROM cycles c JOIN business_days d ON d.business_date = c.business_date WHERE c.id = $1`, [cycleId]);
  if (row) throw new BusinessDayClosedError(`cycle ${cycleId} belongs to business day ${dateText(row.business_date)}, which is closed: it cannot change`);
}
