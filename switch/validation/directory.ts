/**
 * The participant directory and per-payment limits as the validation rules see them: a read-only
 * view built from the scheme configuration (switch/config.ts).
 */
import { REASON } from '../iso/reason-codes.ts';
import { formatAmount } from '../iso/amount.ts';
import { findByBic } from '../iso/bic.ts';
import { perPaymentMaximumMinor, serviceFor, type SchemeConfig } from '../config.ts';

export interface RuleProblem {
  readonly code: string;
  readonly message: string;
}

export interface SchemeDirectory {
  /** Undefined when the BIC is an active participant; otherwise why not (RC01 unknown, AG01 suspended). */
  checkParticipant(bic: string): RuleProblem | undefined;
  /**
   * Undefined when the currency is a scheme currency and the amount is within the per-payment maximum:
   * the scheme's, and for a real-time payment (LclInstrm INST) the lower of it and the real-time
   * service's own.
   */
  checkAmount(currency: string, minor: bigint, localInstrument?: string): RuleProblem | undefined;
}

export function directoryFromConfig(config: SchemeConfig): SchemeDirectory {
  const participants = new Map<string, { status: string }>(config.participants.map((p) => [p.bic, p]));
  // The clearing house itself and the settlement agent are parties to the scheme's messages too.
  if (config.switchBic) participants.set(config.switchBic, { status: 'active' });
  if (config.settlementAgent) participants.set(config.settlementAgent.bic, { status: 'active' });
  const currencies = new Set(config.currencies);
  const realtime = serviceFor(config, 'pacs.008', 'realtime');
  const maximum = new Map<string, bigint>();
  const realtimeMaximum = new Map<string, bigint>();
  for (const currency of config.currencies) {
    const scheme = perPaymentMaximumMinor(config, currency);
    if (scheme !== undefined) maximum.set(currency, scheme);
    const instant = realtime === undefined ? undefined : perPaymentMaximumMinor(config, currency, realtime);
    if (instant !== undefined) realtimeMaximum.set(currency, instant);
  }
  return {
    checkParticipant(bic) {
      // A BIC8 and its BIC11 with branch XXX name the same institution.
      const participant = findByBic(bic, (b) => participants.get(b));
      if (!participant) return { code: REASON.unknownParticipant, message: `${bic} is not a participant of the scheme` };
      if (participant.status !== 'active') {
        return { code: REASON.participantSuspended, message: `participant ${bic} is ${participant.status}` };
      }
      return undefined;
    },
    checkAmount(currency, minor, localInstrument) {
      if (!currencies.has(currency)) return { code: REASON.currencyNotAllowed, message: `${currency} is not a scheme currency` };
      const instant = localInstrument === 'INST' && realtime !== undefined;
      const max = instant ? realtimeMaximum.get(currency) : maximum.get(currency);
      if (max !== undefined && minor > max) {
        return { code: REASON.amountOverMaximum,
          message: `amount exceeds the ${instant ? 'real-time ' : ''}per-payment maximum of ${formatAmount(max, currency)} ${currency}` };
      }
      return undefined;
    },
  };
}
