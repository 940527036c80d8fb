/**
 * What the HTTP API reads (switch/api/): payments found by filters with keyset paging, one payment with
 * its history and messages, exposures with headroom. Every read takes the participant it is done for
 * (`visibleTo`), so that a participant's view is restricted here, in the query, and not by a filter
 * applied afterwards. Reading never writes.
 */
import { headroom } from '../clearing/realtime.ts';
import type { Queryable } from '../store/database.ts';
import { paymentHistory, type PaymentTransition } from './cycles/index.ts';
import { storedTransactionElement } from './cycles/bulk-files.ts';
import { messageBytes as storedMessageBytes } from './message-bytes.ts';
import { dateText } from './date-column.ts';

export interface PaymentFilter {
  /** Only payments this participant is the instructing, debtor or creditor agent of (a participant's own view). */
  readonly visibleTo?: string;
  readonly state?: string;
  readonly debtor?: string;
  readonly creditor?: string;
  readonly currency?: string;
  readonly cycleId?: bigint;
  readonly uetr?: string;
  readonly endToEndId?: string;
  /** Payments this participant is the instructing, debtor or creditor agent of (a filter, unlike visibleTo: it never widens it). */
  readonly bic?: string;
  /** CREDIT or RETURN, and batch or realtime: together the service a payment went through. */
  readonly kind?: string;
  readonly mode?: string;
  /** Amount range in minor units, both ends included (only meaningful with `currency`; the API requires it). */
  readonly amountMinorMin?: bigint;
  readonly amountMinorMax?: bigint;
  /** Received at or after `from`, before `to`. */
  readonly from?: Date;
  readonly to?: Date;
  /** Keyset paging: payments with an id below this (the previous page's `next`). */
  readonly before?: bigint;
  readonly limit: number;
}

export interface PaymentSummary {
  readonly id: bigint;
  readonly kind: string;
  readonly mode: string;
  readonly state: string;
  readonly reasonCode: string | null;
  readonly transactionId: string | null;
  readonly endToEndId: string | null;
  readonly uetr: string | null;
  readonly instructingAgent: string;
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly settlementDate: string | null;
  readonly cycleId: bigint | null;
  readonly createdAt: Date;
}

interface PaymentRow {
  id: bigint; kind: string; mode: string; state: string; reason_code: string | null; transaction_id: string | null;
  end_to_end_id: string | null; uetr: string | null; instructing_agent: string; debtor_agent: string; creditor_agent: string;
  currency: string; amount_minor: bigint; settlement_date: string | Date | null; cycle_id: bigint | null; created_at: Date;
  message_id: bigint; forwarded_message_id: string | null; transaction_xml: string | null; transaction_index: number;
}

const SUMMARY_COLUMNS = `id, kind, mode, state, reason_code, transaction_id, end_to_end_id, uetr, instructing_agent, debtor_agent,
  creditor_agent, currency, amount_minor, settlement_date, cycle_id, created_at`;
/** What a participant ($1) sees: payments it sent or is paid by, except that a payment held by the risk stage is its sender's only (tipping-off). */
const VISIBLE = "($1::text IS NULL OR $1 IN (instructing_agent, debtor_agent) OR ($1 = creditor_agent AND state <> 'HELD'))";

function summary(r: PaymentRow): PaymentSummary {
  return {
    id: r.id, kind: r.kind, mode: r.mode, state: r.state, reasonCode: r.reason_code, transactionId: r.transaction_id,
    endToEndId: r.end_to_end_id, uetr: r.uetr, instructingAgent: r.instructing_agent, debtorAgent: r.debtor_agent,
    creditorAgent: r.creditor_agent, currency: r.currency, amountMinor: r.amount_minor, settlementDate: dateText(r.settlement_date) ?? null,
    cycleId: r.cycle_id, createdAt: new Date(r.created_at),
  };
}

