/** Cap breaches and the LATEST_FIRST unwind, on hand-computed cycles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capBreaches, unwind, unwindParticipant, type Cap, type UnwindResult } from '../../switch/clearing/caps.ts';
import { InvariantViolation } from '../../switch/clearing/invariant.ts';
import { netPositions, type Obligation } from '../../switch/clearing/positions.ts';
import { BANK_A, BANK_B, BANK_C, obligation, plain } from './helpers.ts';

const BANK_D = 'DDDDDEFF';

function cap(bic: string, netDebitCapMinor: bigint, currency = 'EUR'): Cap {
  return { bic, currency, netDebitCapMinor };
}

/** Removed obligations as `id reason round`, for short assertions. */
function removals(result: UnwindResult): string[] {
  return result.removed.map((r) => `${r.obligation.id} ${r.reason} ${r.round}`);
}

test('capBreaches: only net debits beyond the cap; no cap entry means cap 0n', () => {
  const positions = netPositions([
    obligation(1, BANK_A, BANK_B, 100n), obligation(2, BANK_C, BANK_B, 40n), obligation(3, BANK_D, BANK_B, 10n),
    obligation(4, BANK_A, BANK_B, 3n, 'USD'),
  ]);
  const breaches = capBreaches(positions, [cap(BANK_A, 60n), cap(BANK_C, 40n), cap(BANK_A, 5n, 'USD')]);
  assert.deepEqual(breaches, [
    { bic: BANK_A, currency: 'EUR', position: -100n, cap: 60n, excess: 40n },
    { bic: BANK_D, currency: 'EUR', position: -10n, cap: 0n, excess: 10n },
  ]);
});

test('capBreaches: order is currency, then largest excess, then BIC', () => {
  const positions = netPositions([
    obligation(1, BANK_C, BANK_A, 10n), obligation(2, BANK_B, BANK_A, 10n), obligation(3, BANK_D, BANK_A, 30n),
    obligation(4, BANK_A, BANK_B, 99n, 'CHF'),
  ]);
  assert.deepEqual(capBreaches(positions, []).map((b) => `${b.currency} ${b.bic} ${b.excess}`), [
    `CHF ${BANK_A} 99`, `EUR ${BANK_D} 30`, `EUR ${BANK_B} 10`, `EUR ${BANK_C} 10`,
  ]);
});

test('capBreaches: a negative or duplicate cap is a configuration bug', () => {
  assert.throws(() => capBreaches(new Map(), [cap(BANK_A, -1n)]), InvariantViolation);
  assert.throws(() => capBreaches(new Map(), [cap(BANK_A, 1n), cap(BANK_A, 2n)]), InvariantViolation);
});

test('unwind: nothing to do when every participant is within its cap', () => {
  const obligations = [obligation(2, BANK_A, BANK_B, 10n), obligation(1, BANK_B, BANK_A, 4n)];
  const result = unwind(obligations, [cap(BANK_A, 6n)]);
  assert.deepEqual(result.kept.map((o) => o.id), ['P1', 'P2']);
  assert.deepEqual(result.removed, []);
  assert.equal(result.rounds, 0);
  assert.deepEqual(plain(result.positions), { EUR: { [BANK_A]: -6n, [BANK_B]: 6n } });
});

test('unwind: removes latest first and stops as soon as within cap (not the largest)', () => {
  // A: −(50 + 20 + 5) = −75 against cap 60. Latest first: P3 (5) → −70, P2 (20) → −50: within.
  const obligations = [obligation(1, BANK_A, BANK_B, 50n), obligation(2, BANK_A, BANK_C, 20n), obligation(3, BANK_A, BANK_B, 5n)];
  const result = unwind(obligations, [cap(BANK_A, 60n)]);
  assert.deepEqual(removals(result), ['P3 CAP_BREACH 1', 'P2 CAP_BREACH 1']);
  assert.deepEqual(plain(result.positions), { EUR: { [BANK_A]: -50n, [BANK_B]: 50n } });
  assert.equal(result.rounds, 1);
});

