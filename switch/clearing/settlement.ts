/**
 * Settlement instructions for a netted cycle (docs/scheme-rules.md, "Settlement"): one per participant and currency
 * with a non-zero net position. A short participant (negative position) pays the scheme's settlement
 * account (DEBIT); a long one is paid from it (CREDIT). The settlement account ends each currency at
 * zero, which is the sum-zero invariant seen from the settlement agent.
 */
import { invariant } from './invariant.ts';
import { assertSumZero, compareText, type Positions } from './positions.ts';

export type SettlementDirection = 'DEBIT' | 'CREDIT';

export type SettlementInstruction = {
  readonly bic: string;
  readonly currency: string;
  /** Always > 0n; the sign is in `direction`. */
  readonly amountMinor: bigint;
  readonly direction: SettlementDirection;
  /** The scheme's account at the settlement agent that the participant pays into or is paid from. */
  readonly settlementAccount: string;
};

/** Instructions sorted by currency, then BIC (positions are already in that order; sorted again so any map works). */
export function settlementInstructions(
  positions: Positions, options: { readonly settlementAccount: string },
): SettlementInstruction[] {
  invariant(options.settlementAccount.length > 0, 'settlement account is empty');
  assertSumZero(positions);
  const instructions: SettlementInstruction[] = [];
  for (const [currency, byBic] of positions) {
    for (const [bic, position] of byBic) {
      if (position === 0n) continue;
      const direction: SettlementDirection = position < 0n ? 'DEBIT' : 'CREDIT';
      const amountMinor = position < 0n ? -position : position;
      instructions.push({ bic, currency, amountMinor, direction, settlementAccount: options.settlementAccount });
    }
  }
  instructions.sort((a, b) => compareText(a.currency, b.currency) || compareText(a.bic, b.bic));
  assertBalanced(instructions);
  return instructions;
}

/** Per currency, what short participants pay in equals what long participants are paid. */
function assertBalanced(instructions: readonly SettlementInstruction[]): void {
  const balance = new Map<string, bigint>();
  for (const i of instructions) {
    invariant(i.amountMinor > 0n, `instruction for ${i.bic} in ${i.currency} is not positive`);
    const signed = i.direction === 'DEBIT' ? i.amountMinor : -i.amountMinor;
    balance.set(i.currency, (balance.get(i.currency) ?? 0n) + signed);
  }
  for (const [currency, sum] of balance) {
    invariant(sum === 0n, `settlement debits and credits in ${currency} differ by ${sum}`);
  }
}

/**
 * A re-instruction (docs/decisions.md, "Settlement retries instruct the difference"): what each
 * participant still has to be debited or credited so that, once these settle, the agent has booked its
 * final position exactly once. `booked` is what the agent already settled for the cycle (signed, per
 * currency and BIC, from earlier attempts' ACSC answers); a participant booked but no longer in
 * `positions` (unwound) is reversed. The result need not balance on its own (the earlier attempt left
 * the scheme's settlement account off zero); booked plus instructed does, per currency.
 */
export function remainingInstructions(
  positions: Positions, booked: Positions, options: { readonly settlementAccount: string },
): SettlementInstruction[] {
  invariant(options.settlementAccount.length > 0, 'settlement account is empty');
  assertSumZero(positions);
  const instructions: SettlementInstruction[] = [];
  for (const currency of new Set([...positions.keys(), ...booked.keys()])) {
    const target = positions.get(currency) ?? new Map<string, bigint>();
    const done = booked.get(currency) ?? new Map<string, bigint>();
    for (const bic of new Set([...target.keys(), ...done.keys()])) {
      const rest = (target.get(bic) ?? 0n) - (done.get(bic) ?? 0n);
      if (rest === 0n) continue;
      instructions.push({ bic, currency, amountMinor: rest < 0n ? -rest : rest, direction: rest < 0n ? 'DEBIT' : 'CREDIT',
        settlementAccount: options.settlementAccount });
    }
  }
  instructions.sort((a, b) => compareText(a.currency, b.currency) || compareText(a.bic, b.bic));
  return instructions;
}
