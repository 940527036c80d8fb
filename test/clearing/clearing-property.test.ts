/**
 * Property tests of the clearing core against small REFERENCE calculations written plainly here:
 * positions by a loop over participants and obligations, the matrix by a loop over pairs, unwind by
 * brute-force re-simulation (every position recomputed from scratch after every single removal), and
 * the real-time queue by a per-lane model. Random cycles: 0–200 steps among 2–8 banks in 1–2
 * currencies with random caps, including rejected payments (never part of the set), returns (an
 * obligation in the reverse direction referencing an earlier payment), unwinds rolled into a second
 * cycle, and real-time payments queued and released later.
 * Seeded: a failure prints the fast-check seed and path; replay with FC_SEED=<seed>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unwind, unwindParticipant, type Cap, type UnwindResult } from '../../switch/clearing/caps.ts';
import { nextState, type PaymentEvent, type PaymentState } from '../../switch/clearing/payment-state.ts';
import { bilateralMatrix, netPositions, type Obligation, type Positions } from '../../switch/clearing/positions.ts';
import {
  commit, expireQueue, exposureOf, headroom, release, releaseQueue, tryReserve, type Exposure, type QueuedPayment,
} from '../../switch/clearing/realtime.ts';
import { settlementInstructions } from '../../switch/clearing/settlement.ts';
import { plain } from './helpers.ts';

const RUNS = 100;
/** Steps per generated cycle: the brief's 0–200 payments. */
const STEPS_MAX = 200;
const BANKS = ['AAAADEFF', 'BBBBFRPP', 'CCCCGB2L', 'DDDDITMM', 'EEEEESMM', 'FFFFNL2A', 'GGGGBEBB', 'HHHHATWW'];
const CURRENCIES = ['EUR', 'USD'];
const seed = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const parameters = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };

// ---------- generated cycles ----------

type PayStep = { kind: 'pay'; debtor: number; creditorOffset: number; currency: number; amountMinor: bigint; rejected: boolean };
type ReturnStep = { kind: 'return'; of: number; full: boolean; perMille: bigint };

const amount = fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 1_000_000n }));
/** About one payment in ten is rejected at validation: it uses a sequence number but never enters the cycle. */
const payStep = fc.record({
  kind: fc.constant('pay' as const), debtor: fc.nat(), creditorOffset: fc.nat(), currency: fc.nat(),
  amountMinor: amount, rejected: fc.integer({ min: 0, max: 9 }).map((d) => d === 0),
});
const capValue = fc.option(fc.oneof(fc.bigInt({ min: 0n, max: 2_000n }), fc.bigInt({ min: 0n, max: 5_000_000n })), { nil: undefined });

const cycleArbitrary = fc.record({
  bankCount: fc.integer({ min: 2, max: BANKS.length }),
  currencyCount: fc.integer({ min: 1, max: CURRENCIES.length }),
  steps: fc.array(fc.oneof(
    { weight: 8, arbitrary: payStep },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('return' as const), of: fc.nat(), full: fc.boolean(), perMille: fc.bigInt({ min: 1n, max: 1000n }) }) },
  ), { maxLength: STEPS_MAX, size: 'max' }),
  caps: fc.array(capValue, { minLength: BANKS.length * CURRENCIES.length, maxLength: BANKS.length * CURRENCIES.length }),
  defaulter: fc.nat(),
  shuffleSeed: fc.integer(),
});
type CycleInput = { bankCount: number; currencyCount: number; steps: (PayStep | ReturnStep)[]; caps: (bigint | undefined)[] };

/** Turns generated steps into the cycle's obligations: rejected payments use a sequence but never enter. */
function buildCycle(input: CycleInput): { obligations: Obligation[]; caps: Cap[]; rejected: number } {
  const obligations: Obligation[] = [];
  const returnable: Obligation[] = [];
  let rejected = 0;
  input.steps.forEach((step, index) => {
    const sequence = BigInt(index + 1);
    if (step.kind === 'pay') {
      const debtor = step.debtor % input.bankCount;
      const creditor = (debtor + 1 + (step.creditorOffset % (input.bankCount - 1))) % input.bankCount;
      if (step.rejected) { rejected += 1; return; }
      const o = { id: `P${index}`, debtor: BANKS[debtor]!, creditor: BANKS[creditor]!, currency: CURRENCIES[step.currency % input.currencyCount]!, amountMinor: step.amountMinor, sequence };
      obligations.push(o);
      returnable.push(o);
    } else if (returnable.length > 0) {
      const [original] = returnable.splice(step.of % returnable.length, 1);
      const share = (original!.amountMinor * step.perMille) / 1000n;
      const amountMinor = step.full || share === 0n ? original!.amountMinor : share;
      obligations.push({ ...original!, id: `R-${original!.id}`, debtor: original!.creditor, creditor: original!.debtor, amountMinor, sequence });
    }
  });
  const caps: Cap[] = [];
  for (let b = 0; b < input.bankCount; b += 1) {
    for (let c = 0; c < input.currencyCount; c += 1) {
      const value = input.caps[b * CURRENCIES.length + c];
      if (value !== undefined) caps.push({ bic: BANKS[b]!, currency: CURRENCIES[c]!, netDebitCapMinor: value });
    }
  }
  return { obligations, caps, rejected };
}

