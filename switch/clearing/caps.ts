/**
 * Net debit caps and the unwind of a netted cycle (docs/scheme-rules.md, "Positions, caps and unwind").
 *
 * Unwind rule LATEST_FIRST (the default, and the only rule so far). Until no participant is over its
 * cap: take the first breach in the order of `capBreaches` (currency ascending, then largest excess
 * first, then BIC ascending); remove that participant's SENT obligations in that currency, latest
 * `sequence` first, one at a time, until its position is within its cap; then recompute every
 * position. Removing a payment lowers its creditor's position, which can put the creditor over its
 * own cap: that is the next round. Received payments are never removed to help the breached
 * participant, so a round only ever makes other participants' positions worse and the breached
 * participant's better. Why latest first: the latest payments are the ones the sender could least
 * have counted on being settled (the BEPS/STEP2 practice), and the rule depends only on data the
 * switch fixed at acceptance, so every replay of a cycle unwinds it identically.
 *
 * Currencies never interact (no payment moves money across currencies), so their order only fixes
 * the round numbers, not what is removed.
 */
import { invariant } from './invariant.ts';
import {
  assertObligations, assertSumZero, compareText, netPositions, positionOf, type Obligation, type Positions,
} from './positions.ts';

/** A participant's net debit cap in one currency. A participant without an entry has cap 0n. */
export type Cap = { readonly bic: string; readonly currency: string; readonly netDebitCapMinor: bigint };

export type CapBreach = {
  readonly bic: string;
  readonly currency: string;
  readonly position: bigint;
  readonly cap: bigint;
  /** −position − cap, always > 0n. */
  readonly excess: bigint;
};

export const unwindRules = ['LATEST_FIRST'] as const;
export type UnwindRule = (typeof unwindRules)[number];

export type RemovalReason = 'CAP_BREACH' | 'SETTLEMENT_FAILED';
export type Removal = { readonly obligation: Obligation; readonly reason: RemovalReason; readonly round: number };

export type UnwindResult = {
  /** What stays in the cycle, in sequence order. */
  readonly kept: Obligation[];
  /** What left the cycle, in the order it was removed. */
  readonly removed: Removal[];
  /** netPositions(kept): participants left without any obligation have no entry. */
  readonly positions: Map<string, Map<string, bigint>>;
  readonly rounds: number;
};

/** The order in which a breached participant's sent obligations are removed, per rule. */
const removalOrders: Record<UnwindRule, (a: Obligation, b: Obligation) => number> = {
  LATEST_FIRST: (a, b) => bySequence(b, a),
};

function bySequence(a: Obligation, b: Obligation): number {
  return a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0;
}

/** Every participant whose net debit exceeds its cap, ordered as unwind takes them. */
export function capBreaches(positions: Positions, caps: readonly Cap[]): CapBreach[] {
  const capIndex = indexCaps(caps);
  const breaches: CapBreach[] = [];
  for (const [currency, byBic] of positions) {
    for (const [bic, position] of byBic) {
      const cap = capIndex.get(currency)?.get(bic) ?? 0n;
      if (-position > cap) breaches.push({ bic, currency, position, cap, excess: -position - cap });
    }
  }
  return breaches.sort(compareBreaches);
}

function compareBreaches(a: CapBreach, b: CapBreach): number {
  if (a.currency !== b.currency) return compareText(a.currency, b.currency);
  if (a.excess !== b.excess) return a.excess > b.excess ? -1 : 1;
  return compareText(a.bic, b.bic);
}

/** Caps by currency and BIC. A duplicate or negative cap is a configuration bug caught at load time. */
function indexCaps(caps: readonly Cap[]): Map<string, Map<string, bigint>> {
  const index = new Map<string, Map<string, bigint>>();
  for (const c of caps) {
    invariant(c.netDebitCapMinor >= 0n, `cap of ${c.bic} in ${c.currency} is negative`);
    const byBic = index.get(c.currency) ?? new Map<string, bigint>();
    invariant(!byBic.has(c.bic), `two caps for ${c.bic} in ${c.currency}`);
    index.set(c.currency, byBic.set(c.bic, c.netDebitCapMinor));
  }
  return index;
}

/** Removes obligations by `rule` until no participant is over its cap. */
export function unwind(obligations: readonly Obligation[], caps: readonly Cap[], rule: UnwindRule = 'LATEST_FIRST'): UnwindResult {
  assertObligations(obligations);
  return unwindCaps(obligations, caps, rule, [], 0);
}

/**
 * Settlement of `bic` failed: every obligation it sends or receives leaves the cycle (round 1, reason
 * SETTLEMENT_FAILED, removed in the rule's order), then the rest is unwound for caps from round 2 on:
 * the lost incoming payments of the defaulter's counterparties can put them over their caps.
 */
