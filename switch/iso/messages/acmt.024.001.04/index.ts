/**
 * acmt.024.001.04 identification verification report, used for payee verification (docs/risk.md,
 * "Payee verification"): the answer to an acmt.023. The payee's bank sends it to the switch, which
 * forwards it to the payer's bank; the switch also builds it itself (directory answers, timeouts).
 * The result stands in Rpt/Vrfctn (true only for a match) and Rpt/Rsn/Cd: MTCH, CMTC (with the name
 * on the account in UpdtdPtyAndAcctId), NMTC or NOAP.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, child, children, compact, createParser, textAt, type XmlElement } from '../../xml.ts';
import { agentTree, defined, documentRoot, Locations, optional, readAgent, requiredChild, requiredText } from '../common.ts';
import {
  assignmentTree,
  locatePartyAndAccount,
  partyAndAccountTree,
  readAssignment,
  readPartyAndAccount,
  type PartyAndAccount,
  type VerificationAssignment,
} from '../acmt-common.ts';

/** MessageIdentification8: the request a report answers. */
export interface OriginalAssignment {
  readonly messageId: string;
  readonly creationDateTime?: string;
  readonly firstAgent?: string;
}

/** VerificationReport5 as the scheme accepts it (the reason as a code). */
export interface VerificationReport {
  /** Vrfctn/Id of the request. */
  readonly originalId: string;
  /** IdentificationVerificationIndicator: true only when the name matches. */
  readonly verified: boolean;
  /** ExternalVerificationReason1Code: MTCH, CMTC, NMTC or NOAP in the scheme. */
  readonly reasonCode: string;
  readonly original?: PartyAndAccount;
  /** For a close match: the name on the account. */
  readonly updated?: PartyAndAccount;
}

export interface Acmt024 {
  readonly assignment: VerificationAssignment;
  readonly originalAssignment: OriginalAssignment;
  readonly reports: readonly VerificationReport[];
}

const ID = 'acmt.024.001.04';
const ROOT = 'IdVrfctnRpt';

/** Every element of the official acmt.024.001.04 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set(['AdrLine', 'Othr', 'Rpt', 'SplmtryData']);

function readOriginalAssignment(node: XmlElement): OriginalAssignment {
  return defined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: textAt(node, 'CreDtTm'),
    firstAgent: readAgent(child(node, 'FrstAgt')),
  });
}

function originalAssignmentTree(value: OriginalAssignment): XmlElement {
  return compact({ MsgId: value.messageId, CreDtTm: value.creationDateTime, FrstAgt: optional(value.firstAgent, agentTree) });
}

function readReport(node: XmlElement): VerificationReport {
  const indicator = requiredText(node, 'Vrfctn');
  return defined({
    originalId: requiredText(node, 'OrgnlId'),
    // xs:boolean: 'true' or '1' (whitespace collapsed by the schema type).
    verified: indicator.trim() === 'true' || indicator.trim() === '1',
    reasonCode: requiredText(node, 'Rsn', 'Cd'),
    original: readPartyAndAccount(child(node, 'OrgnlPtyAndAcctId')),
    updated: readPartyAndAccount(child(node, 'UpdtdPtyAndAcctId')),
  });
}

function reportTree(value: VerificationReport): XmlElement {
  return compact({
    OrgnlId: value.originalId,
    Vrfctn: value.verified ? 'true' : 'false',
    Rsn: { Cd: value.reasonCode },
    OrgnlPtyAndAcctId: optional(value.original, partyAndAccountTree),
    UpdtdPtyAndAcctId: optional(value.updated, partyAndAccountTree),
  });
}

/** Transaction id = OrgnlId; the account servicer named in the report must be the sender (rules.ts). */
function transactionFacts(value: VerificationReport, index: number): TransactionFacts {
  const path = `Rpt[${index}]`;
  const locations = new Locations();
  locatePartyAndAccount(locations, `${path}/OrgnlPtyAndAcctId`, value.original);
  locatePartyAndAccount(locations, `${path}/UpdtdPtyAndAcctId`, value.updated);
  return defined({ index, path, transactionId: value.originalId, ibans: locations.ibans, bics: locations.bics });
}

function facts(message: Acmt024): MessageFacts {
  const { assignment } = message;
  return {
    group: defined({
      messageId: assignment.messageId,
      creationDateTime: assignment.creationDateTime,
      instructingAgent: assignment.assigner,
      instructedAgent: assignment.assignee,
    }),
    transactions: message.reports.map(transactionFacts),
  };
}

export const module: MessageModule<Acmt024> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  parse: (root) => ({
    assignment: readAssignment(requiredChild(root, 'Assgnmt')),
    originalAssignment: readOriginalAssignment(requiredChild(root, 'OrgnlAssgnmt')),
    reports: children(root, 'Rpt').map(readReport),
  }),
  buildTree: (message) =>
    compact({
      Assgnmt: assignmentTree(message.assignment),
      OrgnlAssgnmt: originalAssignmentTree(message.originalAssignment),
      Rpt: message.reports.map(reportTree),
    }),
  facts,
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:acmt.024.001.04">. */
export function build(message: Acmt024): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Acmt024 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