/** Payments matching every given filter, newest first, one page; `next` pages on when there may be more. */
export async function searchPayments(db: Queryable, filter: PaymentFilter): Promise<{ payments: PaymentSummary[]; next?: bigint }> {
  const rows = await db.query<PaymentRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM payments_effective
      WHERE ${VISIBLE}
        AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR debtor_agent = $3) AND ($4::text IS NULL OR creditor_agent = $4)
        AND ($5::text IS NULL OR currency = $5) AND ($6::bigint IS NULL OR cycle_id = $6) AND ($7::text IS NULL OR uetr = $7)
        AND ($8::text IS NULL OR end_to_end_id = $8) AND ($9::bigint IS NULL OR id < $9)
        AND ($11::text IS NULL OR $11 IN (instructing_agent, debtor_agent, creditor_agent)) AND ($12::text IS NULL OR kind = $12)
        AND ($13::text IS NULL OR mode = $13) AND ($14::bigint IS NULL OR amount_minor >= $14) AND ($15::bigint IS NULL OR amount_minor <= $15)
        AND ($16::timestamptz IS NULL OR created_at >= $16) AND ($17::timestamptz IS NULL OR created_at < $17)
      ORDER BY id DESC LIMIT $10`,
    [filter.visibleTo ?? null, filter.state ?? null, filter.debtor ?? null, filter.creditor ?? null, filter.currency ?? null,
      filter.cycleId ?? null, filter.uetr ?? null, filter.endToEndId ?? null, filter.before ?? null, filter.limit + 1,
      filter.bic ?? null, filter.kind ?? null, filter.mode ?? null, filter.amountMinorMin ?? null, filter.amountMinorMax ?? null,
      filter.from ?? null, filter.to ?? null]);
  const page = rows.slice(0, filter.limit).map(summary);
  return rows.length > filter.limit ? { payments: page, next: page[page.length - 1]!.id } : { payments: page };
}

export interface MessageSummary {
  readonly id: bigint;
  readonly direction: string;
  readonly participant: string;
  readonly messageType: string | null;
  readonly messageId: string | null;
  readonly fileName: string | null;
  readonly sizeBytes: number;
  readonly createdAt: Date;
}

export interface PaymentDetail {
  readonly payment: PaymentSummary;
  /** The transaction element as forwarded; a credit transfer's (batch, or real-time since migration 036) is read from its stored inbound message (null if that was not kept whole). */
  readonly transactionXml: string | null;
  readonly history: PaymentTransition[];
  /** The message that carried it in, and the one that forwarded it to the creditor agent (real-time). */
  readonly messages: MessageSummary[];
}

/** One payment, when it exists and `visibleTo` (if given) takes part in it; else undefined (no hint that it exists). */
export async function paymentDetail(db: Queryable, id: bigint, visibleTo?: string): Promise<PaymentDetail | undefined> {
  const [row] = await db.query<PaymentRow>(
    `SELECT ${SUMMARY_COLUMNS}, message_id, forwarded_message_id, transaction_index,
            COALESCE(transaction_xml, (SELECT x.transaction_xml FROM payment_xml x WHERE x.payment_id = p.id)) AS transaction_xml
       FROM payments_effective p WHERE ${VISIBLE} AND id = $2`,
    [visibleTo ?? null, id]);
  if (!row) return undefined;
  // A credit transfer's element stays in the inbound message it came in (cycles/bulk-files.ts; real-time
  // ones since migration 036).
  const transactionXml = row.transaction_xml ?? (row.kind === 'CREDIT'
    ? await storedTransactionElement(db, BigInt(row.message_id), row.transaction_index) ?? null : null);
  const messages = await db.query<{ id: bigint; direction: string; participant: string; message_type: string | null; message_id: string | null;
    file_name: string | null; size_bytes: number; created_at: Date }>(
    `SELECT id, direction, participant, message_type, message_id, file_name, size_bytes, created_at FROM messages
      WHERE id = $1 OR (direction = 'out' AND $2::text IS NOT NULL AND message_id = $2 AND participant = $3) ORDER BY id`,
    [row.message_id, row.forwarded_message_id, row.creditor_agent]);
  return {
    payment: summary(row), transactionXml, history: historyFor(await paymentHistory(db, id), row, visibleTo),
    messages: messages.map((m) => ({ id: m.id, direction: m.direction, participant: m.participant, messageType: m.message_type,
      messageId: m.message_id, fileName: m.file_name, sizeBytes: m.size_bytes, createdAt: new Date(m.created_at) })),
  };
}

/**
 * A payment's history as a participant may see it (tipping-off, docs/api.md "Risk review and freezes"):
 * the risk stage's steps (into and out of HELD) carry no operator's or stage's words, only "risk
 * review"; the creditor agent does not see them at all. People see everything.
 */
function historyFor(history: PaymentTransition[], row: PaymentRow, visibleTo: string | undefined): PaymentTransition[] {
  if (visibleTo === undefined) return history;
  const risk = (t: PaymentTransition) => t.fromState === 'HELD' || t.toState === 'HELD';
  const sender = visibleTo === row.instructing_agent || visibleTo === row.debtor_agent;
  return history.filter((t) => sender || !risk(t)).map((t) => (risk(t) ? { ...t, cause: 'risk review' } : t));
}

export interface ExposureView {
  readonly bic: string;
  readonly currency: string;
  readonly capMinor: bigint;
  readonly netMinor: bigint;
  readonly reservedMinor: bigint;
  readonly debitsMinor: bigint;
  /** What the participant may still send in real time now (switch/clearing/realtime.ts headroom). */
  readonly headroomMinor: bigint;
}

/** Live positions of the open cycle and headroom, per participant and currency (one participant's with `visibleTo`). */
export async function exposures(db: Queryable, visibleTo?: string): Promise<ExposureView[]> {
  const rows = await db.query<{ bic: string; currency: string; cap_minor: bigint; net_minor: bigint; reserved_minor: bigint; debits_minor: bigint }>(
    'SELECT bic, currency, cap_minor, net_minor, reserved_minor, debits_minor FROM exposures WHERE $1::text IS NULL OR bic = $1 ORDER BY currency, bic',
    [visibleTo ?? null]);
  return rows.map((r) => ({
    bic: r.bic, currency: r.currency, capMinor: r.cap_minor, netMinor: r.net_minor, reservedMinor: r.reserved_minor, debitsMinor: r.debits_minor,
    headroomMinor: headroom({ capMinor: r.cap_minor, netPositionMinor: r.net_minor, reservedMinor: r.reserved_minor, debitsMinor: r.debits_minor }),
  }));
}

export interface QueueLane {
  readonly bic: string;
  readonly currency: string;
  readonly count: number;
  readonly amountMinor: bigint;
  readonly oldestAt: Date;
  /** The debtor's headroom now: the head of the lane is released when it covers its amount. */
  readonly headroomMinor: bigint;
  /** The lane's first payments, in release order (at most `perLane`). */
  readonly payments: PaymentSummary[];
}

/**
 * Real-time payments waiting over their debtor's headroom (QUEUED, answered PDNG), per debtor agent and
 * currency, in release order (first in, first out: docs/payment-states.md); one debtor's with `visibleTo`.
 */
export async function queuedPayments(db: Queryable, visibleTo: string | undefined, perLane: number): Promise<QueueLane[]> {
  const lanes = await db.query<{ bic: string; currency: string; count: number; amount_minor: bigint; oldest_at: Date }>(
    `SELECT debtor_agent AS bic, currency, count(*)::int AS count, sum(amount_minor)::bigint AS amount_minor, min(created_at) AS oldest_at
       FROM payments WHERE pending_state = 'QUEUED' AND ($1::text IS NULL OR debtor_agent = $1) GROUP BY debtor_agent, currency ORDER BY debtor_agent, currency`,
    [visibleTo ?? null]);
  const views = new Map((await exposures(db, visibleTo)).map((e) => [`${e.bic} ${e.currency}`, e.headroomMinor]));
  const out: QueueLane[] = [];
  for (const lane of lanes) {
    const rows = await db.query<PaymentRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM payments WHERE pending_state = 'QUEUED' AND debtor_agent = $1 AND currency = $2 ORDER BY sequence LIMIT $3`,
      [lane.bic, lane.currency, perLane]);
    out.push({ bic: lane.bic, currency: lane.currency, count: lane.count, amountMinor: BigInt(lane.amount_minor), oldestAt: new Date(lane.oldest_at),
      headroomMinor: views.get(`${lane.bic} ${lane.currency}`) ?? 0n, payments: rows.map(summary) });
  }
  return out;
}

