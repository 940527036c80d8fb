/**
 * acmt.023.001.04 identification verification request, used for payee verification (docs/risk.md,
 * "Payee verification"): the payer's bank asks whether a name holds an account at the payee's bank.
 * The switch forwards it to that bank (the agent named in the verification) or answers it from the
 * payee directory, with an acmt.024.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, children, compact, createParser, type XmlElement } from '../../xml.ts';
import { defined, documentRoot, Locations, requiredChild, requiredText } from '../common.ts';
import {
  assignmentTree,
  locatePartyAndAccount,
  partyAndAccountTree,
  readAssignment,
  readPartyAndAccount,
  type PartyAndAccount,
  type VerificationAssignment,
} from '../acmt-common.ts';

/** IdentificationVerification5: one question, by its id. */
export interface Verification {
  readonly id: string;
  readonly partyAndAccount: PartyAndAccount;
}

export interface Acmt023 {
  readonly assignment: VerificationAssignment;
  readonly verifications: readonly Verification[];
}

const ID = 'acmt.023.001.04';
const ROOT = 'IdVrfctnReq';

/** Every element of the official acmt.023.001.04 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set(['AdrLine', 'Othr', 'SplmtryData', 'Vrfctn']);

function readVerification(node: XmlElement): Verification {
  return { id: requiredText(node, 'Id'), partyAndAccount: readPartyAndAccount(requiredChild(node, 'PtyAndAcctId'))! };
}

function verificationTree(value: Verification): XmlElement {
  return compact({ Id: value.id, PtyAndAcctId: partyAndAccountTree(value.partyAndAccount) });
}

/** Transaction id = Vrfctn/Id; the agent asked stands as the creditor agent (a participant in good standing). */
function transactionFacts(value: Verification, index: number): TransactionFacts {
  const path = `Vrfctn[${index}]`;
  const locations = new Locations();
  locatePartyAndAccount(locations, `${path}/PtyAndAcctId`, value.partyAndAccount);
  return defined({
    index,
    path,
    transactionId: value.id,
    creditorAgent: value.partyAndAccount.agent,
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Acmt023): MessageFacts {
  const { assignment } = message;
  return {
    group: defined({
      messageId: assignment.messageId,
      creationDateTime: assignment.creationDateTime,
      instructingAgent: assignment.assigner,
      instructedAgent: assignment.assignee,
      senderParties: assignment.firstAgent === undefined ? undefined
        : [{ path: 'Assgnmt/FrstAgt/FinInstnId/BICFI', value: assignment.firstAgent }],
    }),
    transactions: message.verifications.map(transactionFacts),
  };
}

export const module: MessageModule<Acmt023> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  parse: (root) => ({
    assignment: readAssignment(requiredChild(root, 'Assgnmt')),
    verifications: children(root, 'Vrfctn').map(readVerification),
  }),
  buildTree: (message) =>
    compact({ Assgnmt: assignmentTree(message.assignment), Vrfctn: message.verifications.map(verificationTree) }),
  facts,
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:acmt.023.001.04">. */
export function build(message: Acmt023): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Acmt023 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
