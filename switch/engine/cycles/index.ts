/**
 * Cycles: OPEN → CUT_OFF → NETTED → SETTLEMENT_SENT → SETTLED | PARTIALLY_SETTLED.
 *
 * Each step is one database transaction that moves the cycle to its next state, so a crash between
 * steps leaves a cycle in a well-defined state and `resumeCycles` carries it on: nothing is done twice
 * (every step first locks the cycle row and checks its state) and nothing is skipped.
 *
 *  cut-off     the open cycle stops taking payments; a new one opens; queued real-time payments expire
 *  netting     batch payments and committed real-time payments are netted; a participant over its net
 *              debit cap has its latest batch payments unwound (rejected, AM23) until it is within cap;
 *              positions and the bilateral matrix are stored; pacs.002 to each sender
 *  instruct    one pacs.009 per participant with a non-zero position, to the settlement agent
 *  settle      when every instruction is answered: all settled → SETTLED, payments SETTLED, the bulk
 *              pacs.008 per receiver delivered (settlement before delivery), pacs.002 ACSC to senders,
 *              camt.054 to each participant; a rejected instruction → its participant's batch payments
 *              are unwound (ED05), the cycle re-netted and re-instructed (next attempt, for the difference
 *              only); nothing to unwind → PARTIALLY_SETTLED, resolved by an operator (resolve.ts)
 *
 * One module per step: open.ts (the open cycle), cut-off.ts (cut-off, carrying cycles on), netting.ts,
 * instruct.ts, answers.ts (the settlement agent's answers, unwind on failure), settle.ts and
 * bulk-files.ts (a settled cycle); queries.ts reads. This index is for the engine's users; modules of
 * the engine import the step they need directly.
 */
export { acceptBatchPayments, openCycleId } from './open.ts';
export { closeCycle, resumeCycles, type StalledCycle } from './cut-off.ts';
export { recordSettlementAnswer } from './answers.ts';
export { raiseSettlementAlerts, type SettlementAlert } from './overdue.ts';
export { querySettlement } from './query.ts';
export { resolvePartialSettlement, SETTLEMENT_RESOLUTIONS, SettlementResolutionError, type SettlementResolution } from './resolve.ts';
export { cyclePositions, listCycles, paymentHistory, type PaymentTransition } from './queries.ts';
export type { CycleRow, CycleState } from './rows.ts';