/** One participant and currency on the dashboard: what waits in its real-time queue and, for people who may see it, in risk review. */
export interface QueueDepth {
  readonly bic: string;
  readonly currency: string;
  readonly headroomMinor: bigint;
  readonly queuedCount: number;
  readonly queuedMinor: bigint;
  readonly oldestQueuedAt: Date | null;
  /** Absent unless asked for (never for a participant: a hold is not told to the bank, tipping-off). */
  readonly heldCount?: number;
  readonly heldMinor?: bigint;
}

/**
 * Queue depth per debtor agent and currency (every participant and currency it clears, zeros included):
 * QUEUED payments (real-time over headroom) and, with `held`, HELD ones (risk review). Two grouped reads,
 * each over its partial index (payments_state, payments_held), so the cost follows what waits, not the
 * day's volume.
 */
export async function queueDepths(db: Queryable, visibleTo: string | undefined, held: boolean): Promise<QueueDepth[]> {
  type Group = { bic: string; currency: string; count: number; amount_minor: bigint; oldest_at: Date | null };
  const group = (state: 'QUEUED' | 'HELD') => db.query<Group>(
    `SELECT debtor_agent AS bic, currency, count(*)::int AS count, sum(amount_minor)::bigint AS amount_minor, min(created_at) AS oldest_at
       FROM payments WHERE pending_state = $2 AND ($1::text IS NULL OR debtor_agent = $1) GROUP BY debtor_agent, currency`, [visibleTo ?? null, state]);
  const [views, queued, holds] = await Promise.all([exposures(db, visibleTo), group('QUEUED'), held ? group('HELD') : Promise.resolve([] as Group[])]);
  const key = (r: { bic: string; currency: string }) => `${r.bic} ${r.currency}`;
  const queuedBy = new Map(queued.map((r) => [key(r), r]));
  const heldBy = new Map(holds.map((r) => [key(r), r]));
  const rows = new Map(views.map((v) => [key(v), { bic: v.bic, currency: v.currency, headroomMinor: v.headroomMinor }]));
  // A payment in a currency without an exposure row (none today) still shows.
  for (const r of [...queued, ...holds]) if (!rows.has(key(r))) rows.set(key(r), { bic: r.bic, currency: r.currency, headroomMinor: 0n });
  return [...rows.values()].sort((x, y) => x.bic.localeCompare(y.bic) || x.currency.localeCompare(y.currency)).map((r) => {
    const q = queuedBy.get(key(r));
    const h = heldBy.get(key(r));
    return {
      ...r, queuedCount: q?.count ?? 0, queuedMinor: BigInt(q?.amount_minor ?? 0), oldestQueuedAt: q?.oldest_at ? new Date(q.oldest_at) : null,
      ...(held ? { heldCount: h?.count ?? 0, heldMinor: BigInt(h?.amount_minor ?? 0) } : {}),
    };
  });
}