// ---------- references ----------

function referencePosition(obligations: readonly Obligation[], currency: string, bic: string): bigint {
  let position = 0n;
  for (const o of obligations) {
    if (o.currency !== currency) continue;
    if (o.creditor === bic) position += o.amountMinor;
    if (o.debtor === bic) position -= o.amountMinor;
  }
  return position;
}

function participants(obligations: readonly Obligation[], currency: string): string[] {
  return [...new Set(obligations.filter((o) => o.currency === currency).flatMap((o) => [o.debtor, o.creditor]))];
}

function currencies(obligations: readonly Obligation[]): string[] {
  return [...new Set(obligations.map((o) => o.currency))];
}

function referencePositions(obligations: readonly Obligation[]): Record<string, Record<string, bigint>> {
  const result: Record<string, Record<string, bigint>> = {};
  for (const currency of currencies(obligations)) {
    result[currency] = {};
    for (const bic of participants(obligations, currency)) result[currency][bic] = referencePosition(obligations, currency, bic);
  }
  return result;
}

function referenceCap(caps: readonly Cap[], currency: string, bic: string): bigint {
  return caps.find((c) => c.currency === currency && c.bic === bic)?.netDebitCapMinor ?? 0n;
}

/** Brute force: recompute everything from scratch after every single removal. */
function referenceUnwind(obligations: readonly Obligation[], caps: readonly Cap[], removedBefore: string[] = [], roundOffset = 0) {
  let kept = [...obligations];
  const removed = [...removedBefore];
  let round = 0;
  for (;;) {
    const breaches: { currency: string; bic: string; excess: bigint }[] = [];
    for (const currency of currencies(kept)) {
      for (const bic of participants(kept, currency)) {
        const excess = -referencePosition(kept, currency, bic) - referenceCap(caps, currency, bic);
        if (excess > 0n) breaches.push({ currency, bic, excess });
      }
    }
    if (breaches.length === 0) break;
    breaches.sort((a, b) => (a.currency !== b.currency ? (a.currency < b.currency ? -1 : 1)
      : a.excess !== b.excess ? (a.excess > b.excess ? -1 : 1) : a.bic < b.bic ? -1 : 1));
    const { currency, bic } = breaches[0]!;
    round += 1;
    while (-referencePosition(kept, currency, bic) > referenceCap(caps, currency, bic)) {
      const sent = kept.filter((o) => o.debtor === bic && o.currency === currency);
      const latest = sent.reduce((a, b) => (a.sequence > b.sequence ? a : b));
      kept = kept.filter((o) => o !== latest);
      removed.push(`${latest.id} CAP_BREACH ${roundOffset + round}`);
    }
  }
  kept.sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
  return { kept: kept.map((o) => o.id), removed, rounds: roundOffset + round };
}

function summary(result: UnwindResult) {
  return {
    kept: result.kept.map((o) => o.id),
    removed: result.removed.map((r) => `${r.obligation.id} ${r.reason} ${r.round}`),
    rounds: result.rounds,
  };
}

// ---------- invariants ----------

function assertSumsToZero(positions: Positions): void {
  for (const [currency, byBic] of positions) {
    assert.equal([...byBic.values()].reduce((a, b) => a + b, 0n), 0n, `sum in ${currency}`);
  }
}

