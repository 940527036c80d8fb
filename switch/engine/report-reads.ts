/**
 * The reads behind the reconciliation and statistics reports (switch/reports/, docs/reports.md):
 * aggregations done by the database (GROUP BY), and the few lists a report needs (the settlement
 * agent's messages, the headers of delivered bulk files) read through a cursor in batches of
 * limits.reportCursorBatchRows, so a day of ten million payments is reported in bounded memory.
 * Reading only: every statement is a SELECT (a read-only engine runs them in READ ONLY transactions).
 *
 * The scope of a report is a set of cycles plus, for the payments that belong to no cycle (real-time
 * payments refused or released, payments cancelled or warehoused), a range of settlement dates: a
 * payment's business day is its cycle's, else its interbank settlement date (docs/reports.md "Scope").
 */
import { limits } from '../limits.ts';
import type { Database, Queryable } from '../store/database.ts';

/** Which payments a report reads: those of `cycleIds`, and those of no cycle dated within [fromDate, toDate]. */
export interface ReportScope {
  readonly cycleIds: readonly bigint[];
  /** Both absent: only the cycles' payments (a cycle's report). */
  readonly fromDate?: string;
  readonly toDate?: string;
  /** Only payments this participant sent or received (as debtor or creditor agent). */
  readonly participant?: string;
}

export interface CycleRow {
  readonly id: bigint;
  readonly businessDate: string;
  readonly sequence: number;
  readonly state: string;
}

/** Count and sum of payments of one class, per debtor (sent) or creditor (received) agent and currency. */
export interface FigureRow {
  readonly participant: string;
  readonly currency: string;
  /** The figure's name (docs/reports.md "Reconciliation figures"). */
  readonly figure: string;
  readonly count: bigint;
  readonly sumMinor: bigint;
}

export interface PositionRow {
  readonly cycleId: bigint;
  readonly participant: string;
  readonly currency: string;
  readonly netMinor: bigint;
}

export interface InstructionRow {
  readonly cycleId: bigint;
  readonly attempt: number;
  readonly participant: string;
  readonly currency: string;
  readonly direction: 'DEBIT' | 'CREDIT';
  readonly amountMinor: bigint;
  readonly instructionId: string;
  readonly state: string;
  readonly reasonCode: string | null;
}

/** A stored message as a report reads it: the whole document, or only its first bytes (`prefix`). */
export interface MessageRow {
  readonly id: bigint;
  readonly direction: 'in' | 'out';
  readonly participant: string;
  readonly messageType: string | null;
  readonly messageId: string | null;
  readonly bytes: Uint8Array;
  /** The outbox state of an outbound message (DELIVERED, PENDING, FAILED), and whether a delivery attempt succeeded. */
  readonly outboxState: string | null;
  readonly deliveredOk: boolean;
}

/** Keyed counts and sums of the statistics (docs/reports.md "Statistics"). */
export interface KeyedRow {
  readonly key: readonly string[];
  readonly count: bigint;
  readonly sumMinor: bigint;
}

