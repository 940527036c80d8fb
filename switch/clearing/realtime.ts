/**
 * Headroom for the real-time mode (docs/scheme-rules.md, "Clearing modes" and "Positions, caps and unwind"), TIPS-style: a payment reserves its
 * amount against the debtor's headroom, is forwarded, and the reservation is committed to the cycle's
 * net positions when the creditor agent accepts, or released when it rejects or times out.
 *
 *   headroom = net debit cap + net position − reserved
 *
 * A payment over headroom is queued (BEPS PR11) and released in FIFO order when incoming credits raise
 * the headroom; whatever is still queued at cut-off expires. Exposures are values: every function
 * returns the next exposure and changes nothing it is given.
 *
 * Headroom is also bounded by the participant's real-time debits not yet settled (reserved and
 * committed): at most limits.amounts.participantRealtimeDebitsMinorMax, so that no real-time sum of a
 * cycle can overflow (switch/limits.ts). A scheme's caps are far below it; it only ever binds a
 * participant whose credits keep raising its headroom (two banks paying each other back and forth).
 */
import { invariant } from './invariant.ts';
import { limits } from '../limits.ts';

/** One participant's standing in one currency during a cycle. */
export type Exposure = {
  /** Net debit cap, ≥ 0n. */
  readonly capMinor: bigint;
  /** Committed net position of the cycle (Σ received − Σ sent). */
  readonly netPositionMinor: bigint;
  /** Reserved for payments forwarded and not yet answered, ≥ 0n. */
  readonly reservedMinor: bigint;
  /** Real-time debits not yet settled (reserved + committed), ≥ 0n; absent: not tracked, taken as none. */
  readonly debitsMinor?: bigint;
};

/** currency → BIC → exposure. A participant without an entry has the zero exposure (cap 0n, as in caps.ts). */
export type Exposures = ReadonlyMap<string, ReadonlyMap<string, Exposure>>;

export const zeroExposure: Exposure = { capMinor: 0n, netPositionMinor: 0n, reservedMinor: 0n };

export type ReserveResult =
  | { readonly ok: true; readonly exposure: Exposure }
  | { readonly ok: false; readonly shortfallMinor: bigint };

/** A real-time payment waiting for headroom. `sequence` is its order of arrival, unique. */
export type QueuedPayment = {
  readonly id: string;
  readonly debtor: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly sequence: bigint;
};

export function headroom(exposure: Exposure): bigint {
  const funds = exposure.capMinor + exposure.netPositionMinor - exposure.reservedMinor;
  const debits = limits.amounts.participantRealtimeDebitsMinorMax - (exposure.debitsMinor ?? 0n);
  return funds < debits ? funds : debits;
}

/** Reserves `amountMinor` if it fits in the headroom; otherwise says by how much it does not. */
export function tryReserve(exposure: Exposure, amountMinor: bigint): ReserveResult {
  assertExposure(exposure);
  invariant(amountMinor > 0n, `reserve of ${amountMinor}: amount is not positive`);
  const available = headroom(exposure);
  if (amountMinor > available) return { ok: false, shortfallMinor: amountMinor - available };
  return { ok: true, exposure: { ...exposure, reservedMinor: exposure.reservedMinor + amountMinor,
    ...(exposure.debitsMinor === undefined ? {} : { debitsMinor: exposure.debitsMinor + amountMinor }) } };
}

/** The creditor agent accepted: the reservation becomes a debit of the debtor and a credit of the creditor. */
export function commit(debtor: Exposure, creditor: Exposure, amountMinor: bigint): { debtor: Exposure; creditor: Exposure } {
  assertReserved(debtor, amountMinor);
  assertExposure(creditor);
  return {
    debtor: { ...debtor, netPositionMinor: debtor.netPositionMinor - amountMinor, reservedMinor: debtor.reservedMinor - amountMinor },
    creditor: { ...creditor, netPositionMinor: creditor.netPositionMinor + amountMinor },
  };
}

/** The creditor agent rejected or did not answer in time: the reservation is given back. */
export function release(debtor: Exposure, amountMinor: bigint): Exposure {
  assertReserved(debtor, amountMinor);
  return { ...debtor, reservedMinor: debtor.reservedMinor - amountMinor,
    ...(debtor.debitsMinor === undefined ? {} : { debitsMinor: debtor.debitsMinor - amountMinor }) };
}

/**
 * The queued payments that can now be reserved, strictly FIFO per debtor and currency: walking the
 * queue in sequence order, a payment that still does not fit blocks every later payment of the same
 * debtor in the same currency, even a smaller one that would fit. This keeps the debtor's payments in
 * the order it sent them, as BEPS queues do, and stops a stream of small payments from starving a
 * large one. Other debtors' lanes are independent. Reserving does not change any creditor's position
 * (only a commit does), so one pass in sequence order is complete.
 */