export interface ParticipantView {
  readonly bic: string;
  readonly name: string;
  readonly state: 'active' | 'suspended' | 'retired';
  /** Per currency it clears: cap, live position and headroom (none for a retired participant, whose rows stay). */
  readonly currencies: ExposureView[];
}

/** The scheme's participants with their state, caps and live headroom (one participant itself with `visibleTo`). */
export async function participantViews(db: Queryable, visibleTo?: string): Promise<ParticipantView[]> {
  const rows = await db.query<{ bic: string; name: string; status: ParticipantView['state'] }>(
    'SELECT bic, name, status FROM participants WHERE $1::text IS NULL OR bic = $1 ORDER BY bic', [visibleTo ?? null]);
  const byBic = new Map<string, ExposureView[]>();
  for (const e of await exposures(db, visibleTo)) byBic.set(e.bic, [...(byBic.get(e.bic) ?? []), e]);
  return rows.map((r) => ({ bic: r.bic, name: r.name, state: r.status, currencies: r.status === 'retired' ? [] : byBic.get(r.bic) ?? [] }));
}

/** A cycle's state, if the cycle exists. */
export async function cycleState(db: Queryable, cycleId: bigint): Promise<string | undefined> {
  const [row] = await db.query<{ state: string }>('SELECT state FROM cycles WHERE id = $1', [cycleId]);
  return row?.state;
}

