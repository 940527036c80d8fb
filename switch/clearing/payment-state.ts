/**
 * The life of one payment in the switch, as data (docs/payment-states.md is generated from it).
 * Batch payments go RECEIVED → ACCEPTED → NETTED → SETTLED; real-time payments go RECEIVED → RESERVED
 * (or QUEUED first) → COMMITTED → SETTLED. `nextState` answers an illegal event with a value, not an
 * exception: a late creditor answer after a timeout is an expected race, not a bug.
 */
import { invariant } from './invariant.ts';

export const paymentStates = [
  'RECEIVED', 'REJECTED', 'HELD', 'ACCEPTED', 'RESERVED', 'QUEUED', 'COMMITTED', 'RELEASED', 'NETTED', 'UNWOUND', 'SETTLED', 'RETURNED', 'CANCELLED',
] as const;
export type PaymentState = (typeof paymentStates)[number];

export const paymentEvents = [
  'REJECT', 'HOLD', 'ACCEPT_BATCH', 'RESERVE', 'QUEUE', 'DEQUEUE_RESERVE', 'CREDITOR_ACCEPTED', 'CREDITOR_REJECTED',
  'TIMEOUT', 'EXPIRE', 'NET', 'UNWIND', 'SETTLE', 'RETURN', 'CANCEL',
] as const;
export type PaymentEvent = (typeof paymentEvents)[number];

export type PaymentTransition = {
  readonly event: PaymentEvent;
  readonly from: PaymentState;
  readonly to: PaymentState;
  /** Why it happens. */
  readonly cause: string;
  /** What the switch sends because of it. */
  readonly emits: string;
};

/** Every legal transition; the single source of `transitions`, `nextState` and the doc. */
export const transitionRules: readonly PaymentTransition[] = [
  { event: 'REJECT', from: 'RECEIVED', to: 'REJECTED', cause: 'validation failed, or a real-time payment over headroom where the scheme does not queue', emits: 'pacs.002 RJCT with the ISO reason (e.g. AM04, AM14) to the debtor agent' },
  { event: 'HOLD', from: 'RECEIVED', to: 'HELD', cause: 'the risk stage held it for review (screening hit, score over the hold threshold): it touches no position until an operator decides (docs/risk.md)', emits: 'batch: counted accepted in the message\'s pacs.002 ACTC; real-time: pacs.002 PDNG to the debtor agent' },
  { event: 'ACCEPT_BATCH', from: 'HELD', to: 'ACCEPTED', cause: 'an operator released a held batch payment: it joins the open cycle', emits: 'nothing: it nets with the open cycle' },
  { event: 'RESERVE', from: 'HELD', to: 'RESERVED', cause: 'an operator released a held real-time payment in time, within headroom; amount reserved', emits: 'pacs.008 forwarded to the creditor agent' },
  { event: 'QUEUE', from: 'HELD', to: 'QUEUED', cause: 'an operator released a held real-time payment over headroom and the scheme queues', emits: 'pacs.002 PDNG to the debtor agent' },
  { event: 'REJECT', from: 'HELD', to: 'REJECTED', cause: 'an operator rejected a held payment, a released real-time payment was over headroom, or a held real-time payment was not decided within the scheme timeout (AB05)', emits: 'pacs.002 RJCT with the reason to the debtor agent' },
  { event: 'ACCEPT_BATCH', from: 'RECEIVED', to: 'ACCEPTED', cause: 'batch payment valid; joins the open cycle (future-dated: warehoused without a cycle until the first cycle of its date)', emits: 'pacs.002 ACTC (group ACTC or PART) to the debtor agent' },
  { event: 'RESERVE', from: 'RECEIVED', to: 'RESERVED', cause: 'real-time payment valid and within headroom; amount reserved', emits: 'pacs.008 forwarded to the creditor agent' },
  { event: 'QUEUE', from: 'RECEIVED', to: 'QUEUED', cause: 'real-time payment over headroom and the scheme queues', emits: 'pacs.002 PDNG to the debtor agent' },
  { event: 'DEQUEUE_RESERVE', from: 'QUEUED', to: 'RESERVED', cause: 'incoming credits raised headroom; first of its FIFO lane', emits: 'pacs.008 forwarded to the creditor agent' },
  { event: 'CREDITOR_ACCEPTED', from: 'RESERVED', to: 'COMMITTED', cause: 'creditor agent answered pacs.002 ACCP in time; reservation committed to the net position', emits: 'pacs.002 ACSP to the debtor agent' },
  { event: 'CREDITOR_REJECTED', from: 'RESERVED', to: 'RELEASED', cause: 'creditor agent answered pacs.002 RJCT; reservation released', emits: 'pacs.002 RJCT with the creditor agent\'s reason to the debtor agent' },
  { event: 'TIMEOUT', from: 'RESERVED', to: 'RELEASED', cause: 'no answer within the scheme timeout; reservation released', emits: 'pacs.002 RJCT AB05 to the debtor agent and the creditor agent' },
  { event: 'EXPIRE', from: 'QUEUED', to: 'RELEASED', cause: 'still queued at the cycle\'s cut-off', emits: 'pacs.002 RJCT AM04 to the debtor agent' },
  { event: 'NET', from: 'ACCEPTED', to: 'NETTED', cause: 'cycle cut off and netted (every batch payment of the cycle; those over a cap are unwound next)', emits: 'pacs.002 per batch message to its debtor agent: ACCP, or PART/RJCT listing the unwound (admi.004 CYCLE_NETTED to all)' },
  { event: 'UNWIND', from: 'NETTED', to: 'UNWOUND', cause: 'removed by unwind: cap breach at netting, or a party\'s settlement failed', emits: 'nothing yet: REJECT follows in the same step' },
  { event: 'UNWIND', from: 'COMMITTED', to: 'UNWOUND', cause: 'an operator unwinds the defaulter of a PARTIALLY_SETTLED cycle (settlement resolve)', emits: 'pacs.002 RJCT ED05 to both agents (then REJECT)' },
  { event: 'REJECT', from: 'UNWOUND', to: 'REJECTED', cause: 'unwound payments are not rolled over (docs/scheme-rules.md): the debtor agent may send it again', emits: 'pacs.002 RJCT to the debtor agent: AM23 for a cap breach (in the netting report), ED05 when a party\'s settlement failed' },
  { event: 'SETTLE', from: 'NETTED', to: 'SETTLED', cause: 'settlement agent settled the cycle (pacs.002 ACSC per instruction)', emits: 'pacs.002 ACSC to the debtor agent; camt.054; the bulk pacs.008 to the creditor agent if the scheme delivers after settlement' },
  { event: 'SETTLE', from: 'COMMITTED', to: 'SETTLED', cause: 'the cycle holding the committed payment settled', emits: 'pacs.002 ACSC to the debtor agent; camt.054 to both agents' },
  { event: 'CANCEL', from: 'ACCEPTED', to: 'CANCELLED', cause: 'recalled by its debtor agent (camt.056) before its cycle\'s cut-off, or while warehoused (future-dated): taken out of the cycle', emits: 'camt.029 CNCL to the debtor agent; the creditor agent never sees the payment' },
  { event: 'CANCEL', from: 'QUEUED', to: 'CANCELLED', cause: 'real-time payment recalled (camt.056) while queued, before it was forwarded', emits: 'camt.029 CNCL to the debtor agent; the creditor agent never sees the payment' },
  { event: 'RETURN', from: 'SETTLED', to: 'RETURNED', cause: 'the creditor agent\'s return (pacs.004, a new obligation in the open cycle) of the full amount settled with its cycle', emits: 'pacs.004 forwarded to the debtor agent with the settled cycle\'s bulk files (an unwound return: RJCT to its sender, the original untouched)' },
];

