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