function checkUnwindResult(input: readonly Obligation[], caps: readonly Cap[], result: UnwindResult): void {
  const keptIds = result.kept.map((o) => o.id);
  const removedIds = result.removed.map((r) => r.obligation.id);
  assert.equal(new Set([...keptIds, ...removedIds]).size, input.length, 'kept and removed are disjoint');
  assert.deepEqual([...keptIds, ...removedIds].sort(), input.map((o) => o.id).sort(), 'removed ∪ kept = input');
  assertSumsToZero(result.positions);
  assert.deepEqual(plain(result.positions), referencePositions(result.kept));
  for (const [currency, byBic] of result.positions) {
    for (const [bic, position] of byBic) assert.ok(-position <= referenceCap(caps, currency, bic), `${bic} over its cap in ${currency}`);
  }
  const instructions = settlementInstructions(result.positions, { settlementAccount: 'SCHEME' });
  for (const currency of result.positions.keys()) {
    const of = (direction: string): bigint => instructions
      .filter((i) => i.currency === currency && i.direction === direction).reduce((a, i) => a + i.amountMinor, 0n);
    assert.equal(of('DEBIT'), of('CREDIT'));
  }
}

/** Fisher–Yates with a small seeded generator (mulberry32), so a shuffle replays from the fast-check seed. */
function shuffled<T>(items: readonly T[], shuffleSeed: number): T[] {
  let state = shuffleSeed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Drives a payment's state through the machine; every step of a simulation must be legal. */
function step(states: Map<string, PaymentState>, id: string, event: PaymentEvent): void {
  const result = nextState(states.get(id) ?? 'RECEIVED', event);
  assert.ok(result.ok, `${id}: ${event} in ${states.get(id)}`);
  states.set(id, result.state);
}

// ---------- batch properties ----------

test('property: positions and bilateral matrix equal the plain double-loop reference', () => {
  fc.assert(fc.property(cycleArbitrary, (input) => {
    const { obligations } = buildCycle(input);
    const positions = netPositions(obligations);
    assert.deepEqual(plain(positions), referencePositions(obligations));
    assertSumsToZero(positions);
    const matrix = bilateralMatrix(obligations);
    for (const currency of currencies(obligations)) {
      for (const debtor of participants(obligations, currency)) {
        for (const creditor of participants(obligations, currency)) {
          let gross = 0n;
          for (const o of obligations) if (o.currency === currency && o.debtor === debtor && o.creditor === creditor) gross += o.amountMinor;
          assert.equal(matrix.get(currency)?.get(debtor)?.get(creditor) ?? 0n, gross);
        }
      }
    }
  }), parameters);
});

test('property: unwind equals brute-force re-simulation; invariants; deterministic; order-independent', () => {
  fc.assert(fc.property(cycleArbitrary, (input) => {
    const { obligations, caps } = buildCycle(input);
    const result = unwind(obligations, caps);
    assert.deepEqual(summary(result), referenceUnwind(obligations, caps));
    checkUnwindResult(obligations, caps, result);
    assert.deepEqual(unwind(obligations, caps), result, 'same input, same output');
    assert.deepEqual(unwind(shuffled(obligations, input.shuffleSeed), shuffled(caps, input.shuffleSeed)), result, 'shuffled input');

    // The unwound payments are rejected (docs/decisions.md 8); their senders send them again into the
    // next cycle, as new payments, unwound there again if need be.
    const states = new Map<string, PaymentState>();
    for (const o of obligations) { step(states, o.id, 'ACCEPT_BATCH'); step(states, o.id, 'NET'); }
    for (const o of result.kept) step(states, o.id, 'SETTLE');
    const rolled = result.removed.map((r) => r.obligation);
    for (const o of rolled) { step(states, o.id, 'UNWIND'); step(states, o.id, 'REJECT'); }
    for (const o of rolled) { step(states, `${o.id}-again`, 'ACCEPT_BATCH'); step(states, `${o.id}-again`, 'NET'); }
    const next = unwind(rolled, caps);
    assert.deepEqual(summary(next), referenceUnwind(rolled, caps));
    checkUnwindResult(rolled, caps, next);
    for (const o of next.kept) step(states, `${o.id}-again`, 'SETTLE');
    for (const r of next.removed) { step(states, `${r.obligation.id}-again`, 'UNWIND'); step(states, `${r.obligation.id}-again`, 'REJECT'); }
    assert.ok([...states.values()].every((s) => s === 'SETTLED' || s === 'REJECTED'));
  }), parameters);
});

test('property: unwindParticipant equals removing the defaulter then brute-force unwind', () => {
  fc.assert(fc.property(cycleArbitrary, (input) => {
    const { obligations, caps } = buildCycle(input);
    const bic = BANKS[input.defaulter % input.bankCount]!;
    const involved = obligations.filter((o) => o.debtor === bic || o.creditor === bic).sort((a, b) => (a.sequence > b.sequence ? -1 : 1));
    const rest = obligations.filter((o) => o.debtor !== bic && o.creditor !== bic);
    const result = unwindParticipant(obligations, bic, caps);
    const expected = referenceUnwind(rest, caps, involved.map((o) => `${o.id} SETTLEMENT_FAILED 1`), 1);
    assert.deepEqual(summary(result), expected);
    checkUnwindResult(obligations, caps, result);
    assert.ok(result.kept.every((o) => o.debtor !== bic && o.creditor !== bic));
    assert.deepEqual(unwindParticipant(shuffled(obligations, input.shuffleSeed), bic, caps), result);
  }), parameters);
});

// ---------- real-time property ----------

const realtimeArbitrary = fc.record({
  bankCount: fc.integer({ min: 2, max: BANKS.length }),
  currencyCount: fc.integer({ min: 1, max: CURRENCIES.length }),
  caps: fc.array(fc.bigInt({ min: 0n, max: 3_000_000n }), { minLength: BANKS.length * CURRENCIES.length, maxLength: BANKS.length * CURRENCIES.length }),
  steps: fc.array(fc.oneof(
    fc.record({ kind: fc.constant('pay' as const), debtor: fc.nat(), creditorOffset: fc.nat(), currency: fc.nat(), amountMinor: amount, queueIfShort: fc.boolean() }),
    fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), outcome: fc.constantFrom('ACCEPT' as const, 'REJECT' as const, 'TIMEOUT' as const) }),
  ), { maxLength: STEPS_MAX, size: 'max' }),
});