export function unwindParticipant(
  obligations: readonly Obligation[], bic: string, caps: readonly Cap[], rule: UnwindRule = 'LATEST_FIRST',
): UnwindResult {
  assertObligations(obligations);
  const involves = (o: Obligation): boolean => o.debtor === bic || o.creditor === bic;
  const failed = obligations.filter(involves).sort(removalOrders[rule]);
  const removed = failed.map((obligation): Removal => ({ obligation, reason: 'SETTLEMENT_FAILED', round: 1 }));
  const result = unwindCaps(obligations.filter((o) => !involves(o)), caps, rule, removed, 1);
  invariant(result.kept.length + result.removed.length === obligations.length, 'unwindParticipant lost obligations');
  return result;
}

function unwindCaps(
  obligations: readonly Obligation[], caps: readonly Cap[], rule: UnwindRule,
  removedBefore: readonly Removal[], roundOffset: number,
): UnwindResult {
  // Each round removes at least one obligation (a participant over its cap sends more than it
  // receives, so it has one to give up), hence never more rounds than obligations.
  const roundsMax = obligations.length;
  const positions = netPositions(obligations);
  const senders = new SentObligations(obligations, removalOrders[rule]);
  const removed: Removal[] = [...removedBefore];
  let rounds = 0;
  for (let breach = capBreaches(positions, caps)[0]; breach !== undefined; breach = capBreaches(positions, caps)[0]) {
    rounds += 1;
    invariant(rounds <= roundsMax, `unwind did not converge within ${roundsMax} rounds`);
    const taken = removeUntilWithinCap(breach, positions, senders);
    removed.push(...taken.map((obligation): Removal => ({ obligation, reason: 'CAP_BREACH', round: roundOffset + rounds })));
    assertSumZero(positions);
  }
  const removedIds = new Set(removed.map((r) => r.obligation.id));
  const kept = obligations.filter((o) => !removedIds.has(o.id)).sort(bySequence);
  const keptPositions = netPositions(kept);
  assertSamePositions(positions, keptPositions);
  invariant(capBreaches(keptPositions, caps).length === 0, 'unwind left a participant over its cap');
  return { kept, removed, positions: keptPositions, rounds: roundOffset + rounds };
}

/** One round: the breached participant gives up sent obligations, in rule order, until within cap. */
function removeUntilWithinCap(breach: CapBreach, positions: Map<string, Map<string, bigint>>, senders: SentObligations): Obligation[] {
  const byBic = positions.get(breach.currency);
  invariant(byBic !== undefined, `breach in ${breach.currency} without positions`);
  const taken: Obligation[] = [];
  while (-(byBic.get(breach.bic) ?? 0n) > breach.cap) {
    const o = senders.next(breach.currency, breach.bic);
    invariant(o !== undefined, `${breach.bic} is over its cap in ${breach.currency} with nothing left to remove`);
    byBic.set(o.debtor, (byBic.get(o.debtor) ?? 0n) + o.amountMinor);
    byBic.set(o.creditor, (byBic.get(o.creditor) ?? 0n) - o.amountMinor);
    taken.push(o);
  }
  invariant(taken.length > 0, `round for ${breach.bic} in ${breach.currency} removed nothing`);
  return taken;
}

/** Each participant's sent obligations per currency, handed out one by one in removal order. */
class SentObligations {
  private readonly lanes = new Map<string, { readonly sent: Obligation[]; next: number }>();

  constructor(obligations: readonly Obligation[], order: (a: Obligation, b: Obligation) => number) {
    for (const o of obligations) {
      const key = SentObligations.key(o.currency, o.debtor);
      const lane = this.lanes.get(key) ?? { sent: [], next: 0 };
      lane.sent.push(o);
      this.lanes.set(key, lane);
    }
    for (const lane of this.lanes.values()) lane.sent.sort(order);
  }

  next(currency: string, bic: string): Obligation | undefined {
    const lane = this.lanes.get(SentObligations.key(currency, bic));
    if (lane === undefined || lane.next >= lane.sent.length) return undefined;
    lane.next += 1;
    return lane.sent[lane.next - 1];
  }

  /** ISO currency codes have no space, so the key is unambiguous. */
  private static key(currency: string, bic: string): string {
    return `${currency} ${bic}`;
  }
}

/** The positions kept up to date round by round must equal a fresh netting of what is kept. */
function assertSamePositions(running: Positions, fresh: Positions): void {
  for (const [currency, byBic] of running) {
    for (const [bic, position] of byBic) {
      invariant(position === positionOf(fresh, currency, bic), `running position of ${bic} in ${currency} drifted`);
    }
  }
  for (const [currency, byBic] of fresh) {
    for (const bic of byBic.keys()) invariant(running.get(currency)?.has(bic) === true, `${bic} appeared in ${currency}`);
  }
}
