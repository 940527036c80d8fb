/**
 * The business-day statement (camt.053) of one participant and currency: every entry that moved its
 * position on the day, cycle by cycle (each settled payment and return, as debtor or creditor, and
 * each settled settlement instruction), with the opening balance (the previous closed day's closing
 * balance, 0 on the first day) and the closing balance that follows from them.
 *
 * The position account is the participant's clearing position at the switch: a payment it sends is
 * a debit (DBIT), one it receives a credit (CRDT); at settlement its pacs.009 brings the cycle's net
 * back to zero (a DEBIT instruction, the participant paying its net debit to the scheme, is booked as
 * a credit here, and a CREDIT instruction as a debit). So a day whose cycles all settled closes at the
 * balance it opened with, and each cycle's entries show the net position the agent settled.
 *
 * Read in bounded memory: the totals first (one aggregate query: balances and the summary precede the
 * entries in the XML), then the entries a keyset batch at a time (limits.statements.readBatchRows).
 */
import { formatAmount } from '../iso/amount.ts';
import { buildStream, type Balance, type Entry, type TransactionsSummary } from '../iso/messages/camt.053.001.08/index.ts';
import { limits } from '../limits.ts';
import type { Queryable } from '../store/database.ts';

/** What a statement says before its entries: the participant, its balances and its totals. */
export interface StatementTotals {
  readonly businessDate: string;
  readonly bic: string;
  readonly currency: string;
  readonly openingMinor: bigint;
  readonly closingMinor: bigint;
  readonly creditCount: bigint;
  readonly creditMinor: bigint;
  readonly debitCount: bigint;
  readonly debitMinor: bigint;
}

/** The cycles of a business day, in order. */
export async function cyclesOfDay(db: Queryable, businessDate: string): Promise<bigint[]> {
  const rows = await db.query<{ id: bigint }>('SELECT id FROM cycles WHERE business_date = $1::date ORDER BY id', [businessDate]);
  return rows.map((r) => r.id);
}

/** The closing balance of the participant's latest closed statement before `businessDate` (0 when none). */
export async function openingBalance(db: Queryable, businessDate: string, bic: string, currency: string): Promise<bigint> {
  const [row] = await db.query<{ closing_minor: bigint }>(
    `SELECT closing_minor FROM day_statements WHERE bic = $1 AND currency = $2 AND business_date < $3::date
      ORDER BY business_date DESC LIMIT 1`, [bic, currency, businessDate]);
  return row ? BigInt(row.closing_minor) : 0n;
}

/** Counts and sums of the day's entries for one participant and currency (one pass, no rows kept). */
export async function statementTotals(db: Queryable, businessDate: string, bic: string, currency: string): Promise<StatementTotals> {
  const [p] = await db.query<{ cc: bigint; cm: bigint; dc: bigint; dm: bigint }>(
    `SELECT COUNT(*) FILTER (WHERE p.creditor_agent = $2)::bigint AS cc,
            COALESCE(SUM(p.amount_minor) FILTER (WHERE p.creditor_agent = $2), 0)::bigint AS cm,
            COUNT(*) FILTER (WHERE p.debtor_agent = $2)::bigint AS dc,
            COALESCE(SUM(p.amount_minor) FILTER (WHERE p.debtor_agent = $2), 0)::bigint AS dm
       FROM cycles c JOIN payments_effective p ON p.cycle_id = c.id
      WHERE c.business_date = $1::date AND p.state IN ('SETTLED', 'RETURNED') AND p.currency = $3
        AND (p.debtor_agent = $2 OR p.creditor_agent = $2)`, [businessDate, bic, currency]);
  const [s] = await db.query<{ cc: bigint; cm: bigint; dc: bigint; dm: bigint }>(
    `SELECT COUNT(*) FILTER (WHERE s.direction = 'DEBIT')::bigint AS cc,
            COALESCE(SUM(s.amount_minor) FILTER (WHERE s.direction = 'DEBIT'), 0)::bigint AS cm,
            COUNT(*) FILTER (WHERE s.direction = 'CREDIT')::bigint AS dc,
            COALESCE(SUM(s.amount_minor) FILTER (WHERE s.direction = 'CREDIT'), 0)::bigint AS dm
       FROM cycles c JOIN settlement_instructions s ON s.cycle_id = c.id
      WHERE c.business_date = $1::date AND s.state = 'SETTLED' AND s.bic = $2 AND s.currency = $3`, [businessDate, bic, currency]);
  const openingMinor = await openingBalance(db, businessDate, bic, currency);
  const creditMinor = BigInt(p!.cm) + BigInt(s!.cm);
  const debitMinor = BigInt(p!.dm) + BigInt(s!.dm);
  return {
    businessDate, bic, currency, openingMinor, closingMinor: openingMinor + creditMinor - debitMinor,
    creditCount: BigInt(p!.cc) + BigInt(s!.cc), creditMinor, debitCount: BigInt(p!.dc) + BigInt(s!.dc), debitMinor,
  };
}

