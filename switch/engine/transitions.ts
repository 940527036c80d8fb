/**
 * The one way a payment's state changes in the database (docs/payment-states.md): every step — batch
 * acceptance, real-time admission and answers, netting, unwind, settlement, returns, recalls — names
 * the event of switch/clearing/payment-state.ts it applies, and this module moves the payments with
 * set-based statements of the form
 *
 *   UPDATE payments SET state = <to> WHERE <selection> AND state = <an allowed from-state of the event>
 *
 * recording the transition in the same statement (one row per payment in `payment_transitions`, or one
 * row per step in `payment_transition_sets`). A selection by ids is checked by count: a payment that
 * was not in an allowed from-state throws (the caller's transaction rolls back, nothing half-moved).
 */
import { transitionRules, type PaymentEvent, type PaymentState } from '../clearing/payment-state.ts';
import type { Queryable } from '../store/database.ts';
import { RISK_UNDO_CTES, RISK_UNDO_STATES } from './risk.ts';
import { notifyCtes } from './notifications.ts';

/** The states `event` may leave for `to`, from the machine's table; throws when there is none (a bug in the caller). */
export function allowedFrom(event: PaymentEvent, to: PaymentState): PaymentState[] {
  const from = transitionRules.filter((r) => r.event === event && r.to === to).map((r) => r.from);
  if (from.length === 0) throw new Error(`payment-state: no transition ${event} → ${to} (switch/clearing/payment-state.ts)`);
  return from;
}

/**
 * The state a payment is created in when intake applies `event` to it at once (RECEIVED → it): the
 * row is inserted in that state, with its RECEIVED → state transition recorded by the caller.
 */
export function admittedState(event: PaymentEvent): PaymentState {
  const rule = transitionRules.find((r) => r.event === event && r.from === 'RECEIVED');
  if (!rule) throw new Error(`payment-state: ${event} is not allowed in RECEIVED (switch/clearing/payment-state.ts)`);
  return rule.to;
}

/**
 * The states a batch payment's effective state can differ from its stored one in: stored ACCEPTED, it
 * reads NETTED or SETTLED from its cycle (payment_effective_state, migration 037).
 */
const DERIVED_STATES: ReadonlySet<PaymentState> = new Set<PaymentState>(['ACCEPTED', 'NETTED', 'SETTLED']);

/** Which payments a transition moves. */
export type PaymentSelection =
  /** Exactly these payments; every one must be in an allowed from-state, or the transition throws. */
  | { readonly ids: readonly bigint[] }
  /** Every payment of the cycle (of one mode, except some) that is in an allowed from-state. */
  | { readonly cycleId: bigint; readonly mode?: 'batch' | 'realtime'; readonly except?: readonly bigint[] };

export interface TransitionRequest {
  readonly event: PaymentEvent;
  readonly to: PaymentState;
  readonly select: PaymentSelection;
  /** Narrows the event's from-states (e.g. a real-time step that knows its payment is RESERVED). */
  readonly from?: readonly PaymentState[];
  readonly cause: string;
  /** Kept on the payment (unless null) and on its transition rows. */
  readonly reasonCode?: string;
  /** 'each': a `payment_transitions` row per payment; 'set': one `payment_transition_sets` row per from-state (cycle selections only). */
  readonly record: 'each' | 'set';
  /**
   * The cycle's state stands for this step of its batch payments (migration 037, decision 94): NET
   * (ACCEPTED → NETTED) or SETTLE (NETTED → SETTLED) of a cycle's batch payments, recorded as a set,
   * where the caller changes the cycle's state in the same transaction. The payments stored ACCEPTED
   * are not written: they are listed in the set row (and notified) as moved. Rows stored NETTED (written
   * before migration 037) are still updated by SETTLE.
   */
  readonly derived?: boolean;
}

/** Thrown when a selected payment was not in a state the event may leave. */
export class IllegalTransitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalTransitionError';
  }
}