export function releaseQueue(queue: readonly QueuedPayment[], exposures: Exposures): {
  released: QueuedPayment[]; remaining: QueuedPayment[]; exposures: Map<string, Map<string, Exposure>>;
} {
  const next = copyExposures(exposures);
  const blockedLanes = new Set<string>();
  const released: QueuedPayment[] = [];
  const remaining: QueuedPayment[] = [];
  for (const payment of inSequence(queue)) {
    const lane = laneOf(payment.debtor, payment.currency);
    const byBic = next.get(payment.currency) ?? new Map<string, Exposure>();
    const reserved = blockedLanes.has(lane) ? undefined : tryReserve(byBic.get(payment.debtor) ?? zeroExposure, payment.amountMinor);
    if (reserved?.ok === true) {
      next.set(payment.currency, byBic.set(payment.debtor, reserved.exposure));
      released.push(payment);
    } else {
      blockedLanes.add(lane);
      remaining.push(payment);
    }
  }
  return { released, remaining, exposures: next };
}

/** What becomes of a newly received real-time payment. */
export type Admission = 'RESERVED' | 'QUEUED' | 'REJECTED';

/** A newly received real-time payment, in arrival order. */
export type ArrivingPayment = {
  readonly debtor: string;
  readonly currency: string;
  readonly amountMinor: bigint;
};

/** The FIFO lane of a debtor in a currency (the key of `waitingLanes`). */
export function laneOf(debtor: string, currency: string): string {
  return `${currency} ${debtor}`;
}

/**
 * Admission of newly received payments, taken in arrival order: a payment reserves its amount when
 * it fits in its debtor's headroom and nobody waits in its lane; otherwise it is queued (`overCap`
 * 'queue') or rejected. Once a payment of a lane is queued, every later one of that lane queues behind
 * it, even a smaller one that would fit (FIFO, as releaseQueue keeps it). `waitingLanes` are the lanes
 * that already hold queued payments. The result is what one payment after the other, each reserving
 * with its own conditional update, would have done; the engine decides a group of concurrent
 * submissions with it in one pass over exposures it holds locked.
 */
export function admit(payments: readonly ArrivingPayment[], exposures: Exposures, waitingLanes: ReadonlySet<string>,
  overCap: 'queue' | 'reject'): { admissions: Admission[]; exposures: Map<string, Map<string, Exposure>> } {
  const next = copyExposures(exposures);
  const waiting = new Set(overCap === 'queue' ? waitingLanes : []);
  const admissions: Admission[] = [];
  for (const payment of payments) {
    const lane = laneOf(payment.debtor, payment.currency);
    const byBic = next.get(payment.currency) ?? new Map<string, Exposure>();
    const reserved = waiting.has(lane) ? undefined : tryReserve(byBic.get(payment.debtor) ?? zeroExposure, payment.amountMinor);
    if (reserved?.ok === true) {
      next.set(payment.currency, byBic.set(payment.debtor, reserved.exposure));
      admissions.push('RESERVED');
    } else if (overCap === 'queue') {
      waiting.add(lane);
      admissions.push('QUEUED');
    } else {
      admissions.push('REJECTED');
    }
  }
  return { admissions, exposures: next };
}

/**
 * Cut-off: queued payments expire (they are released, with a pacs.002 RJCT AM04 to the debtor agent).
 * With `cutOffSequence`, only payments that arrived up to it expire; later ones arrived after the
 * cut-off, belong to the next cycle and stay queued. Without it, the whole queue expires.
 */
export function expireQueue(queue: readonly QueuedPayment[], cutOffSequence?: bigint): {
  expired: QueuedPayment[]; remaining: QueuedPayment[];
} {
  const ordered = inSequence(queue);
  const expires = (p: QueuedPayment): boolean => cutOffSequence === undefined || p.sequence <= cutOffSequence;
  return { expired: ordered.filter(expires), remaining: ordered.filter((p) => !expires(p)) };
}

/** The headroom of `bic` in `currency`. */
export function exposureOf(exposures: Exposures, currency: string, bic: string): Exposure {
  return exposures.get(currency)?.get(bic) ?? zeroExposure;
}

function inSequence(queue: readonly QueuedPayment[]): QueuedPayment[] {
  const ordered = [...queue].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
  for (let i = 1; i < ordered.length; i += 1) {
    invariant(ordered[i - 1]?.sequence !== ordered[i]?.sequence, `queued sequence ${ordered[i]?.sequence} occurs twice`);
  }
  return ordered;
}

function copyExposures(exposures: Exposures): Map<string, Map<string, Exposure>> {
  return new Map([...exposures].map(([currency, byBic]) => [currency, new Map(byBic)]));
}

function assertExposure(exposure: Exposure): void {
  invariant(exposure.capMinor >= 0n, `cap ${exposure.capMinor} is negative`);
  invariant(exposure.reservedMinor >= 0n, `reserved ${exposure.reservedMinor} is negative`);
  invariant(exposure.debitsMinor === undefined || exposure.debitsMinor >= exposure.reservedMinor,
    `real-time debits ${exposure.debitsMinor} below the ${exposure.reservedMinor} reserved`);
}

function assertReserved(debtor: Exposure, amountMinor: bigint): void {
  assertExposure(debtor);
  invariant(amountMinor > 0n, `amount ${amountMinor} is not positive`);
  invariant(debtor.reservedMinor >= amountMinor, `resolving ${amountMinor} with only ${debtor.reservedMinor} reserved`);
}
