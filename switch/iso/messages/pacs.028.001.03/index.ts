/**
 * pacs.028.001.03 FI-to-FI payment status request: a participant asks for the status of a payment;
 * the switch answers with a pacs.002.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, child, children, compact, createParser, textAt, type XmlElement } from '../../xml.ts';
import {
  agentTree,
  basicGroupHeaderTree,
  defined,
  documentRoot,
  Locations,
  optional,
  originalGroupReferenceTree,
  originalTransactionIdsTree,
  readAgent,
  readBasicGroupHeader,
  readOriginalGroupReference,
  readOriginalTransactionIds,
  requiredChild,
  type BasicGroupHeader,
  type OriginalGroupReference,
  type OriginalTransactionIds,
} from '../common.ts';

export type Pacs028GroupHeader = BasicGroupHeader;

/** OriginalGroupInformation27: an original message whose status is asked for. */
export interface OriginalGroupInformation extends OriginalGroupReference {
  readonly originalNumberOfTransactions?: string;
  readonly originalControlSum?: string;
}

/** PaymentTransaction113, the parts the scheme uses. */
export interface StatusRequestTransaction extends OriginalTransactionIds {
  readonly statusRequestId?: string;
  readonly originalGroupInformation?: OriginalGroupReference;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
}

export interface Pacs028 {
  readonly groupHeader: Pacs028GroupHeader;
  readonly originalGroups: readonly OriginalGroupInformation[];
  readonly transactions: readonly StatusRequestTransaction[];
}

const ID = 'pacs.028.001.03';
const ROOT = 'FIToFIPmtStsReq';

/** Every element of the official pacs.028.001.03 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set([
  'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'DscntApldAmt', 'Dtls', 'Id', 'LineDtls', 'OrgnlGrpInf',
  'Othr', 'Rcrd', 'RfrdDocInf', 'SplmtryData', 'Strd', 'SvcLvl', 'TaxAmt', 'TxInf', 'Ustrd',
]);

function readOriginalGroup(node: XmlElement): OriginalGroupInformation {
  return defined({
    ...readOriginalGroupReference(node)!,
    originalNumberOfTransactions: textAt(node, 'OrgnlNbOfTxs'),
    originalControlSum: textAt(node, 'OrgnlCtrlSum'),
  });
}

function originalGroupTree(group: OriginalGroupInformation): XmlElement {
  return compact({
    ...originalGroupReferenceTree(group),
    OrgnlNbOfTxs: group.originalNumberOfTransactions,
    OrgnlCtrlSum: group.originalControlSum,
  });
}

function readTransaction(node: XmlElement): StatusRequestTransaction {
  return defined({
    statusRequestId: textAt(node, 'StsReqId'),
    originalGroupInformation: readOriginalGroupReference(child(node, 'OrgnlGrpInf')),
    ...readOriginalTransactionIds(node),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
  });
}

function transactionTree(transaction: StatusRequestTransaction): XmlElement {
  return compact({
    StsReqId: transaction.statusRequestId,
    OrgnlGrpInf: optional(transaction.originalGroupInformation, originalGroupReferenceTree),
    ...originalTransactionIdsTree(transaction),
    InstgAgt: optional(transaction.instructingAgent, agentTree),
    InstdAgt: optional(transaction.instructedAgent, agentTree),
  });
}

/** Transaction id = StsReqId. */
function transactionFacts(transaction: StatusRequestTransaction, index: number): TransactionFacts {
  const path = `TxInf[${index}]`;
  const locations = new Locations();
  locations.agent(`${path}/InstgAgt`, transaction.instructingAgent);
  locations.agent(`${path}/InstdAgt`, transaction.instructedAgent);
  return defined({
    index,
    path,
    transactionId: transaction.statusRequestId,
    endToEndId: transaction.originalEndToEndId,
    instructingAgent: transaction.instructingAgent,
    instructedAgent: transaction.instructedAgent,
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Pacs028): MessageFacts {
  const header = message.groupHeader;
  return {
    group: defined({
      messageId: header.messageId,
      creationDateTime: header.creationDateTime,
      instructingAgent: header.instructingAgent,
      instructedAgent: header.instructedAgent,
    }),
    transactions: message.transactions.map(transactionFacts),
  };
}

export const module: MessageModule<Pacs028> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  transactionElement: 'TxInf',
  parse: (root) => ({
    groupHeader: readBasicGroupHeader(requiredChild(root, 'GrpHdr')),
    originalGroups: children(root, 'OrgnlGrpInf').map(readOriginalGroup),
    transactions: children(root, 'TxInf').map(readTransaction),
  }),
  buildTree: (message) =>
    compact({
      GrpHdr: basicGroupHeaderTree(message.groupHeader),
      OrgnlGrpInf: message.originalGroups.map(originalGroupTree),
      TxInf: message.transactions.map(transactionTree),
    }),
  facts,
  factSpec: {
    group: {
      messageId: 'GrpHdr/MsgId', creationDateTime: 'GrpHdr/CreDtTm',
      instructingAgent: 'GrpHdr/InstgAgt/FinInstnId/BICFI', instructedAgent: 'GrpHdr/InstdAgt/FinInstnId/BICFI',
    },
    transaction: {
      transactionId: 'StsReqId', endToEndId: 'OrgnlEndToEndId',
      instructingAgent: 'InstgAgt/FinInstnId/BICFI', instructedAgent: 'InstdAgt/FinInstnId/BICFI',
    },
    ibanElement: 'IBAN',
    bicElement: 'BICFI',
    // The scheme schema allows OrgnlTxRef (with BICFIs and IBANs), but the model does not read it.
    excludeUnder: ['OrgnlTxRef'],
  },
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.028.001.03">. */
export function build(message: Pacs028): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Pacs028 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
