/**
 * The participant directory and per-payment limits as the validation rules see them: a read-only
 * view built from the scheme configuration (switch/config.ts).
 *
 * Who is who (docs/scheme-rules.md, "Who may send what"): participants are the banks, each known by
 * its configured BIC (its BIC8 and BIC11 forms alike, switch/iso/bic.ts). The clearing house itself
 * and the settlement agent are parties to the scheme's messages, but never a debtor or creditor agent
 * of a customer payment, and the settlement agent sends only its answers to settlement instructions.
 */
import { REASON } from '../iso/reason-codes.ts';
import { formatAmount } from '../iso/amount.ts';
import { institutionKey } from '../iso/bic.ts';
import { perPaymentMaximumMinor, serviceFor, type ParticipantConfig, type SchemeConfig } from '../config.ts';

export interface RuleProblem {
  readonly code: string;
  readonly message: string;
}

/** The side of a customer payment an agent is on. */
export type AgentRole = 'debtor' | 'creditor';

export interface SchemeDirectory {
  /**
   * The configured BIC of the participant `bic` names (in either form), of the switch or of the
   * settlement agent; `bic` itself when it names none of them. The engine keeps every party in this
   * form, so that a participant's BIC8 and BIC11 meet in one position, one exposure and one key scope.
   */
  canonical(bic: string): string;
  /** True when `bic` names the settlement agent. */
  isSettlementAgent(bic: string): boolean;
  /**
   * Undefined when the BIC is a party to the scheme's messages in good standing (an active
   * participant, the switch or the settlement agent); otherwise why not (RC02 unknown, AG10 suspended).
   */
  checkParticipant(bic: string): RuleProblem | undefined;
  /**
   * Undefined when the authenticated sender may send a message of `messageId` (e.g.
   * 'pacs.008.001.08'): an active participant may send what participants send, the settlement agent
   * only its answers (pacs.002); otherwise why not (AG10 suspended, AG03 not for this sender, AG08 not a
   * party that sends to the switch).
   */
  checkSender(bic: string, messageId: string | undefined): RuleProblem | undefined;
  /**
   * Undefined when `bic` may be the debtor or creditor agent of a customer payment in `currency`: an
   * active participant configured for the currency. Otherwise why not: the switch or the settlement
   * agent (RC03 / RC04), not a participant (RC02), suspended (AG10), not configured for the currency
   * (AM03). `standing` tells a problem of the party itself (the first four) from one of the currency.
   */
  checkAgent(bic: string, role: AgentRole, currency: string | undefined): (RuleProblem & { readonly standing: boolean }) | undefined;
  /**
   * Undefined when the currency is a scheme currency and the amount is within the per-payment maximum:
   * the scheme's, and for a real-time payment (LclInstrm INST) the lower of it and the real-time
   * service's own.
   */
  checkAmount(currency: string, minor: bigint, localInstrument?: string): RuleProblem | undefined;
}

/** The message the settlement agent sends: its answers to settlement instructions. */
const SETTLEMENT_AGENT_MESSAGES: ReadonlySet<string> = new Set(['pacs.002.001.10']);

export function directoryFromConfig(config: SchemeConfig): SchemeDirectory {
  const participants = new Map<string, ParticipantConfig>(config.participants.map((p) => [institutionKey(p.bic), p]));
  const switchBic = config.switchBic;
  const agentBic = config.settlementAgent?.bic;
  const isSwitch = (bic: string): boolean => switchBic !== undefined && institutionKey(bic) === institutionKey(switchBic);
  const isAgent = (bic: string): boolean => agentBic !== undefined && institutionKey(bic) === institutionKey(agentBic);
  const participantOf = (bic: string): ParticipantConfig | undefined => participants.get(institutionKey(bic));
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
  const suspended = (p: ParticipantConfig, bic: string): RuleProblem | undefined =>
    p.status === 'active' ? undefined : { code: REASON.participantSuspended, message: `participant ${bic} is ${p.status}` };
  return {
    canonical(bic) {
      return participantOf(bic)?.bic ?? (isSwitch(bic) ? switchBic! : isAgent(bic) ? agentBic! : bic);
    },
    isSettlementAgent: isAgent,
    checkParticipant(bic) {
      if (isSwitch(bic) || isAgent(bic)) return undefined;
      const participant = participantOf(bic);
      if (!participant) return { code: REASON.unknownParticipant, message: `${bic} is not a participant of the scheme` };
      return suspended(participant, bic);
    },
    checkSender(bic, messageId) {
      if (isAgent(bic)) {
        return messageId === undefined || SETTLEMENT_AGENT_MESSAGES.has(messageId) ? undefined
          : { code: REASON.serviceNotAuthorized, message: `the settlement agent ${bic} sends only answers to settlement instructions, not ${messageId}` };
      }
      const participant = participantOf(bic);
      if (!participant) return { code: REASON.senderMismatch, message: `${bic} is not a participant of the scheme and may send it nothing` };
      return suspended(participant, bic);
    },
    checkAgent(bic, role, currency) {
      const invalid = role === 'debtor' ? REASON.debtorAgentInvalid : REASON.creditorAgentInvalid;
      if (isSwitch(bic) || isAgent(bic)) {
        return { code: invalid, standing: true,
          message: `${bic} is the ${isSwitch(bic) ? 'clearing house' : 'settlement agent'}, never the ${role} agent of a customer payment` };
      }
      const participant = participantOf(bic);
      if (!participant) return { code: REASON.unknownParticipant, standing: true, message: `${role} agent ${bic} is not a participant of the scheme` };
      const problem = suspended(participant, bic);
      if (problem) return { ...problem, standing: true };
      if (currency !== undefined && currencies.has(currency) && !participant.currencies.includes(currency)) {
        return { code: REASON.agentCurrencyNotAllowed, standing: false, message: `${role} agent ${bic} does not take part in ${currency} payments` };
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