export interface ReportReads {
  /** The cycles of business dates within [fromDate, toDate], or the cycle `id`, in order. */
  cycles(selection: { readonly fromDate: string; readonly toDate: string } | { readonly id: bigint }): Promise<CycleRow[]>;
  /** The payments of the scope by class (their state now), per debtor agent and currency ('sent.<class>') and creditor agent ('received.<class>.<mode>.<kind>'). */
  paymentFigures(scope: ReportScope): Promise<FigureRow[]>;
  /** The payments of the scope by what their recorded transitions say (netted, unwound, settled), per debtor agent and currency. */
  historyFigures(scope: ReportScope): Promise<FigureRow[]>;
  /** Per cycle of the scope, participant and currency: the net of the payments kept in it (credits minus debits), by class. */
  paymentNets(scope: ReportScope): Promise<Array<PositionRow & { readonly settledOnly: boolean }>>;
  positions(cycleIds: readonly bigint[]): Promise<PositionRow[]>;
  instructions(cycleIds: readonly bigint[]): Promise<InstructionRow[]>;
  /**
   * The settlement agent's messages that name the cycles (outbound pacs.009 and its inbound pacs.002
   * answers), whole, in batches through a cursor: instruction ids are `C<cycle>-A<attempt>-…`.
   */
  agentMessages(agentBic: string, cycleIds: readonly bigint[], each: (rows: MessageRow[]) => void): Promise<void>;
  /**
   * Outbound pacs.008 messages that are not a real-time payment's forward (the bulk files), created
   * after the scope's first payment, with the first limits.reportHeaderBytes of their bytes, through a cursor
   * (of a bulk file stored as its composition, migration 033, the first of its own header's bytes: the
   * group header whole, without the first transaction).
   */
  bulkFileHeads(scope: ReportScope, each: (rows: MessageRow[]) => void): Promise<void>;
  /** Real-time payments of the scope accepted by their creditor agent, per creditor and currency, whose forward was delivered. */
  forwardedDelivered(scope: ReportScope): Promise<FigureRow[]>;
  /** Statistics: counts and sums of the scope's payments grouped by `dimension` (docs/reports.md). */
  statistics(scope: ReportScope, dimension: StatisticsDimension, timeZone: string): Promise<KeyedRow[]>;
  /** The busiest second and minute of the scope's payments (by the time the store received them). */
  peakThroughput(scope: ReportScope): Promise<{ perSecond: bigint; perMinute: bigint; secondAt: string | null; minuteAt: string | null }>;
  /** Net debit caps now in force (exposures), per participant and currency. */
  caps(): Promise<Array<{ participant: string; currency: string; capMinor: bigint }>>;
  /** Transactions refused at validation (no payment made), by sender and reason code, of messages received within [from, to). */
  validationRefusals(from: Date, to: Date, participant?: string): Promise<KeyedRow[]>;
}

export type StatisticsDimension =
  | 'participant-sent' | 'participant-received' | 'currency' | 'service' | 'hour' | 'day' | 'reason' | 'bilateral' | 'unwound' | 'state';

/**
 * The scope's payments as a subquery `scoped` with the columns the reports group by: $1 cycle ids,
 * $2/$3 the settlement-date range (NULL: none), $4 the participant (NULL: all). `extra` adds columns.
 */
function scoped(extra = ''): string {
  return `scoped AS (
    SELECT p.id, p.kind, p.mode, p.debtor_agent, p.creditor_agent, p.currency, p.amount_minor, p.state, p.reason_code, p.cycle_id,
           p.created_at, p.message_id, c.state AS cycle_state, COALESCE(c.business_date, p.settlement_date) AS business_date${extra}
      FROM payments_effective p LEFT JOIN cycles c ON c.id = p.cycle_id
     WHERE (p.cycle_id = ANY ($1::bigint[])
            OR (p.cycle_id IS NULL AND $2::date IS NOT NULL AND p.settlement_date BETWEEN $2::date AND $3::date))
       AND ($4::text IS NULL OR p.debtor_agent = $4 OR p.creditor_agent = $4))`;
}

function scopeParams(scope: ReportScope): unknown[] {
  return [scope.cycleIds.map(String), scope.fromDate ?? null, scope.toDate ?? scope.fromDate ?? null, scope.participant ?? null];
}

/**
 * A payment's class from its state now (docs/reports.md "Reconciliation figures"): what the ledger
 * says became of it. `unwound` needs the payment's recorded UNWIND transition (REJECTED alone is also
 * a real-time payment refused at admission).
 */
