/** Real-time headroom: reserve, commit, release, and the FIFO queue. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation } from '../../switch/clearing/invariant.ts';
import fc from 'fast-check';
import {
  admit, commit, expireQueue, exposureOf, headroom, laneOf, release, releaseQueue, tryReserve, zeroExposure,
  type Exposure, type QueuedPayment,
} from '../../switch/clearing/realtime.ts';
import { BANK_A, BANK_B, BANK_C } from './helpers.ts';
import { limits } from '../../switch/limits.ts';

function exposure(capMinor: bigint, netPositionMinor: bigint, reservedMinor: bigint): Exposure {
  return { capMinor, netPositionMinor, reservedMinor };
}

const headroomCases: [Exposure, bigint][] = [
  [exposure(0n, 0n, 0n), 0n],
  [exposure(100n, 0n, 0n), 100n],
  [exposure(100n, -30n, 0n), 70n],
  [exposure(100n, 50n, 20n), 130n],
  [exposure(100n, -80n, 20n), 0n],
  [exposure(10n, -20n, 0n), -10n], // the cap was lowered below the position: no headroom, not a bug
];
for (const [e, expected] of headroomCases) {
  test(`headroom(cap ${e.capMinor}, net ${e.netPositionMinor}, reserved ${e.reservedMinor}) = ${expected}`, () => {
    assert.equal(headroom(e), expected);
  });
}

const reserveCases: { name: string; exposure: Exposure; amount: bigint; expected: ReturnType<typeof tryReserve> }[] = [
  { name: 'fits', exposure: exposure(100n, 0n, 0n), amount: 60n, expected: { ok: true, exposure: exposure(100n, 0n, 60n) } },
  { name: 'fits exactly', exposure: exposure(100n, -40n, 20n), amount: 40n, expected: { ok: true, exposure: exposure(100n, -40n, 60n) } },
  { name: 'one short', exposure: exposure(100n, -40n, 20n), amount: 41n, expected: { ok: false, shortfallMinor: 1n } },
  { name: 'zero cap, no credit', exposure: zeroExposure, amount: 5n, expected: { ok: false, shortfallMinor: 5n } },
  { name: 'credits count', exposure: exposure(0n, 500n, 0n), amount: 500n, expected: { ok: true, exposure: exposure(0n, 500n, 500n) } },
];
for (const c of reserveCases) {
  test(`tryReserve: ${c.name}`, () => assert.deepEqual(tryReserve(c.exposure, c.amount), c.expected));
}

test('commit moves the reservation into both net positions; release gives it back', () => {
  const debtor = exposure(100n, 0n, 70n);
  const creditor = exposure(0n, 5n, 0n);
  assert.deepEqual(commit(debtor, creditor, 30n), { debtor: exposure(100n, -30n, 40n), creditor: exposure(0n, 35n, 0n) });
  assert.equal(headroom(commit(debtor, creditor, 30n).debtor), headroom(debtor));
  assert.deepEqual(release(debtor, 30n), exposure(100n, 0n, 40n));
});

test('real-time debits not yet settled stay within their ceiling, however large the funds (limits.amounts)', () => {
  const ceiling = limits.amounts.participantRealtimeDebitsMinorMax;
  // Credits from a partner paying back: the funds are there, the debits ceiling is what binds.
  const rich: Exposure = { capMinor: 0n, netPositionMinor: 10n * ceiling, reservedMinor: 0n, debitsMinor: ceiling - 100n };
  assert.equal(headroom(rich), 100n);
  assert.deepEqual(tryReserve(rich, 101n), { ok: false, shortfallMinor: 1n });
  const reserved = tryReserve(rich, 100n);
  assert.deepEqual(reserved, { ok: true, exposure: { ...rich, reservedMinor: 100n, debitsMinor: ceiling } });
  assert.ok(reserved.ok);
  // A commit keeps the debit (it is settled later); a release gives it back.
  assert.equal(commit(reserved.exposure, zeroExposure, 100n).debtor.debitsMinor, ceiling);
  assert.equal(release(reserved.exposure, 100n).debitsMinor, ceiling - 100n);
  assert.throws(() => tryReserve({ ...rich, debitsMinor: 0n, reservedMinor: 1n }, 1n), InvariantViolation, 'debits include what is reserved');
});

test('commit, release and tryReserve assert what was reserved', () => {
  assert.throws(() => commit(exposure(100n, 0n, 10n), zeroExposure, 11n), InvariantViolation);
  assert.throws(() => release(exposure(100n, 0n, 10n), 11n), InvariantViolation);
  assert.throws(() => tryReserve(exposure(100n, 0n, 0n), 0n), InvariantViolation);
  assert.throws(() => tryReserve(exposure(-1n, 0n, 0n), 1n), InvariantViolation);
});

function queued(sequence: number, debtor: string, amountMinor: bigint, currency = 'EUR'): QueuedPayment {
  return { id: `Q${sequence}`, debtor, currency, amountMinor, sequence: BigInt(sequence) };
}

test('releaseQueue: strictly FIFO per debtor and currency; a payment that does not fit blocks those behind it', () => {
  // A has 100: Q1 (80) fits, Q2 (50) does not and blocks Q3 (10) though 10 would fit.
  // B's lane is independent; A's USD lane too. C has no exposure: cap 0n.
  const queue = [queued(3, BANK_A, 10n), queued(2, BANK_A, 50n), queued(1, BANK_A, 80n), queued(4, BANK_B, 10n),
    queued(5, BANK_A, 5n, 'USD'), queued(6, BANK_C, 1n)];
  const exposures = new Map([
    ['EUR', new Map([[BANK_A, exposure(100n, 0n, 0n)], [BANK_B, exposure(10n, 0n, 0n)]])],
    ['USD', new Map([[BANK_A, exposure(0n, 5n, 0n)]])],
  ]);
  const result = releaseQueue(queue, exposures);
  assert.deepEqual(result.released.map((p) => p.id), ['Q1', 'Q4', 'Q5']);
  assert.deepEqual(result.remaining.map((p) => p.id), ['Q2', 'Q3', 'Q6']);
  assert.deepEqual(exposureOf(result.exposures, 'EUR', BANK_A), exposure(100n, 0n, 80n));
  assert.deepEqual(exposureOf(result.exposures, 'EUR', BANK_B), exposure(10n, 0n, 10n));
  assert.deepEqual(exposureOf(result.exposures, 'USD', BANK_A), exposure(0n, 5n, 5n));
  assert.deepEqual(exposureOf(exposures, 'EUR', BANK_A), exposure(100n, 0n, 0n), 'input exposures unchanged');
});

test('releaseQueue: after an incoming credit the blocked lane moves in order', () => {
  const queue = [queued(2, BANK_A, 50n), queued(3, BANK_A, 10n)];
  const exposures = new Map([['EUR', new Map([[BANK_A, exposure(100n, 0n, 80n)]])]]);
  assert.deepEqual(releaseQueue(queue, exposures).released, []);
  const credited = new Map([['EUR', new Map([[BANK_A, exposure(100n, 60n, 80n)]])]]);
  const result = releaseQueue(queue, credited);
  assert.deepEqual(result.released.map((p) => p.id), ['Q2', 'Q3']);
  assert.equal(headroom(exposureOf(result.exposures, 'EUR', BANK_A)), 20n);
});

test('releaseQueue: a duplicate sequence is a bug', () => {
  assert.throws(() => releaseQueue([queued(1, BANK_A, 1n), queued(1, BANK_B, 1n)], new Map()), InvariantViolation);
});

test('expireQueue: everything at cut-off, or only what arrived up to the cut-off sequence', () => {
  const queue = [queued(7, BANK_B, 1n), queued(3, BANK_A, 1n), queued(5, BANK_A, 1n)];
  assert.deepEqual(expireQueue(queue).expired.map((p) => p.id), ['Q3', 'Q5', 'Q7']);
  assert.deepEqual(expireQueue(queue).remaining, []);
  const partial = expireQueue(queue, 5n);
  assert.deepEqual(partial.expired.map((p) => p.id), ['Q3', 'Q5']);
  assert.deepEqual(partial.remaining.map((p) => p.id), ['Q7']);
  assert.deepEqual(expireQueue([], 1n), { expired: [], remaining: [] });
});

test('admit: reserve while it fits; over headroom reject, or queue and keep the lane waiting (FIFO)', () => {
  const exposures = new Map([['EUR', new Map([[BANK_A, exposure(100n, 0n, 30n)], [BANK_B, exposure(50n, 0n, 0n)]])]]);
  const arriving = [
    { debtor: BANK_A, currency: 'EUR', amountMinor: 50n }, // 70 left: reserved
    { debtor: BANK_A, currency: 'EUR', amountMinor: 40n }, // 20 left: over
    { debtor: BANK_A, currency: 'EUR', amountMinor: 10n }, // would fit; queued behind when the scheme queues
    { debtor: BANK_B, currency: 'EUR', amountMinor: 50n }, // another lane: fits exactly
    { debtor: BANK_C, currency: 'EUR', amountMinor: 1n }, // no exposure: cap 0
  ];
  const rejecting = admit(arriving, exposures, new Set(), 'reject');
  assert.deepEqual(rejecting.admissions, ['RESERVED', 'REJECTED', 'RESERVED', 'RESERVED', 'REJECTED']);
  assert.deepEqual(exposureOf(rejecting.exposures, 'EUR', BANK_A), exposure(100n, 0n, 90n));
  const queueing = admit(arriving, exposures, new Set(), 'queue');
  assert.deepEqual(queueing.admissions, ['RESERVED', 'QUEUED', 'QUEUED', 'RESERVED', 'QUEUED']);
  assert.deepEqual(exposureOf(queueing.exposures, 'EUR', BANK_A), exposure(100n, 0n, 80n));
  // A lane that already holds queued payments takes no reservation; waiting lanes mean nothing when rejecting.
  assert.deepEqual(admit(arriving.slice(0, 1), exposures, new Set([laneOf(BANK_A, 'EUR')]), 'queue').admissions, ['QUEUED']);
  assert.deepEqual(admit(arriving.slice(0, 1), exposures, new Set([laneOf(BANK_A, 'EUR')]), 'reject').admissions, ['RESERVED']);
  assert.deepEqual(exposureOf(exposures, 'EUR', BANK_A), exposure(100n, 0n, 30n), 'input exposures unchanged');
});

test('admit equals one tryReserve after the other, in arrival order (property)', () => {
  const banks = [BANK_A, BANK_B, BANK_C];
  fc.assert(fc.property(
    fc.array(fc.record({ debtor: fc.constantFrom(...banks), currency: fc.constantFrom('EUR', 'USD'), amountMinor: fc.bigInt({ min: 1n, max: 500n }) }),
      { maxLength: 40 }),
    fc.array(fc.bigInt({ min: 0n, max: 1_000n }), { minLength: 6, maxLength: 6 }),
    fc.constantFrom('queue' as const, 'reject' as const),
    fc.subarray(banks.map((b) => laneOf(b, 'EUR'))),
    (arriving, caps, overCap, waitingLanes) => {
      const exposures = new Map(['EUR', 'USD'].map((c, ci) => [c, new Map(banks.map((b, bi) => [b, exposure(caps[ci * 3 + bi]!, 0n, 0n)]))]));
      const result = admit(arriving, exposures, new Set(waitingLanes), overCap);
      // The reference: each payment alone, as the per-message path decides it.
      const current = new Map(['EUR', 'USD'].map((c) => [c, new Map(exposures.get(c)!)]));
      const waiting = new Set(overCap === 'queue' ? waitingLanes : []);
      const expected = arriving.map((p) => {
        const lane = laneOf(p.debtor, p.currency);
        const reserved = waiting.has(lane) ? undefined : tryReserve(current.get(p.currency)!.get(p.debtor)!, p.amountMinor);
        if (reserved?.ok) { current.get(p.currency)!.set(p.debtor, reserved.exposure); return 'RESERVED'; }
        if (overCap === 'reject') return 'REJECTED';
        waiting.add(lane);
        return 'QUEUED';
      });
      assert.deepEqual(result.admissions, expected);
      for (const c of ['EUR', 'USD']) for (const b of banks) {
        assert.deepEqual(exposureOf(result.exposures, c, b), current.get(c)!.get(b));
        assert.ok(headroom(exposureOf(result.exposures, c, b)) >= 0n, 'never over the cap');
      }
    }), { seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined });
});

