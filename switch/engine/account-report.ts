/**
 * camt.060 account reporting requests, answered (docs/reports.md, "Intraday report (camt.052)"): for
 * each request for a camt.052.001.08, one camt.052 to the requester with its intraday position per
 * currency it holds (or the currency of the account it names, `<BIC>-<CCY>-SETTLEMENT`). A participant
 * asks for its own account only: the rules refuse (AG08) an account owner that names another bank
 * (rules.ts SENDER_PARTIES), and the report is always of the authenticated sender's account, whatever
 * else the request says.
 *
 * A request for a camt.053.001.08 names a closed business day (RptgPrd/FrToDt/FrDt) and gets that
 * day's statement of its account(s) again, rebuilt from the stored totals and the day's entries (a
 * closed day cannot change) and marked CpyDplctInd DUPL (day-close.ts emitStatementDuplicate). A day
 * not closed yet is refused DT01, a day without a statement TD01, with the reason in the text. A
 * request for any other message is refused with the reason.
 *
 * The balances (camt.052.001.08 reportBalanceTypes, plus the scheme's proprietary ones):
 *   ITBD         net position of the cycles not yet settled: accepted, netted and committed payments
 *                received less those sent (CRDT long, DBIT short)
 *   ITAV         real-time headroom: net debit cap + committed real-time net − reserved (exposures)
 *   NETDEBITCAP  the cap itself
 *   QUEUED       real-time payments the participant sent that wait for headroom
 *   HELD         payments the participant sent that the risk stage holds
 */
import { formatAmount } from '../iso/amount.ts';
import { build as buildCamt052, reportBalanceTypes, type Balance } from '../iso/messages/camt.052.001.08/index.ts';
import { parseXml as parseCamt060, type ReportingPeriod } from '../iso/messages/camt.060.001.05/index.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { Queryable } from '../store/database.ts';
import { currentBusinessDate } from './business-date.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emitStatementDuplicate } from './day-close.ts';
import { documentText, refuse, type Handled, type ParsedInbound } from './inbound-message.ts';
import { emit } from './outbound.ts';
import { statementAccount } from './statements.ts';

const CAMT052 = 'camt.052.001.08';
const CAMT053 = 'camt.053.001.08';

export interface IntradayPosition {
  readonly currency: string;
  readonly netMinor: bigint;
  readonly headroomMinor: bigint;
  readonly capMinor: bigint;
  readonly queuedMinor: bigint;
  readonly heldMinor: bigint;
}

/** The participant's intraday figures in one currency (read in the caller's transaction). */
export async function intradayPosition(tx: Queryable, bic: string, currency: string): Promise<IntradayPosition> {
  const [net] = await tx.query<{ net: bigint }>(
    `SELECT COALESCE(SUM(CASE WHEN p.creditor_agent = $1 THEN p.amount_minor ELSE 0 END)
                   - SUM(CASE WHEN p.debtor_agent = $1 THEN p.amount_minor ELSE 0 END), 0)::bigint AS net
       FROM payments_effective p JOIN cycles c ON c.id = p.cycle_id
      WHERE c.state <> 'SETTLED' AND p.currency = $2 AND p.state IN ('ACCEPTED', 'NETTED', 'COMMITTED')
        AND (p.debtor_agent = $1 OR p.creditor_agent = $1)`, [bic, currency]);
  const [exposure] = await tx.query<{ cap_minor: bigint; net_minor: bigint; reserved_minor: bigint }>(
    'SELECT cap_minor, net_minor, reserved_minor FROM exposures WHERE bic = $1 AND currency = $2', [bic, currency]);
  const [waiting] = await tx.query<{ queued: bigint; held: bigint }>(
    `SELECT COALESCE(SUM(amount_minor) FILTER (WHERE state = 'QUEUED'), 0)::bigint AS queued,
            COALESCE(SUM(amount_minor) FILTER (WHERE state = 'HELD'), 0)::bigint AS held
       FROM payments WHERE debtor_agent = $1 AND currency = $2 AND pending_state IN ('QUEUED', 'HELD')`, [bic, currency]);
  const cap = exposure ? BigInt(exposure.cap_minor) : 0n;
  const headroom = exposure ? cap + BigInt(exposure.net_minor) - BigInt(exposure.reserved_minor) : 0n;
  return { currency, netMinor: BigInt(net!.net), headroomMinor: headroom, capMinor: cap, queuedMinor: BigInt(waiting!.queued), heldMinor: BigInt(waiting!.held) };
}

function balances(position: IntradayPosition, date: string): Balance[] {
  const balance = (type: Balance['type'], minor: bigint): Balance => ({
    type, amount: { currency: position.currency, value: formatAmount(minor < 0n ? -minor : minor, position.currency) },
    creditDebit: minor < 0n ? 'DBIT' : 'CRDT', date: { date },
  });
  return [
    balance(reportBalanceTypes.netPosition, position.netMinor),
    balance(reportBalanceTypes.headroom, position.headroomMinor),
    balance(reportBalanceTypes.netDebitCap, position.capMinor),
    balance({ proprietary: 'QUEUED' }, position.queuedMinor),
    balance({ proprietary: 'HELD' }, position.heldMinor),
  ];
}