const CLASS = `CASE
    WHEN s.state = 'REJECTED' AND EXISTS (SELECT 1 FROM payment_transitions t WHERE t.payment_id = s.id AND t.to_state = 'UNWOUND') THEN 'unwound'
    WHEN s.state = 'REJECTED' OR s.state = 'RELEASED' THEN 'rejected'
    WHEN s.state = 'CANCELLED' AND s.mode = 'batch' THEN 'cancelled'
    WHEN s.state = 'CANCELLED' THEN 'cancelled-before-acceptance'
    WHEN s.state IN ('RECEIVED', 'HELD', 'RESERVED', 'QUEUED') THEN 'in-flight'
    WHEN s.state = 'ACCEPTED' AND s.mode = 'batch' THEN 'open'
    WHEN s.state = 'COMMITTED' AND (s.cycle_state IS NULL OR s.cycle_state = 'OPEN') THEN 'open'
    WHEN s.state = 'COMMITTED' OR (s.state = 'NETTED' AND s.mode = 'batch') THEN 'netted-unsettled'
    WHEN s.state IN ('SETTLED', 'RETURNED') THEN 'settled'
    ELSE 'unknown-state' END`;

export function reportReads(db: Database): ReportReads {
  const cursor = async <R>(sql: string, params: readonly unknown[], each: (rows: R[]) => void): Promise<void> => {
    await db.transaction(async (tx: Queryable) => {
      await tx.query(`DECLARE report_rows NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const rows = await tx.query<R>(`FETCH ${limits.reportCursorBatchRows} FROM report_rows`);
        if (rows.length === 0) break;
        each(rows);
      }
      await tx.query('CLOSE report_rows');
    });
  };
  const figures = async (sql: string, params: readonly unknown[]): Promise<FigureRow[]> =>
    (await db.query<{ participant: string; currency: string; figure: string; count: bigint; sum_minor: bigint }>(sql, params))
      .map((r) => ({ participant: r.participant, currency: r.currency, figure: r.figure, count: r.count, sumMinor: r.sum_minor }));
  const messageRow = (r: { id: bigint; direction: 'in' | 'out'; participant: string; message_type: string | null; message_id: string | null;
    bytes: Uint8Array; outbox_state: string | null; delivered_ok: boolean | null }): MessageRow => ({
    id: r.id, direction: r.direction, participant: r.participant, messageType: r.message_type, messageId: r.message_id, bytes: r.bytes,
    outboxState: r.outbox_state, deliveredOk: r.delivered_ok === true,
  });
  const outboxColumns = `o.state AS outbox_state,
    EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id AND d.ok) AS delivered_ok`;

  return {
    async cycles(selection) {
      const rows = 'id' in selection
        ? await db.query<{ id: bigint; business_date: string; sequence: number; state: string }>(
          'SELECT id, business_date, sequence, state FROM cycles WHERE id = $1', [selection.id])
        : await db.query<{ id: bigint; business_date: string; sequence: number; state: string }>(
          'SELECT id, business_date, sequence, state FROM cycles WHERE business_date BETWEEN $1::date AND $2::date ORDER BY business_date, sequence',
          [selection.fromDate, selection.toDate]);
      return rows.map((r) => ({ id: r.id, businessDate: r.business_date, sequence: r.sequence, state: r.state }));
    },

    paymentFigures(scope) {
      return figures(`WITH ${scoped()}, classed AS (SELECT s.*, ${CLASS} AS class FROM scoped s)
        SELECT debtor_agent AS participant, currency, 'sent.' || class AS figure, COUNT(*)::bigint AS count, COALESCE(SUM(amount_minor), 0)::bigint AS sum_minor
          FROM classed GROUP BY debtor_agent, currency, class
        UNION ALL
        SELECT creditor_agent, currency, 'received.' || class || '.' || mode || '.' || lower(kind), COUNT(*)::bigint, COALESCE(SUM(amount_minor), 0)::bigint
          FROM classed GROUP BY creditor_agent, currency, class, mode, kind
        ORDER BY 1, 2, 3`, scopeParams(scope));
    },

    historyFigures(scope) {
      // Batch payments netted: members of the cycles' NET transition sets; real-time payments netted:
      // committed by their creditor agent (a RESERVED → COMMITTED transition) in a cycle that was cut off.
      return figures(`WITH ${scoped()},
        netted AS (
          SELECT member.id FROM payment_transition_sets ts CROSS JOIN LATERAL unnest(ts.payment_ids) AS member(id)
           WHERE ts.cycle_id = ANY ($1::bigint[]) AND ts.to_state = 'NETTED'
          UNION
          SELECT s.id FROM scoped s WHERE s.mode = 'realtime' AND s.cycle_state IS NOT NULL AND s.cycle_state <> 'OPEN'
             AND EXISTS (SELECT 1 FROM payment_transitions t WHERE t.payment_id = s.id AND t.to_state = 'COMMITTED')),
        settled AS (
          SELECT DISTINCT member.id FROM payment_transition_sets ts CROSS JOIN LATERAL unnest(ts.payment_ids) AS member(id)
           WHERE ts.cycle_id = ANY ($1::bigint[]) AND ts.to_state = 'SETTLED'
          UNION
          SELECT t.payment_id FROM payment_transitions t JOIN scoped s ON s.id = t.payment_id WHERE t.to_state = 'SETTLED'),
        unwound AS (SELECT DISTINCT t.payment_id AS id FROM payment_transitions t JOIN scoped s ON s.id = t.payment_id WHERE t.to_state = 'UNWOUND'),
        marked AS (
          SELECT 'history.netted' AS figure, id FROM netted UNION ALL
          SELECT 'history.settled', id FROM settled UNION ALL
          SELECT 'history.unwound', id FROM unwound)
        SELECT s.debtor_agent AS participant, s.currency, m.figure, COUNT(*)::bigint AS count, SUM(s.amount_minor)::bigint AS sum_minor
          FROM marked m JOIN scoped s ON s.id = m.id
         GROUP BY s.debtor_agent, s.currency, m.figure ORDER BY 1, 2, 3`, scopeParams(scope));
    },

    async paymentNets(scope) {
      // Kept in its cycle: netted and not unwound. A settled cycle's kept payments are all settled.
      const rows = await db.query<{ cycle_id: bigint; participant: string; currency: string; net_minor: bigint; settled_only: boolean }>(
        `WITH ${scoped()}, kept AS (
           SELECT * FROM scoped s WHERE s.cycle_id IS NOT NULL AND s.cycle_state <> 'OPEN'
              AND (s.state IN ('SETTLED', 'RETURNED', 'COMMITTED') OR (s.state = 'NETTED' AND s.mode = 'batch')))
         SELECT cycle_id, participant, currency, SUM(net)::bigint AS net_minor, bool_and(settled) AS settled_only FROM (
           SELECT cycle_id, creditor_agent AS participant, currency, amount_minor AS net, state IN ('SETTLED', 'RETURNED') AS settled FROM kept
           UNION ALL
           SELECT cycle_id, debtor_agent, currency, -amount_minor, state IN ('SETTLED', 'RETURNED') FROM kept) flows
          GROUP BY cycle_id, participant, currency ORDER BY 1, 2, 3`, scopeParams({ ...scope, participant: undefined }));
      return rows.map((r) => ({ cycleId: r.cycle_id, participant: r.participant, currency: r.currency, netMinor: r.net_minor, settledOnly: r.settled_only }));
    },

    async positions(cycleIds) {
      const rows = await db.query<{ cycle_id: bigint; bic: string; currency: string; net_minor: bigint }>(
        'SELECT cycle_id, bic, currency, net_minor FROM cycle_positions WHERE cycle_id = ANY ($1::bigint[]) ORDER BY cycle_id, bic, currency',
        [cycleIds.map(String)]);
      return rows.map((r) => ({ cycleId: r.cycle_id, participant: r.bic, currency: r.currency, netMinor: r.net_minor }));
    },

    async instructions(cycleIds) {
      const rows = await db.query<{ cycle_id: bigint; attempt: number; bic: string; currency: string; direction: 'DEBIT' | 'CREDIT';
        amount_minor: bigint; instruction_id: string; state: string; reason_code: string | null }>(
        `SELECT cycle_id, attempt, bic, currency, direction, amount_minor, instruction_id, state, reason_code
           FROM settlement_instructions WHERE cycle_id = ANY ($1::bigint[]) ORDER BY cycle_id, attempt, bic, currency`, [cycleIds.map(String)]);
      return rows.map((r) => ({ cycleId: r.cycle_id, attempt: r.attempt, participant: r.bic, currency: r.currency, direction: r.direction,
        amountMinor: r.amount_minor, instructionId: r.instruction_id, state: r.state, reasonCode: r.reason_code }));
    },

    agentMessages(agentBic, cycleIds, each) {
      // The agent's traffic is a few messages per participant and cycle; bounded below by the first
      // instruction of the scope (the answers follow their instructions).
      return cursor<Parameters<typeof messageRow>[0]>(
        `SELECT m.id, m.direction, m.participant, m.message_type, m.message_id, m.bytes, ${outboxColumns}
           FROM messages m LEFT JOIN outbox o ON o.message_id = m.id
          WHERE m.participant = $1 AND m.message_type IN ('pacs.009.001.08', 'pacs.002.001.10')
            AND m.id >= COALESCE((SELECT MIN(x.id) FROM messages x JOIN settlement_instructions i ON i.message_id = x.message_id
                                   WHERE i.cycle_id = ANY ($2::bigint[]) AND x.direction = 'out'), 0)
          ORDER BY m.id`, [agentBic, cycleIds.map(String)], (rows) => each(rows.map(messageRow)));
    },

    bulkFileHeads(scope, each) {
      return cursor<Parameters<typeof messageRow>[0]>(
        `SELECT m.id, m.direction, m.participant, m.message_type, m.message_id,
                COALESCE(substring(m.bytes FROM 1 FOR ${limits.reportHeaderBytes}), substring(c.head FROM 1 FOR ${limits.reportHeaderBytes})) AS bytes,
                ${outboxColumns}
           FROM messages m LEFT JOIN outbox o ON o.message_id = m.id LEFT JOIN message_compositions c ON c.message_id = m.id
          WHERE m.direction = 'out' AND m.message_type = 'pacs.008.001.08'
            AND m.id > COALESCE((SELECT MIN(p.message_id) FROM payments p WHERE p.cycle_id = ANY ($1::bigint[])), 0)
            AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.forwarded_message_id = m.message_id AND p.creditor_agent = m.participant)
            AND ($2::text IS NULL OR m.participant = $2)
          ORDER BY m.id`, [scope.cycleIds.map(String), scope.participant ?? null], (rows) => each(rows.map(messageRow)));
    },

    forwardedDelivered(scope) {
      return figures(`WITH ${scoped(', p.forwarded_message_id')}
        SELECT s.creditor_agent AS participant, s.currency, 'received.delivered-realtime' AS figure, COUNT(*)::bigint AS count,
               COALESCE(SUM(s.amount_minor), 0)::bigint AS sum_minor
          FROM scoped s
          JOIN messages m ON m.direction = 'out' AND m.participant = s.creditor_agent AND m.message_id = s.forwarded_message_id
          JOIN outbox o ON o.message_id = m.id AND o.state = 'DELIVERED'
         WHERE s.mode = 'realtime' AND s.forwarded_message_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM payment_transitions t WHERE t.payment_id = s.id AND t.to_state = 'COMMITTED')
         GROUP BY s.creditor_agent, s.currency ORDER BY 1, 2`, scopeParams(scope));
    },

    async statistics(scope, dimension, timeZone) {
      const keys: Record<StatisticsDimension, { select: readonly string[]; where?: string }> = {
        'participant-sent': { select: ['s.debtor_agent', 's.currency'] },
        'participant-received': { select: ['s.creditor_agent', 's.currency'] },
        currency: { select: ['s.currency'] },
        service: { select: ['s.mode', 's.kind', 's.currency'] },
        // The hour (scheme time zone) the store received the payment.
        hour: { select: [`to_char(s.created_at AT TIME ZONE $5, 'YYYY-MM-DD"T"HH24:00')`, 's.currency'] },
        day: { select: ['s.business_date::text', 's.currency'] },
        reason: { select: ['s.debtor_agent', "COALESCE(s.reason_code, 'NARR')", 's.state'], where: "s.state IN ('REJECTED', 'RELEASED')" },
        bilateral: { select: ['s.debtor_agent', 's.creditor_agent', 's.currency'],
          where: "s.state NOT IN ('REJECTED', 'RELEASED', 'CANCELLED', 'RECEIVED', 'HELD', 'RESERVED', 'QUEUED')" },
        unwound: { select: ['s.debtor_agent', 's.currency', "COALESCE(s.reason_code, 'NARR')"],
          where: "s.state = 'REJECTED' AND EXISTS (SELECT 1 FROM payment_transitions t WHERE t.payment_id = s.id AND t.to_state = 'UNWOUND')" },
        state: { select: ['s.mode', 's.state'] },
      };
      const { select, where } = keys[dimension];
      const columns = select.map((_, i) => `k${i}`);
      const positions = select.map((_, i) => i + 1).join(', ');
      const rows = await db.query<Record<string, unknown>>(
        `WITH ${scoped()}
         SELECT ${select.map((c, i) => `${c} AS k${i}`).join(', ')}, COUNT(*)::bigint AS count, COALESCE(SUM(s.amount_minor), 0)::bigint AS sum_minor
           FROM scoped s ${where ? `WHERE ${where}` : ''}
          GROUP BY ${positions} ORDER BY ${positions}`,
        dimension === 'hour' ? [...scopeParams(scope), timeZone] : scopeParams(scope));
      return rows.map((r) => ({ key: columns.map((c) => String(r[c])), count: r.count as bigint, sumMinor: r.sum_minor as bigint }));
    },

    async peakThroughput(scope) {
      const [row] = await db.query<{ per_second: bigint | null; second_at: Date | null; per_minute: bigint | null; minute_at: Date | null }>(
        `WITH ${scoped()},
          seconds AS (SELECT date_trunc('second', created_at) AS at, COUNT(*)::bigint AS n FROM scoped GROUP BY 1 ORDER BY n DESC, at LIMIT 1),
          minutes AS (SELECT date_trunc('minute', created_at) AS at, COUNT(*)::bigint AS n FROM scoped GROUP BY 1 ORDER BY n DESC, at LIMIT 1)
         SELECT (SELECT n FROM seconds) AS per_second, (SELECT at FROM seconds) AS second_at,
                (SELECT n FROM minutes) AS per_minute, (SELECT at FROM minutes) AS minute_at`, scopeParams(scope));
      return { perSecond: row?.per_second ?? 0n, perMinute: row?.per_minute ?? 0n,
        secondAt: row?.second_at ? row.second_at.toISOString() : null, minuteAt: row?.minute_at ? row.minute_at.toISOString() : null };
    },

    async caps() {
      const rows = await db.query<{ bic: string; currency: string; cap_minor: bigint }>('SELECT bic, currency, cap_minor FROM exposures ORDER BY bic, currency');
      return rows.map((r) => ({ participant: r.bic, currency: r.currency, capMinor: r.cap_minor }));
    },

    async validationRefusals(from, to, participant) {
      const rows = await db.query<{ sender: string; reason: string; count: bigint }>(
        `SELECT m.participant AS sender, COALESCE(t.value->'reasons'->>0, 'NARR') AS reason, COUNT(*)::bigint AS count
           FROM intake i JOIN messages m ON m.id = i.message_id
           CROSS JOIN LATERAL jsonb_array_elements(i.report->'transactions') AS t(value)
          WHERE i.status IN ('PART', 'RJCT') AND m.created_at >= $1 AND m.created_at < $2 AND t.value->>'status' = 'RJCT'
            AND ($3::text IS NULL OR m.participant = $3)
            AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.message_id = i.message_id AND p.transaction_index = (t.value->>'index')::int)
          GROUP BY 1, 2 ORDER BY 1, 2`, [from, to, participant ?? null]);
      return rows.map((r) => ({ key: [r.sender, r.reason], count: r.count, sumMinor: 0n }));
    },
  };
}
