/**
 * Multilateral net positions and the bilateral matrix of a cycle (docs/scheme-rules.md, "Positions, caps and unwind").
 * Pure: obligations in, maps out. Every map is sorted (currency, then BIC, ascending) so that the
 * result, and anything printed from it, does not depend on the order of the input.
 */
import { invariant } from './invariant.ts';

/** One accepted payment (or return) of a cycle, as the clearing engine sees it. */
export type Obligation = {
  readonly id: string;
  /** Sending participant (the debtor agent), by BIC. */
  readonly debtor: string;
  /** Receiving participant (the creditor agent), by BIC. */
  readonly creditor: string;
  /** ISO 4217 code. */
  readonly currency: string;
  /** Always > 0n. */
  readonly amountMinor: bigint;
  /** Order of acceptance by the switch; unique within a cycle. Unwind rules order by it. */
  readonly sequence: bigint;
};

/** currency → BIC → net position (Σ received − Σ sent; negative = net debit, the participant pays). */
export type Positions = ReadonlyMap<string, ReadonlyMap<string, bigint>>;

/** One currency's gross amounts sent: debtor BIC → creditor BIC → Σ amounts. */
export type BilateralMatrix = ReadonlyMap<string, ReadonlyMap<string, bigint>>;

/**
 * Asserts what netting relies on: a positive amount, two different participants, ids and sequences
 * unique. Validation guarantees these before a payment is accepted, so a failure here is a bug.
 */
export function assertObligations(obligations: readonly Obligation[]): void {
  const ids = new Set<string>();
  const sequences = new Set<bigint>();
  for (const o of obligations) {
    invariant(o.amountMinor > 0n, `obligation ${o.id}: amount ${o.amountMinor} is not positive`);
    invariant(o.debtor !== o.creditor, `obligation ${o.id}: debtor and creditor are both ${o.debtor}`);
    invariant(!ids.has(o.id), `obligation id ${o.id} occurs twice`);
    invariant(!sequences.has(o.sequence), `obligation sequence ${o.sequence} occurs twice`);
    ids.add(o.id);
    sequences.add(o.sequence);
  }
}

/** Multilateral net position per currency and participant. Every participant that appears has an entry. */
export function netPositions(obligations: readonly Obligation[]): Map<string, Map<string, bigint>> {
  assertObligations(obligations);
  const positions = new Map<string, Map<string, bigint>>();
  for (const o of obligations) {
    const byBic = entry(positions, o.currency, () => new Map<string, bigint>());
    byBic.set(o.debtor, (byBic.get(o.debtor) ?? 0n) - o.amountMinor);
    byBic.set(o.creditor, (byBic.get(o.creditor) ?? 0n) + o.amountMinor);
  }
  return sortedMap(positions, (byBic) => sortedMap(byBic, (position) => position));
}

/** Gross amounts sent, per currency, debtor and creditor. Pairs that never paid each other are absent. */
export function bilateralMatrix(obligations: readonly Obligation[]): Map<string, Map<string, Map<string, bigint>>> {
  assertObligations(obligations);
  const matrix = new Map<string, Map<string, Map<string, bigint>>>();
  for (const o of obligations) {
    const byDebtor = entry(matrix, o.currency, () => new Map<string, Map<string, bigint>>());
    const byCreditor = entry(byDebtor, o.debtor, () => new Map<string, bigint>());
    byCreditor.set(o.creditor, (byCreditor.get(o.creditor) ?? 0n) + o.amountMinor);
  }
  return sortedMap(matrix, (byDebtor) => sortedMap(byDebtor, (byCreditor) => sortedMap(byCreditor, (sum) => sum)));
}

/**
 * Net position of `a` against `b` in one currency's matrix: what a receives from b − what a sends to b.
 * Same sign as the multilateral position, and bilateralNet(m, a, b) = −bilateralNet(m, b, a).
 */
export function bilateralNet(matrix: BilateralMatrix, a: string, b: string): bigint {
  const sentByA = matrix.get(a)?.get(b) ?? 0n;
  const sentByB = matrix.get(b)?.get(a) ?? 0n;
  return sentByB - sentByA;
}

/** The position of `bic` in `currency`, 0n when it has none. */
export function positionOf(positions: Positions, currency: string, bic: string): bigint {
  return positions.get(currency)?.get(bic) ?? 0n;
}

/** The clearing invariant: in every currency, what is paid equals what is received. */
export function assertSumZero(positions: Positions): void {
  for (const [currency, byBic] of positions) {
    let sum = 0n;
    for (const position of byBic.values()) sum += position;
    invariant(sum === 0n, `positions in ${currency} sum to ${sum}, not 0`);
  }
}

function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const created = create();
  map.set(key, created);
  return created;
}

function sortedMap<V, W>(map: ReadonlyMap<string, V>, convert: (value: V) => W): Map<string, W> {
  const keys = [...map.keys()].sort(compareText);
  return new Map(keys.map((key) => [key, convert(map.get(key) as V)]));
}

/** Code-unit order, independent of locale: BICs and ISO codes are ASCII. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