/** A camt.052 of `bic`'s position in `currencies`, emitted to it; returns its MsgId. */
export async function emitIntradayReport(ctx: EngineContext, tx: Queryable, bic: string, currencies: readonly string[]): Promise<string> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const now = isoDateTime(ctx.clock.now());
  const date = currentBusinessDate(ctx);
  const reports = [];
  for (const [index, currency] of currencies.entries()) {
    reports.push({
      id: `${messageId}-${index + 1}`, creationDateTime: now,
      account: statementAccount(bic, currency, ctx.switchBic),
      balances: balances(await intradayPosition(tx, bic, currency), date),
      entries: [],
    });
  }
  const xml = buildCamt052({ groupHeader: { messageId, creationDateTime: now, recipient: { anyBic: bic } }, reports });
  await emit(tx, { recipient: bic, messageType: CAMT052, messageId, xml });
  return messageId;
}

/** One request, checked: what to emit once every request of the message passed. */
type Answer =
  | { readonly kind: 'intraday'; readonly currencies: readonly string[] }
  | { readonly kind: 'statement'; readonly businessDate: string; readonly currencies: readonly string[] };

export async function handleAccountReportingRequest(ctx: EngineContext, tx: Queryable, inbound: ParsedInbound): Promise<Handled> {
  const request = parseCamt060(documentText(inbound.bytes));
  const held = ctx.config.participants.find((p) => p.bic === inbound.sender)?.currencies ?? [];
  const other = request.requests.find((r) => r.requestedMessageNameId !== CAMT052 && r.requestedMessageNameId !== CAMT053);
  if (other) {
    return { answered: false, report: refuse(inbound.report, `${other.requestedMessageNameId} is not reported on request: ` +
      `ask for ${CAMT052} (intraday position) or ${CAMT053} (the statement of a closed business day)`) };
  }
  // Every request is checked before anything is emitted: a refused message reports nothing.
  const answers: Answer[] = [];
  for (const r of request.requests) {
    const named = r.account && 'other' in r.account ? /^(.+)-([A-Z]{3})-SETTLEMENT$/.exec(r.account.other) : null;
    if (r.account && (!named || named[1] !== inbound.sender || !held.includes(named[2]!))) {
      return { answered: false, report: refuse(inbound.report,
        `account ${'iban' in r.account ? r.account.iban : r.account.other} is not one of ${inbound.sender}'s position accounts (<BIC>-<CCY>-SETTLEMENT)`,
        REASON.senderMismatch) };
    }
    const currencies = named ? [named[2]!] : held;
    if (r.requestedMessageNameId === CAMT052) {
      answers.push({ kind: 'intraday', currencies });
      continue;
    }
    const refusal = await statementRefusal(ctx, tx, r.period, inbound.sender, currencies);
    if (refusal) return { answered: false, report: refuse(inbound.report, refusal.message, refusal.code) };
    answers.push({ kind: 'statement', businessDate: r.period!.dates.from, currencies });
  }
  for (const answer of answers) {
    if (answer.kind === 'intraday') await emitIntradayReport(ctx, tx, inbound.sender, answer.currencies);
    else for (const currency of answer.currencies) await emitStatementDuplicate(ctx, tx, answer.businessDate, inbound.sender, currency);
  }
  return { answered: true, report: inbound.report };
}

/**
 * Why a camt.053 request cannot be answered, or undefined: it names one business day (RptgPrd/FrToDt:
 * FrDt, and ToDt absent or the same), that day is closed, and it has a statement of each account asked.
 */
async function statementRefusal(ctx: EngineContext, tx: Queryable, period: ReportingPeriod | undefined, bic: string,
  currencies: readonly string[]): Promise<{ code: string; message: string } | undefined> {
  if (!period) {
    return { code: REASON.requiredElementMissing, message: `a ${CAMT053} request names the closed business day in RptgPrd/FrToDt/FrDt` };
  }
  const date = period.dates.from;
  if (period.dates.to !== undefined && period.dates.to !== date) {
    return { code: REASON.invalidDate, message: `RptgPrd/FrToDt ${date} to ${period.dates.to}: a ${CAMT053} request names one business day (FrDt, ToDt the same or absent)` };
  }
  const [day] = await tx.query<{ closed: boolean; cycles: number }>(
    `SELECT EXISTS (SELECT 1 FROM business_days WHERE business_date = $1::date AND completed_at IS NOT NULL) AS closed,
            (SELECT COUNT(*) FROM cycles WHERE business_date = $1::date)::int AS cycles`, [date]);
  if (!day!.closed) {
    if (date >= currentBusinessDate(ctx) || day!.cycles > 0) {
      return { code: REASON.statementDayNotClosed, message: `business day ${date} is not closed yet: its ${CAMT053} statement is sent when the day closes` };
    }
    return { code: REASON.statementNotAvailable, message: `${date} is not a business day of the switch (no cycle ran on it): there is no statement of it` };
  }
  for (const currency of currencies) {
    const [row] = await tx.query<{ bic: string }>(
      'SELECT bic FROM day_statements WHERE business_date = $1::date AND bic = $2 AND currency = $3', [date, bic, currency]);
    if (!row) return { code: REASON.statementNotAvailable, message: `no statement of ${bic}-${currency}-SETTLEMENT for business day ${date}` };
  }
  return undefined;
}