type ReferenceAccount = { cap: bigint; net: bigint; reserved: bigint };

/** The plain model: one record per lane, and the queue as one FIFO array per lane. */
class ReferenceRealtime {
  readonly accounts = new Map<string, ReferenceAccount>();
  readonly lanes = new Map<string, QueuedPayment[]>();

  account(currency: string, bic: string): ReferenceAccount {
    const key = `${currency} ${bic}`;
    if (!this.accounts.has(key)) this.accounts.set(key, { cap: 0n, net: 0n, reserved: 0n });
    return this.accounts.get(key)!;
  }

  fits(p: { debtor: string; currency: string; amountMinor: bigint }): boolean {
    const a = this.account(p.currency, p.debtor);
    return a.cap + a.net - a.reserved >= p.amountMinor;
  }

  enqueue(p: QueuedPayment): void {
    const key = `${p.currency} ${p.debtor}`;
    this.lanes.set(key, [...(this.lanes.get(key) ?? []), p]);
  }

  /** Each lane: release from the head while the head fits. */
  releaseHeads(): string[] {
    const released: string[] = [];
    for (const lane of this.lanes.values()) {
      while (lane.length > 0 && this.fits(lane[0]!)) {
        const p = lane.shift()!;
        this.account(p.currency, p.debtor).reserved += p.amountMinor;
        released.push(p.id);
      }
    }
    return released.sort();
  }
}