interface PaymentRow {
  readonly id: bigint;
  readonly kind: 'CREDIT' | 'RETURN';
  readonly transaction_id: string | null;
  readonly end_to_end_id: string | null;
  readonly uetr: string | null;
  readonly debtor_agent: string;
  readonly creditor_agent: string;
  readonly amount_minor: bigint;
}

/**
 * Where the reading of a statement stands: just after the entry at this key. Entries are in booking
 * order, which is the order of (cycle id, group: 0 payments / 1 settlement instructions, row id, half:
 * 0 the DBIT / 1 the CRDT of a payment). The close records it after each page (day-close.ts) so that
 * the next page, in a later transaction or after a crash, starts exactly where the last one ended.
 */
export interface EntryPosition {
  readonly cycleId: bigint;
  readonly group: 0 | 1;
  readonly id: bigint;
  readonly half: 0 | 1;
}

export function positionText(p: EntryPosition): string {
  return `${p.cycleId}:${p.group}:${p.id}:${p.half}`;
}

export function parsePosition(text: string): EntryPosition {
  const [cycleId, group, id, half] = text.split(':');
  if (half === undefined || (group !== '0' && group !== '1') || (half !== '0' && half !== '1')) throw new Error(`not a statement position: ${text}`);
  return { cycleId: BigInt(cycleId!), group: group === '0' ? 0 : 1, id: BigInt(id!), half: half === '0' ? 0 : 1 };
}

/**
 * The day's entries for one participant and currency, in booking order: per cycle, its settled
 * payments (id order; a payment between two accounts of the same participant is a debit and a
 * credit), then its settled settlement instructions. Batches of limits.statements.readBatchRows.
 */
export async function* statementEntries(db: Queryable, totals: Pick<StatementTotals, 'businessDate' | 'bic' | 'currency'>,
  options: { readonly switchBic: string; readonly batchRows?: number }): AsyncGenerator<Entry> {
  for await (const { entry } of positionedEntries(db, totals, options)) yield entry;
}