export interface SettlementInstructionView {
  readonly attempt: number;
  readonly bic: string;
  readonly currency: string;
  readonly direction: string;
  readonly amountMinor: bigint;
  readonly instructionId: string;
  readonly messageId: string | null;
  readonly state: string;
  readonly reasonCode: string | null;
  readonly answeredAt: Date | null;
}

/** The settlement instructions (pacs.009) of a cycle, every attempt, one participant's with `visibleTo`. */
export async function settlementInstructions(db: Queryable, cycleId: bigint, visibleTo?: string): Promise<SettlementInstructionView[]> {
  const rows = await db.query<{ attempt: number; bic: string; currency: string; direction: string; amount_minor: bigint; instruction_id: string;
    message_id: string | null; state: string; reason_code: string | null; answered_at: Date | null }>(
    `SELECT attempt, bic, currency, direction, amount_minor, instruction_id, message_id, state, reason_code, answered_at
       FROM settlement_instructions WHERE cycle_id = $1 AND ($2::text IS NULL OR bic = $2) ORDER BY attempt, currency, bic`,
    [cycleId, visibleTo ?? null]);
  return rows.map((r) => ({ attempt: r.attempt, bic: r.bic, currency: r.currency, direction: r.direction, amountMinor: r.amount_minor,
    instructionId: r.instruction_id, messageId: r.message_id, state: r.state, reasonCode: r.reason_code,
    answeredAt: r.answered_at === null ? null : new Date(r.answered_at) }));
}

/**
 * One stored message's bytes, when `visibleTo` (if given) is its participant: the sender of an inbound
 * message, the recipient of an outbound one.
 */
export async function messageBytes(db: Queryable, id: bigint, visibleTo?: string): Promise<{ messageType: string | null; bytes: Uint8Array } | undefined> {
  const [row] = await db.query<{ message_type: string | null; bytes: Uint8Array | null }>(
    'SELECT message_type, bytes FROM messages WHERE id = $1 AND ($2::text IS NULL OR participant = $2)', [id, visibleTo ?? null]);
  if (row === undefined) return undefined;
  // A bulk file is stored as its composition (migration 033): composed here, checked against its sha256.
  const bytes = row.bytes ?? await storedMessageBytes(db, id);
  return bytes && { messageType: row.message_type, bytes };
}

/** The store answers (readiness). */
export async function storeAnswers(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ ok: number }>('SELECT 1 AS ok');
  return row?.ok === 1;
}

export interface MetricsSnapshot {
  /** Payments per service (kind and mode), state and reason code. */
  readonly payments: { kind: string; mode: string; state: string; reasonCode: string | null; count: number }[];
  /** Cycles per state, and the open cycle's id. */
  readonly cycles: { state: string; count: number }[];
  readonly openCycleId: bigint | null;
  /** Outbox rows per state (PENDING: waiting to be delivered; FAILED: given up). */
  readonly outbox: { state: string; count: number }[];
  /** Queue jobs given up on. */
  readonly deadLetters: number;
}

/** What GET /metrics shows from the store: grouped counts, one statement each (reading only). */
export async function metricsSnapshot(db: Queryable): Promise<MetricsSnapshot> {
  const payments = await db.query<{ kind: string; mode: string; state: string; reason_code: string | null; count: number }>(
    'SELECT kind, mode, state, reason_code, count(*)::int AS count FROM payments_effective GROUP BY kind, mode, state, reason_code');
  const cycles = await db.query<{ state: string; count: number }>('SELECT state, count(*)::int AS count FROM cycles GROUP BY state');
  const [open] = await db.query<{ id: bigint }>("SELECT max(id) AS id FROM cycles WHERE state = 'OPEN'");
  const outbox = await db.query<{ state: string; count: number }>("SELECT state, count(*)::int AS count FROM outbox WHERE state <> 'DELIVERED' GROUP BY state");
  const [dead] = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM dead_letters');
  return {
    payments: payments.map((r) => ({ kind: r.kind, mode: r.mode, state: r.state, reasonCode: r.reason_code, count: r.count })),
    cycles, openCycleId: open?.id ?? null, outbox, deadLetters: dead?.count ?? 0,
  };
}
