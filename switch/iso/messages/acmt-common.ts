/**
 * Building blocks shared by the identification verification messages acmt.023.001.04 (request) and
 * acmt.024.001.04 (report), used for payee verification (docs/risk.md, "Payee verification"): the
 * assignment (IdentificationAssignment4, between agents only in the scheme) and the party, account
 * and agent verified (IdentificationInformation5).
 */
import { child, compact, type XmlElement } from '../xml.ts';
import {
  accountTree,
  agentTree,
  defined,
  Locations,
  optional,
  partyTree,
  readAccount,
  readAgent,
  readParty,
  requiredText,
  type Account,
  type Party,
} from './common.ts';

/** IdentificationAssignment4 as the scheme accepts it: assigner and assignee are agents (by BIC). */
export interface VerificationAssignment {
  readonly messageId: string;
  readonly creationDateTime: string;
  /** The payer's bank, where the verification started. */
  readonly firstAgent?: string;
  readonly assigner: string;
  readonly assignee: string;
}

export function readAssignment(node: XmlElement): VerificationAssignment {
  return defined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: requiredText(node, 'CreDtTm'),
    firstAgent: readAgent(child(node, 'FrstAgt')),
    assigner: requiredText(node, 'Assgnr', 'Agt', 'FinInstnId', 'BICFI'),
    assignee: requiredText(node, 'Assgne', 'Agt', 'FinInstnId', 'BICFI'),
  });
}

export function assignmentTree(value: VerificationAssignment): XmlElement {
  return compact({
    MsgId: value.messageId,
    CreDtTm: value.creationDateTime,
    FrstAgt: optional(value.firstAgent, agentTree),
    Assgnr: { Agt: agentTree(value.assigner) },
    Assgne: { Agt: agentTree(value.assignee) },
  });
}

/** IdentificationInformation5: the party (its name above all), its account and the agent that services it. */
export interface PartyAndAccount {
  readonly party?: Party;
  readonly account?: Account;
  readonly agent?: string;
}

export function readPartyAndAccount(node: XmlElement | undefined): PartyAndAccount | undefined {
  if (node === undefined) return undefined;
  return defined({
    party: readParty(child(node, 'Pty')),
    account: readAccount(child(node, 'Acct')),
    agent: readAgent(child(node, 'Agt')),
  });
}

export function partyAndAccountTree(value: PartyAndAccount): XmlElement {
  return compact({
    Pty: optional(value.party, partyTree),
    Acct: optional(value.account, accountTree),
    Agt: optional(value.agent, agentTree),
  });
}

/** The account as the switch keys it: the IBAN, or Othr/Id. */
export function accountKey(account: Account | undefined): string | undefined {
  if (account === undefined) return undefined;
  return 'iban' in account ? account.iban : account.other.id;
}

/** The IBANs and BICs of one IdentificationInformation5 at `path`. */
export function locatePartyAndAccount(locations: Locations, path: string, value: PartyAndAccount | undefined): void {
  if (value === undefined) return;
  locations.account(`${path}/Acct`, value.account);
  locations.agent(`${path}/Agt`, value.agent);
}