/** The entries of statementEntries, each with its position; from just after `after` when given. */
export async function* positionedEntries(db: Queryable, totals: Pick<StatementTotals, 'businessDate' | 'bic' | 'currency'>,
  options: { readonly switchBic: string; readonly batchRows?: number; readonly after?: EntryPosition })
  : AsyncGenerator<{ readonly entry: Entry; readonly position: EntryPosition }> {
  const { businessDate, bic, currency } = totals;
  const batch = options.batchRows ?? limits.statements.readBatchRows;
  const after = options.after;
  for (const cycleId of await cyclesOfDay(db, businessDate)) {
    if (after !== undefined && cycleId < after.cycleId) continue;
    const resumeHere = after !== undefined && cycleId === after.cycleId;
    if (!(resumeHere && after.group === 1)) {
      yield* positionedPaymentEntries(db, { cycleId, businessDate, bic, currency, batchRows: batch,
        ...(resumeHere ? { after: { id: after.id, half: after.half } } : {}) });
    }
    const instructions = await db.query<{ id: bigint; instruction_id: string; direction: 'DEBIT' | 'CREDIT'; amount_minor: bigint; cycle_id: bigint }>(
      `SELECT id, instruction_id, direction, amount_minor, cycle_id FROM settlement_instructions
        WHERE cycle_id = $1 AND state = 'SETTLED' AND bic = $2 AND currency = $3 AND id > $4 ORDER BY id`,
      [cycleId, bic, currency, resumeHere && after.group === 1 ? after.id : 0n]);
    for (const i of instructions) {
      // DEBIT: the participant paid the scheme, its position is credited back to zero (and the reverse).
      const creditDebit = i.direction === 'DEBIT' ? 'CRDT' : 'DBIT';
      const entry: Entry = {
        reference: i.instruction_id,
        amount: { currency, value: formatAmount(BigInt(i.amount_minor), currency) },
        creditDebit,
        status: { code: 'BOOK' },
        bookingDate: { date: businessDate },
        valueDate: { date: businessDate },
        accountServicerReference: i.instruction_id,
        bankTransactionCode: {
          domain: { code: 'PMNT', family: creditDebit === 'CRDT' ? 'RCDT' : 'ICDT', subFamily: 'FICT' },
          proprietary: { code: 'NETSETTLEMENT', issuer: options.switchBic.slice(0, 35) },
        },
        details: [{
          transactions: [{
            references: { instructionId: i.instruction_id, endToEndId: i.instruction_id, transactionId: i.instruction_id },
            amount: { currency, value: formatAmount(BigInt(i.amount_minor), currency) },
            creditDebit,
            // The pacs.009's parties: the participant and the switch, both banks (Party40Choice Agt).
            debtor: { agent: i.direction === 'DEBIT' ? bic : options.switchBic },
            creditor: { agent: i.direction === 'DEBIT' ? options.switchBic : bic },
            remittanceInformation: [`cycle ${i.cycle_id}`],
          }],
        }],
      };
      yield { entry, position: { cycleId, group: 1, id: BigInt(i.id), half: 0 } };
    }
  }
}

/** The settled payments of one cycle for one participant and currency, as entries, a keyset batch at a time. */
export async function* cyclePaymentEntries(db: Queryable, options: { readonly cycleId: bigint; readonly businessDate: string;
  readonly bic: string; readonly currency: string; readonly batchRows?: number }): AsyncGenerator<Entry> {
  for await (const { entry } of positionedPaymentEntries(db, options)) yield entry;
}

/** cyclePaymentEntries with each entry's position, from just after (payment id, half) `after` when given. */
async function* positionedPaymentEntries(db: Queryable, options: { readonly cycleId: bigint; readonly businessDate: string;
  readonly bic: string; readonly currency: string; readonly batchRows?: number; readonly after?: { readonly id: bigint; readonly half: 0 | 1 } })
  : AsyncGenerator<{ readonly entry: Entry; readonly position: EntryPosition }> {
  const { cycleId, businessDate, bic, currency } = options;
  const batch = options.batchRows ?? limits.statements.readBatchRows;
  // Resuming after the DBIT half of a payment to itself: that payment is read again for its CRDT half.
  const resume = options.after;
  let after = resume === undefined ? 0n : resume.half === 0 ? resume.id - 1n : resume.id;
  for (;;) {
    const rows = await db.query<PaymentRow>(
      `SELECT id, kind, transaction_id, end_to_end_id, uetr, debtor_agent, creditor_agent, amount_minor FROM payments_effective
        WHERE cycle_id = $1 AND state IN ('SETTLED', 'RETURNED') AND id > $2 AND currency = $3
          AND (debtor_agent = $4 OR creditor_agent = $4)
        ORDER BY id LIMIT $5`, [cycleId, after, currency, bic, batch]);
    for (const row of rows) {
      const id = BigInt(row.id);
      const skipDebit = resume !== undefined && id === resume.id; // its DBIT half was the last entry read
      if (row.debtor_agent === bic && !skipDebit) yield { entry: paymentEntry(row, 'DBIT', businessDate, currency), position: { cycleId, group: 0, id, half: 0 } };
      if (row.creditor_agent === bic) yield { entry: paymentEntry(row, 'CRDT', businessDate, currency), position: { cycleId, group: 0, id, half: 1 } };
    }
    if (rows.length < batch) break;
    after = rows[rows.length - 1]!.id;
  }
}