test('unwind: a breach cascades to a second participant and is resolved in 2 rounds', () => {
  // By hand: A = +20 − 130 = −110 (cap 50), B = +130 − 100 = +30 (cap 40), C = +100 − 20 = +80 (cap 20).
  // Round 1: A removes P3 (A→B 100): A = −10; B falls to −70, over its cap by 30.
  // Round 2: B removes P1 (B→C 100): B = +30; C falls to −20, exactly its cap. Done.
  const obligations = [
    obligation(1, BANK_B, BANK_C, 100n), obligation(2, BANK_A, BANK_B, 30n),
    obligation(3, BANK_A, BANK_B, 100n), obligation(4, BANK_C, BANK_A, 20n),
  ];
  const caps = [cap(BANK_A, 50n), cap(BANK_B, 40n), cap(BANK_C, 20n)];
  assert.deepEqual(plain(netPositions(obligations)), { EUR: { [BANK_A]: -110n, [BANK_B]: 30n, [BANK_C]: 80n } });
  const result = unwind(obligations, caps, 'LATEST_FIRST');
  assert.deepEqual(removals(result), ['P3 CAP_BREACH 1', 'P1 CAP_BREACH 2']);
  assert.deepEqual(result.kept.map((o) => o.id), ['P2', 'P4']);
  assert.deepEqual(plain(result.positions), { EUR: { [BANK_A]: -10n, [BANK_B]: 30n, [BANK_C]: -20n } });
  assert.equal(result.rounds, 2);
  assert.deepEqual(capBreaches(result.positions, caps), []);
});

test('unwind: a participant hit twice continues where it stopped', () => {
  // By hand (caps A 0, B 0, C 100): A = +25 − 40 = −15, B = +20 − 25 = −5, C = +40 − 20 = +20.
  // Round 1: A (excess 15 > 5) removes P5 (20): A = +5, C = 0.
  // Round 2: B removes P3 (B→A 25): B = +20, A = −20: A is over again.
  // Round 3: A goes on from P4 (10): −10, then P1 (10): 0. C = −20, within its cap of 100.
  const obligations = [
    obligation(1, BANK_A, BANK_C, 10n), obligation(2, BANK_C, BANK_B, 20n), obligation(3, BANK_B, BANK_A, 25n),
    obligation(4, BANK_A, BANK_C, 10n), obligation(5, BANK_A, BANK_C, 20n),
  ];
  const result = unwind(obligations, [cap(BANK_C, 100n)]);
  assert.deepEqual(removals(result), ['P5 CAP_BREACH 1', 'P3 CAP_BREACH 2', 'P4 CAP_BREACH 3', 'P1 CAP_BREACH 3']);
  assert.deepEqual(result.kept.map((o) => o.id), ['P2']);
  assert.deepEqual(plain(result.positions), { EUR: { [BANK_B]: 20n, [BANK_C]: -20n } });
  assert.equal(result.rounds, 3);
});

test('unwind: currencies are independent', () => {
  const obligations = [obligation(1, BANK_A, BANK_B, 10n, 'USD'), obligation(2, BANK_A, BANK_B, 10n, 'EUR')];
  const result = unwind(obligations, [cap(BANK_A, 10n, 'EUR')]);
  assert.deepEqual(removals(result), ['P1 CAP_BREACH 1']);
});

test('unwindParticipant: removes everything the defaulter sent or received, then re-checks caps', () => {
  // Without A: B→C 40 (P2), B→C 20 (P4), C→B 10 (P5). B = −50 against cap 30: round 2 removes P4.
  const obligations: Obligation[] = [
    obligation(1, BANK_A, BANK_B, 50n), obligation(2, BANK_B, BANK_C, 40n), obligation(3, BANK_C, BANK_A, 30n),
    obligation(4, BANK_B, BANK_C, 20n), obligation(5, BANK_C, BANK_B, 10n),
  ];
  const result = unwindParticipant(obligations, BANK_A, [cap(BANK_B, 30n), cap(BANK_A, 1000n), cap(BANK_C, 1000n)]);
  assert.deepEqual(removals(result), ['P3 SETTLEMENT_FAILED 1', 'P1 SETTLEMENT_FAILED 1', 'P4 CAP_BREACH 2']);
  assert.deepEqual(result.kept.map((o) => o.id), ['P2', 'P5']);
  assert.deepEqual(plain(result.positions), { EUR: { [BANK_B]: -30n, [BANK_C]: 30n } });
  assert.equal(result.rounds, 2);
});

test('unwindParticipant: a participant without obligations removes nothing in round 1', () => {
  const result = unwindParticipant([obligation(1, BANK_A, BANK_B, 5n)], BANK_C, [cap(BANK_A, 5n)]);
  assert.deepEqual(result.removed, []);
  assert.equal(result.rounds, 1);
});

test('unwind asserts its input', () => {
  assert.throws(() => unwind([obligation(1, BANK_A, BANK_B, 0n)], []), InvariantViolation);
  assert.throws(() => unwind([obligation(1, BANK_A, BANK_B, 1n), obligation(1, BANK_B, BANK_A, 1n)], []), InvariantViolation);
});
