/** Net positions, the bilateral matrix and the sum-zero invariant, on hand-computed cycles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation } from '../../switch/clearing/invariant.ts';
import {
  assertSumZero, bilateralMatrix, bilateralNet, netPositions, positionOf, type Obligation,
} from '../../switch/clearing/positions.ts';
import { BANK_A, BANK_B, BANK_C, obligation, plain } from './helpers.ts';

/** A 3-bank EUR cycle plus one USD payment. By hand: A sends 130 and receives 50; B sends 70 and
 * receives 100; C sends 50 and receives 100. In USD B pays A 5. */
const threeBankCycle: Obligation[] = [
  obligation(1, BANK_A, BANK_B, 100n),
  obligation(2, BANK_B, BANK_C, 70n),
  obligation(3, BANK_C, BANK_A, 50n),
  obligation(4, BANK_A, BANK_C, 30n),
  obligation(5, BANK_B, BANK_A, 5n, 'USD'),
];

test('netPositions: 3-bank cycle, hand-computed', () => {
  const positions = netPositions(threeBankCycle);
  assert.deepEqual(plain(positions), {
    EUR: { [BANK_A]: -80n, [BANK_B]: 30n, [BANK_C]: 50n },
    USD: { [BANK_A]: 5n, [BANK_B]: -5n },
  });
  assert.deepEqual([...positions.keys()], ['EUR', 'USD']);
  assert.deepEqual([...(positions.get('EUR')?.keys() ?? [])], [BANK_A, BANK_B, BANK_C]);
  assertSumZero(positions);
});

const positionCases: { name: string; obligations: Obligation[]; expected: Record<string, Record<string, bigint>> }[] = [
  { name: 'no obligations', obligations: [], expected: {} },
  { name: 'one payment', obligations: [obligation(1, BANK_A, BANK_B, 7n)], expected: { EUR: { [BANK_A]: -7n, [BANK_B]: 7n } } },
  {
    name: 'payment and its full return: zero positions stay as entries',
    obligations: [obligation(1, BANK_A, BANK_B, 7n), obligation(2, BANK_B, BANK_A, 7n)],
    expected: { EUR: { [BANK_A]: 0n, [BANK_B]: 0n } },
  },
  {
    name: 'amounts beyond 2^53 stay exact',
    obligations: [obligation(1, BANK_A, BANK_B, 2n ** 60n + 1n), obligation(2, BANK_B, BANK_C, 1n)],
    expected: { EUR: { [BANK_A]: -(2n ** 60n) - 1n, [BANK_B]: 2n ** 60n, [BANK_C]: 1n } },
  },
];
for (const c of positionCases) {
  test(`netPositions: ${c.name}`, () => assert.deepEqual(plain(netPositions(c.obligations)), c.expected));
}

test('netPositions: input order does not change the maps or their order', () => {
  const reversed = [...threeBankCycle].reverse();
  const a = netPositions(threeBankCycle);
  const b = netPositions(reversed);
  assert.deepEqual(plain(a), plain(b));
  assert.deepEqual([...a].map(([c, m]) => [c, [...m.keys()]]), [...b].map(([c, m]) => [c, [...m.keys()]]));
});

test('bilateralMatrix: 3-bank cycle gross amounts and bilateral nets', () => {
  const matrix = bilateralMatrix([...threeBankCycle, obligation(6, BANK_A, BANK_B, 1n)]);
  const eur = matrix.get('EUR');
  assert.ok(eur);
  assert.deepEqual(Object.fromEntries([...eur].map(([d, m]) => [d, Object.fromEntries(m)])), {
    [BANK_A]: { [BANK_B]: 101n, [BANK_C]: 30n },
    [BANK_B]: { [BANK_C]: 70n },
    [BANK_C]: { [BANK_A]: 50n },
  });
  const nets: [string, string, bigint][] = [
    [BANK_A, BANK_B, -101n], [BANK_B, BANK_A, 101n], [BANK_A, BANK_C, 20n], [BANK_C, BANK_A, -20n],
    [BANK_B, BANK_C, -70n], [BANK_C, BANK_B, 70n], [BANK_A, 'ZZZZDEFF', 0n],
  ];
  for (const [a, b, expected] of nets) assert.equal(bilateralNet(eur, a, b), expected, `${a} against ${b}`);
  assert.equal(bilateralNet(matrix.get('USD') ?? new Map(), BANK_A, BANK_B), 5n);
});

test('positionOf: absent participant or currency is 0n', () => {
  const positions = netPositions(threeBankCycle);
  assert.equal(positionOf(positions, 'EUR', BANK_A), -80n);
  assert.equal(positionOf(positions, 'USD', BANK_C), 0n);
  assert.equal(positionOf(positions, 'JPY', BANK_A), 0n);
});

test('assertSumZero: throws InvariantViolation naming the currency', () => {
  const broken = new Map([['EUR', new Map([[BANK_A, -5n], [BANK_B, 5n]])], ['USD', new Map([[BANK_A, 1n]])]]);
  assert.throws(() => assertSumZero(broken), (e: unknown) => e instanceof InvariantViolation && /USD/.test(e.message));
  assertSumZero(new Map());
});

const brokenObligations: { name: string; obligations: Obligation[] }[] = [
  { name: 'zero amount', obligations: [obligation(1, BANK_A, BANK_B, 0n)] },
  { name: 'negative amount', obligations: [obligation(1, BANK_A, BANK_B, -1n)] },
  { name: 'debtor is creditor', obligations: [obligation(1, BANK_A, BANK_A, 1n)] },
  { name: 'duplicate id', obligations: [obligation(1, BANK_A, BANK_B, 1n), { ...obligation(2, BANK_A, BANK_B, 1n), id: 'P1' }] },
  { name: 'duplicate sequence', obligations: [obligation(1, BANK_A, BANK_B, 1n), { ...obligation(1, BANK_A, BANK_B, 1n), id: 'X' }] },
];
for (const c of brokenObligations) {
  test(`netPositions and bilateralMatrix assert: ${c.name}`, () => {
    assert.throws(() => netPositions(c.obligations), InvariantViolation);
    assert.throws(() => bilateralMatrix(c.obligations), InvariantViolation);
  });
}