function paymentEntry(row: PaymentRow, creditDebit: 'CRDT' | 'DBIT', businessDate: string, currency: string): Entry {
  const amount = { currency, value: formatAmount(BigInt(row.amount_minor), currency) };
  const reference = `P${row.id}`;
  const family = creditDebit === 'DBIT' ? 'ICDT' : 'RCDT';
  return {
    reference,
    amount,
    creditDebit,
    status: { code: 'BOOK' },
    bookingDate: { date: businessDate },
    valueDate: { date: businessDate },
    accountServicerReference: reference,
    bankTransactionCode: { domain: { code: 'PMNT', family, subFamily: row.kind === 'RETURN' ? 'RRTN' : 'ESCT' } },
    details: [{
      transactions: [{
        references: {
          ...(row.end_to_end_id !== null ? { endToEndId: row.end_to_end_id } : {}),
          ...(row.uetr !== null ? { uetr: row.uetr } : {}),
          ...(row.transaction_id !== null ? { transactionId: row.transaction_id } : {}),
        },
        amount,
        creditDebit,
        debtorAgent: row.debtor_agent,
        creditorAgent: row.creditor_agent,
        remittanceInformation: [],
      }],
    }],
  };
}

/** OPBD and CLBD of the statement, dated on its business day. */
export function statementBalances(totals: StatementTotals): Balance[] {
  const balance = (code: string, minor: bigint): Balance => ({
    type: { code },
    amount: { currency: totals.currency, value: formatAmount(minor < 0n ? -minor : minor, totals.currency) },
    creditDebit: minor < 0n ? 'DBIT' : 'CRDT',
    date: { date: totals.businessDate },
  });
  return [balance('OPBD', totals.openingMinor), balance('CLBD', totals.closingMinor)];
}

/** TxsSummry: all entries with their net, the credits and the debits. */
export function statementSummary(totals: StatementTotals): TransactionsSummary {
  const net = totals.creditMinor - totals.debitMinor;
  const text = (minor: bigint): string => formatAmount(minor, totals.currency);
  return {
    total: {
      count: (totals.creditCount + totals.debitCount).toString(),
      sum: text(totals.creditMinor + totals.debitMinor),
      net: { amount: text(net < 0n ? -net : net), creditDebit: net < 0n ? 'DBIT' : 'CRDT' },
    },
    credits: { count: totals.creditCount.toString(), sum: text(totals.creditMinor) },
    debits: { count: totals.debitCount.toString(), sum: text(totals.debitMinor) },
  };
}

/** The statement's account: the participant's position account at the switch, as camt.054 names it. */
export function statementAccount(bic: string, currency: string, switchBic: string) {
  return { id: { other: `${bic}-${currency}-SETTLEMENT` }, currency, servicer: switchBic } as const;
}

/**
 * The whole camt.053 of one participant, currency and day as text chunks (for a file: the demo's
 * output, `npm run bench`), in bounded memory: totals first, then the entries as they are read.
 */
export async function* statementDocument(db: Queryable, options: {
  readonly businessDate: string;
  readonly bic: string;
  readonly currency: string;
  readonly switchBic: string;
  readonly messageId: string;
  readonly createdAt: string;
  readonly batchRows?: number;
}): AsyncGenerator<string> {
  const totals = await statementTotals(db, options.businessDate, options.bic, options.currency);
  yield* buildStream(
    { messageId: options.messageId, creationDateTime: options.createdAt, recipient: { anyBic: options.bic } },
    statementOf(totals, options.switchBic, options.createdAt, []),
    statementEntries(db, totals, options),
  );
}

/** The AccountStatement of `totals` with the given entries (a page, or none for a stream). */
export function statementOf(totals: StatementTotals, switchBic: string, createdAt: string, entries: readonly Entry[]) {
  return {
    id: statementId(totals),
    creationDateTime: createdAt,
    account: statementAccount(totals.bic, totals.currency, switchBic),
    balances: statementBalances(totals),
    summary: statementSummary(totals),
    entries,
  };
}

/** Stmt/Id: STM-<date>-<BIC>-<currency> (at most 30 characters of Max35Text). */
export function statementId(totals: Pick<StatementTotals, 'businessDate' | 'bic' | 'currency'>): string {
  return `STM-${totals.businessDate}-${totals.bic}-${totals.currency}`;
}
