/**
 * The participant directory and per-payment limits as the validation rules see them: a read-only
 * view built from the scheme configuration (switch/config.ts).
 */
import { parseAmount } from '../iso/amount.ts';
import { REASON } from '../iso/reason-codes.ts';
import type { SchemeConfig } from '../config.ts';

export interface RuleProblem {
  readonly code: string;
  readonly message: string;
}

export interface SchemeDirectory {
  /** Undefined when the BIC is an active participant; otherwise why not (RC01 unknown, AG01 suspended). */
  checkParticipant(bic: string): RuleProblem | undefined;
  /** Undefined when the currency is a scheme currency and the amount is within the per-payment maximum. */
  checkAmount(currency: string, minor: bigint): RuleProblem | undefined;
}

export function directoryFromConfig(config: SchemeConfig): SchemeDirectory {
  const participants = new Map<string, { status: string }>(config.participants.map((p) => [p.bic, p]));
  // The clearing house itself and the settlement agent are parties to the scheme's messages too.
  if (config.switchBic) participants.set(config.switchBic, { status: 'active' });
  if (config.settlementAgent) participants.set(config.settlementAgent.bic, { status: 'active' });
  const currencies = new Set(config.currencies);
  const maximum = new Map<string, bigint>();
  for (const [currency, text] of Object.entries(config.perPaymentMaximum ?? {})) {
    const parsed = parseAmount(text, currency);
    if (parsed.ok) maximum.set(currency, parsed.minor);
  }
  return {
    checkParticipant(bic) {
      // A BIC8 and its BIC11 with branch XXX name the same institution.
      const participant = participants.get(bic) ?? participants.get(bic.length === 8 ? `${bic}XXX` : bic.endsWith('XXX') ? bic.slice(0, 8) : bic);
      if (!participant) return { code: REASON.unknownParticipant, message: `${bic} is not a participant of the scheme` };
      if (participant.status !== 'active') {
        return { code: REASON.participantSuspended, message: `participant ${bic} is ${participant.status}` };
      }
      return undefined;
    },
    checkAmount(currency, minor) {
      if (!currencies.has(currency)) return { code: REASON.currencyNotAllowed, message: `${currency} is not a scheme currency` };
      const max = maximum.get(currency);
      if (max !== undefined && minor > max) {
        return { code: REASON.amountOverMaximum, message: `amount exceeds the per-payment maximum of ${config.perPaymentMaximum![currency]} ${currency}` };
      }
      return undefined;
    },
  };
}