/** Apply one event to a set of payments; returns how many moved from each from-state. */
export async function transitionPayments(tx: Queryable, request: TransitionRequest): Promise<Map<PaymentState, number>> {
  const allowed = allowedFrom(request.event, request.to);
  const from = request.from === undefined ? allowed : request.from;
  for (const state of from) {
    if (!allowed.includes(state)) throw new Error(`payment-state: ${state} --${request.event}--> ${request.to} is not a legal transition`);
  }
  const select = request.select;
  if ('ids' in select && select.ids.length === 0) return new Map();
  if (request.record === 'set' && !('cycleId' in select)) throw new Error('transitionPayments: a set record needs a cycle selection');
  if (request.derived === true && !('cycleId' in select && select.mode === 'batch' && request.record === 'set' &&
      ((request.event === 'NET' && from.every((f) => f === 'ACCEPTED')) || (request.event === 'SETTLE' && from.every((f) => f === 'NETTED'))))) {
    throw new Error('transitionPayments: a derived step is NET or SETTLE of a cycle\'s batch payments, recorded as a set');
  }
  if (request.derived === true && request.reasonCode !== undefined) {
    throw new Error('transitionPayments: a derived step writes no payment row, so it carries no reason code');
  }
  const moved = new Map<PaymentState, number>();
  for (const state of from) {
    // A batch payment stored ACCEPTED may be NETTED or SETTLED by its cycle's state (migration 037,
    // decision 94): moving a payment out of one of those states compares its effective state.
    const inState = DERIVED_STATES.has(state)
      ? 'payment_effective_state(state, mode, (SELECT c.state FROM cycles c WHERE c.id = payments.cycle_id)) = $1'
      : 'state = $1';
    const where = 'ids' in select
      ? 'id = ANY($5::bigint[])'
      : `cycle_id = $5 AND ($6::text IS NULL OR mode = $6) AND NOT (id = ANY($7::bigint[]))`;
    const selection = 'ids' in select ? [select.ids] : [select.cycleId, select.mode ?? null, select.except ?? []];
    const record = request.record === 'each'
      ? `INSERT INTO payment_transitions (payment_id, from_state, to_state, cause, reason_code)
         SELECT id, $1, $2, $3, $4 FROM moved RETURNING 1`
      : `INSERT INTO payment_transition_sets (cycle_id, from_state, to_state, cause, payment_ids)
         SELECT $5, $1, $2, $3, array_agg(id ORDER BY id) FROM moved HAVING COUNT(*) > 0 RETURNING cardinality(payment_ids) AS n`;
    // A payment that fails gives back what it took of the risk stage's daily counters (docs/risk.md).
    const undo = RISK_UNDO_STATES.has(request.to) ? RISK_UNDO_CTES : '';
    // The participants' payment events (received, settled, returned) are queued in the same statement
    // for their subscriptions (switch/engine/notifications.ts, docs/notifications.md).
    const notify = notifyCtes(request.to);
    const returned = `id${notify ? ', debtor_agent, creditor_agent, mode' : ''}`;
    const update = `UPDATE payments SET state = $2, reason_code = COALESCE($4, reason_code), updated_at = now()
          WHERE ${where} AND ${inState} RETURNING ${returned}`;
    // Derived: the batch payments stored ACCEPTED move with their cycle's state and are only listed;
    // SETTLE still writes rows stored NETTED (from before migration 037).
    // (A derived step carries no reason code: $4 is NULL, checked above.)
    const stayed = `SELECT ${returned} FROM payments WHERE ${where} AND state = 'ACCEPTED' AND $4::text IS NULL`;
    // SETTLE reads the cycle's batch payments once (`found`: those stored ACCEPTED or NETTED) and updates
    // the few stored NETTED by id; an UPDATE by the selection then a SELECT by it scanned them twice.
    const movedCte = request.derived !== true ? `moved AS (${update})`
      : state === 'ACCEPTED' ? `moved AS (${stayed})`
        : `found AS (SELECT ${returned}, state FROM payments WHERE ${where} AND state IN ($1, 'ACCEPTED')),
       written AS (UPDATE payments SET state = $2, reason_code = COALESCE($4, reason_code), updated_at = now()
          WHERE id = ANY(ARRAY(SELECT id FROM found WHERE state = $1)) AND state = $1 RETURNING ${returned}),
       moved AS (SELECT ${returned} FROM written UNION ALL SELECT ${returned} FROM found WHERE state = 'ACCEPTED' AND $4::text IS NULL)`;
    const rows = await tx.query<{ n: number }>(
      `WITH ${movedCte},${undo}${notify}
       recorded AS (${record})
       SELECT ${request.record === 'each' ? 'COUNT(*)::int' : 'COALESCE(SUM(n), 0)::int'} AS n FROM recorded`,
      [state, request.to, request.cause, request.reasonCode ?? null, ...selection]);
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) moved.set(state, n);
  }
  if ('ids' in select) {
    const expected = new Set(select.ids.map(String)).size;
    const total = [...moved.values()].reduce((sum, n) => sum + n, 0);
    if (total !== expected) {
      const found = await tx.query<{ id: bigint; state: string }>('SELECT id, state FROM payments_effective WHERE id = ANY($1::bigint[]) ORDER BY id', [select.ids]);
      const wrong = found.filter((f) => !from.includes(f.state as PaymentState)).map((f) => `${f.id} ${f.state}`);
      throw new IllegalTransitionError(`${request.event} → ${request.to} needs ${from.join(' or ')}: moved ${total} of ${expected} ` +
        `(not allowed: ${wrong.join(', ') || 'payments missing'})`);
    }
  }
  return moved;
}
