/** Settlement instructions: directions, amounts, order and balance. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation } from '../../switch/clearing/invariant.ts';
import { netPositions } from '../../switch/clearing/positions.ts';
import { settlementInstructions } from '../../switch/clearing/settlement.ts';
import { BANK_A, BANK_B, BANK_C, obligation } from './helpers.ts';

const settlementAccount = 'SCHEMEDEFFXXX-SETTLEMENT';

test('settlementInstructions: short pays (DEBIT), long is paid (CREDIT), zero gets nothing', () => {
  // EUR: A −80, B +30, C +50; USD: A +5, B −5; CHF: A and B at 0 (payment and full return).
  const positions = netPositions([
    obligation(1, BANK_A, BANK_B, 100n), obligation(2, BANK_B, BANK_C, 70n), obligation(3, BANK_C, BANK_A, 50n),
    obligation(4, BANK_A, BANK_C, 30n), obligation(5, BANK_B, BANK_A, 5n, 'USD'),
    obligation(6, BANK_A, BANK_B, 9n, 'CHF'), obligation(7, BANK_B, BANK_A, 9n, 'CHF'),
  ]);
  const instructions = settlementInstructions(positions, { settlementAccount });
  assert.deepEqual(instructions.map((i) => [i.currency, i.bic, i.direction, i.amountMinor]), [
    ['EUR', BANK_A, 'DEBIT', 80n],
    ['EUR', BANK_B, 'CREDIT', 30n],
    ['EUR', BANK_C, 'CREDIT', 50n],
    ['USD', BANK_A, 'CREDIT', 5n],
    ['USD', BANK_B, 'DEBIT', 5n],
  ]);
  assert.ok(instructions.every((i) => i.settlementAccount === settlementAccount && i.amountMinor > 0n));
});

test('settlementInstructions: debits equal credits per currency', () => {
  const positions = netPositions([
    obligation(1, BANK_A, BANK_B, 12_345n), obligation(2, BANK_A, BANK_C, 1n), obligation(3, BANK_C, BANK_B, 7n),
  ]);
  const instructions = settlementInstructions(positions, { settlementAccount });
  const sum = (direction: string): bigint =>
    instructions.filter((i) => i.direction === direction).reduce((total, i) => total + i.amountMinor, 0n);
  assert.equal(sum('DEBIT'), 12_346n + 6n);
  assert.equal(sum('DEBIT'), sum('CREDIT'));
});

test('settlementInstructions: unsorted input maps come out sorted', () => {
  const positions = new Map([
    ['USD', new Map([[BANK_B, 3n], [BANK_A, -3n]])],
    ['EUR', new Map([[BANK_C, -1n], [BANK_A, 1n]])],
  ]);
  assert.deepEqual(settlementInstructions(positions, { settlementAccount }).map((i) => `${i.currency} ${i.bic}`), [
    `EUR ${BANK_A}`, `EUR ${BANK_C}`, `USD ${BANK_A}`, `USD ${BANK_B}`,
  ]);
});

test('settlementInstructions: no positions, no instructions', () => {
  assert.deepEqual(settlementInstructions(new Map(), { settlementAccount }), []);
});

test('settlementInstructions: unbalanced positions or an empty account are bugs', () => {
  const unbalanced = new Map([['EUR', new Map([[BANK_A, -3n], [BANK_B, 2n]])]]);
  assert.throws(() => settlementInstructions(unbalanced, { settlementAccount }), InvariantViolation);
  assert.throws(() => settlementInstructions(new Map(), { settlementAccount: '' }), InvariantViolation);
});