test('property: real-time reserve/commit/release and FIFO queue equal a plain model; committed cycle never breaches', () => {
  fc.assert(fc.property(realtimeArbitrary, (input) => {
    const model = new ReferenceRealtime();
    const capList: Cap[] = [];
    let exposures = new Map<string, Map<string, Exposure>>();
    for (let c = 0; c < input.currencyCount; c += 1) {
      const byBic = new Map<string, Exposure>();
      for (let b = 0; b < input.bankCount; b += 1) {
        const capMinor = input.caps[b * CURRENCIES.length + c]!;
        byBic.set(BANKS[b]!, { capMinor, netPositionMinor: 0n, reservedMinor: 0n });
        model.account(CURRENCIES[c]!, BANKS[b]!).cap = capMinor;
        capList.push({ bic: BANKS[b]!, currency: CURRENCIES[c]!, netDebitCapMinor: capMinor });
      }
      exposures.set(CURRENCIES[c]!, byBic);
    }
    const set = (currency: string, bic: string, e: Exposure): void => { exposures.get(currency)!.set(bic, e); };
    let queue: QueuedPayment[] = [];
    const inFlight: Obligation[] = [];
    const committed: Obligation[] = [];
    const states = new Map<string, PaymentState>();
    const lastDequeued = new Map<string, bigint>();
    const byId = new Map<string, Obligation>();

    const releaseAndCheck = (): void => {
      const result = releaseQueue(queue, exposures);
      exposures = result.exposures;
      queue = result.remaining;
      assert.deepEqual(result.released.map((p) => p.id).sort(), model.releaseHeads());
      for (const p of result.released) {
        const lane = `${p.currency} ${p.debtor}`;
        assert.ok((lastDequeued.get(lane) ?? 0n) < p.sequence, `FIFO in lane ${lane}`);
        lastDequeued.set(lane, p.sequence);
        step(states, p.id, 'DEQUEUE_RESERVE');
        inFlight.push(byId.get(p.id)!);
      }
    };

    input.steps.forEach((s, index) => {
      if (s.kind === 'pay') {
        const debtor = s.debtor % input.bankCount;
        const creditor = (debtor + 1 + (s.creditorOffset % (input.bankCount - 1))) % input.bankCount;
        const p: Obligation = { id: `T${index}`, debtor: BANKS[debtor]!, creditor: BANKS[creditor]!, currency: CURRENCIES[s.currency % input.currencyCount]!, amountMinor: s.amountMinor, sequence: BigInt(index + 1) };
        byId.set(p.id, p);
        const modelFits = model.fits(p);
        const reserved = tryReserve(exposureOf(exposures, p.currency, p.debtor), p.amountMinor);
        assert.equal(reserved.ok, modelFits);
        if (reserved.ok) {
          set(p.currency, p.debtor, reserved.exposure);
          model.account(p.currency, p.debtor).reserved += p.amountMinor;
          inFlight.push(p);
          step(states, p.id, 'RESERVE');
        } else if (s.queueIfShort) {
          queue.push(p);
          model.enqueue(p);
          step(states, p.id, 'QUEUE');
        } else {
          step(states, p.id, 'REJECT');
        }
      } else if (inFlight.length > 0) {
        const [p] = inFlight.splice(s.pick % inFlight.length, 1);
        const debtor = model.account(p!.currency, p!.debtor);
        if (s.outcome === 'ACCEPT') {
          const next = commit(exposureOf(exposures, p!.currency, p!.debtor), exposureOf(exposures, p!.currency, p!.creditor), p!.amountMinor);
          set(p!.currency, p!.debtor, next.debtor);
          set(p!.currency, p!.creditor, next.creditor);
          debtor.reserved -= p!.amountMinor;
          debtor.net -= p!.amountMinor;
          model.account(p!.currency, p!.creditor).net += p!.amountMinor;
          committed.push(p!);
          step(states, p!.id, 'CREDITOR_ACCEPTED');
        } else {
          set(p!.currency, p!.debtor, release(exposureOf(exposures, p!.currency, p!.debtor), p!.amountMinor));
          debtor.reserved -= p!.amountMinor;
          step(states, p!.id, s.outcome === 'REJECT' ? 'CREDITOR_REJECTED' : 'TIMEOUT');
        }
        releaseAndCheck();
      }
      checkExposures(exposures, model, committed);
    });

    // Cut-off: the queue expires, payments still in flight time out, the committed cycle settles.
    for (const p of expireQueue(queue).expired) step(states, p.id, 'EXPIRE');
    for (const p of inFlight) {
      set(p.currency, p.debtor, release(exposureOf(exposures, p.currency, p.debtor), p.amountMinor));
      step(states, p.id, 'TIMEOUT');
    }
    const cycle = unwind(committed, capList);
    assert.deepEqual(cycle.removed, [], 'real-time payments were checked against the same caps');
    for (const o of cycle.kept) step(states, o.id, 'SETTLE');
    assert.ok([...states.values()].every((s) => s === 'SETTLED' || s === 'RELEASED' || s === 'REJECTED'));
    for (const byBic of exposures.values()) for (const e of byBic.values()) assert.equal(e.reservedMinor, 0n);
  }), parameters);
});

function checkExposures(exposures: Map<string, Map<string, Exposure>>, model: ReferenceRealtime, committed: readonly Obligation[]): void {
  const positions = netPositions(committed);
  for (const [currency, byBic] of exposures) {
    let sum = 0n;
    for (const [bic, e] of byBic) {
      const expected = model.account(currency, bic);
      assert.deepEqual([e.capMinor, e.netPositionMinor, e.reservedMinor], [expected.cap, expected.net, expected.reserved]);
      assert.ok(headroom(e) >= 0n, `${bic} headroom in ${currency}`);
      assert.equal(e.netPositionMinor, positions.get(currency)?.get(bic) ?? 0n);
      sum += e.netPositionMinor;
    }
    assert.equal(sum, 0n);
  }
}