/**
 * Final: the payment's outcome for the money never changes again. SETTLED is final (settlement
 * finality) and still has one way out: RETURNED only records that a new transaction, a pacs.004,
 * paid it back; the settled cycle itself is not touched.
 */
export const finalStates: ReadonlySet<PaymentState> = new Set<PaymentState>(['REJECTED', 'RELEASED', 'SETTLED', 'RETURNED', 'CANCELLED']);

export const transitions: ReadonlyMap<PaymentState, ReadonlySet<PaymentState>> = new Map(
  paymentStates.map((state) => [state, new Set(transitionRules.filter((r) => r.from === state).map((r) => r.to))]),
);

const targetByStateAndEvent = new Map(transitionRules.map((r) => [`${r.from} ${r.event}`, r.to]));

export function isFinal(state: PaymentState): boolean {
  return finalStates.has(state);
}

export type NextStateResult =
  | { readonly ok: true; readonly state: PaymentState }
  | { readonly ok: false; readonly reason: 'UNKNOWN_STATE' | 'UNKNOWN_EVENT' | 'FINAL_STATE' | 'NOT_ALLOWED'; readonly detail: string };

/** The state after `event`, or why the event is not allowed in `from` (states and events may come from storage). */
export function nextState(from: PaymentState, event: PaymentEvent): NextStateResult {
  if (!transitions.has(from)) return { ok: false, reason: 'UNKNOWN_STATE', detail: `unknown state ${from}` };
  if (!(paymentEvents as readonly string[]).includes(event)) return { ok: false, reason: 'UNKNOWN_EVENT', detail: `unknown event ${event}` };
  const to = targetByStateAndEvent.get(`${from} ${event}`);
  if (to !== undefined) return { ok: true, state: to };
  const reason = isFinal(from) ? 'FINAL_STATE' : 'NOT_ALLOWED';
  return { ok: false, reason, detail: `${event} is not allowed in ${from}` };
}

/** The Mermaid stateDiagram of exactly this machine; docs/payment-states.md holds a copy checked by a test. */
export function toMermaid(): string {
  const lines = ['stateDiagram-v2', '    [*] --> RECEIVED'];
  for (const r of transitionRules) lines.push(`    ${r.from} --> ${r.to} : ${r.event}`);
  for (const state of paymentStates) if (isFinal(state)) lines.push(`    ${state} --> [*]`);
  return `${lines.join('\n')}\n`;
}

/** The Markdown table of docs/payment-states.md: event, from → to, cause, message emitted. */
export function toMarkdownTable(): string {
  const lines = ['| event | from → to | cause | the switch emits |', '|---|---|---|---|'];
  for (const r of transitionRules) lines.push(`| ${r.event} | ${r.from} → ${r.to} | ${r.cause} | ${r.emits} |`);
  return `${lines.join('\n')}\n`;
}

// The table is checked once at load: one target per state and event, every state reachable from
// RECEIVED, and only final states without a way out.
invariant(targetByStateAndEvent.size === transitionRules.length, 'two transitions share a state and event');
for (const state of paymentStates) {
  const reachable = state === 'RECEIVED' || transitionRules.some((r) => r.to === state);
  invariant(reachable, `state ${state} cannot be reached`);
  invariant(isFinal(state) || (transitions.get(state)?.size ?? 0) > 0, `non-final state ${state} has no way out`);
}
