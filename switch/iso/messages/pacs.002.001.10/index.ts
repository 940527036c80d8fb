/**
 * pacs.002.001.10 FI-to-FI payment status report: the statuses the switch reports to senders
 * (ACTC, ACCP, ACSP, ACSC, PDNG, RJCT with reasons; group status PART) and the settlement agent's
 * answers to settlement instructions.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, child, children, compact, createParser, textAt, type XmlElement } from '../../xml.ts';
import {
  agentTree,
  basicGroupHeaderTree,
  defined,
  documentRoot,
  each,
  Locations,
  nonEmpty,
  optional,
  originalGroupReferenceTree,
  originalTransactionIdsTree,
  originalTransactionReferenceTree,
  readAgent,
  readBasicGroupHeader,
  readOriginalGroupReference,
  readOriginalTransactionIds,
  readOriginalTransactionReference,
  readReasons,
  reasonTree,
  requiredChild,
  requiredText,
  type BasicGroupHeader,
  type OriginalGroupReference,
  type OriginalTransactionIds,
  type OriginalTransactionReference,
  type ReasonInformation,
} from '../common.ts';

export type Pacs002GroupHeader = BasicGroupHeader;

/** NumberOfTransactionsPerStatus5. */
export interface TransactionsPerStatus {
  readonly numberOfTransactions: string;
  readonly status: string;
  readonly controlSum?: string;
}

/** OriginalGroupHeader17: the original message and its group status. */
export interface OriginalGroupStatus extends OriginalGroupReference {
  readonly originalNumberOfTransactions?: string;
  readonly originalControlSum?: string;
  readonly groupStatus?: string;
  readonly statusReasons?: readonly ReasonInformation[];
  readonly transactionsPerStatus?: readonly TransactionsPerStatus[];
}

/** PaymentTransaction110, the parts the scheme uses. */
export interface TransactionStatus extends OriginalTransactionIds {
  readonly statusId?: string;
  readonly originalGroupInformation?: OriginalGroupReference;
  readonly transactionStatus?: string;
  readonly statusReasons?: readonly ReasonInformation[];
  readonly acceptanceDateTime?: string;
  readonly clearingSystemReference?: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  readonly originalTransactionReference?: OriginalTransactionReference;
}

export interface Pacs002 {
  readonly groupHeader: Pacs002GroupHeader;
  readonly originalGroups: readonly OriginalGroupStatus[];
  readonly transactions: readonly TransactionStatus[];
}

const ID = 'pacs.002.001.10';
const ROOT = 'FIToFIPmtStsRpt';

/** Every element of the official pacs.002.001.10 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set([
  'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'ChrgsInf', 'DscntApldAmt', 'Dtls', 'Id',
  'LineDtls', 'NbOfTxsPerSts', 'OrgnlGrpInfAndSts', 'Othr', 'Rcrd', 'RfrdDocInf', 'SplmtryData', 'Strd',
  'StsRsnInf', 'SvcLvl', 'TaxAmt', 'TxInfAndSts', 'Ustrd',
]);

function readOriginalGroupStatus(node: XmlElement): OriginalGroupStatus {
  const perStatus = children(node, 'NbOfTxsPerSts').map((entry) =>
    defined({
      numberOfTransactions: requiredText(entry, 'DtldNbOfTxs'),
      status: requiredText(entry, 'DtldSts'),
      controlSum: textAt(entry, 'DtldCtrlSum'),
    }),
  );
  return defined({
    ...readOriginalGroupReference(node)!,
    originalNumberOfTransactions: textAt(node, 'OrgnlNbOfTxs'),
    originalControlSum: textAt(node, 'OrgnlCtrlSum'),
    groupStatus: textAt(node, 'GrpSts'),
    statusReasons: readReasons(node, 'StsRsnInf'),
    transactionsPerStatus: nonEmpty(perStatus),
  });
}

function originalGroupStatusTree(group: OriginalGroupStatus): XmlElement {
  return compact({
    ...originalGroupReferenceTree(group),
    OrgnlNbOfTxs: group.originalNumberOfTransactions,
    OrgnlCtrlSum: group.originalControlSum,
    GrpSts: group.groupStatus,
    StsRsnInf: each(group.statusReasons, reasonTree),
    NbOfTxsPerSts: each(group.transactionsPerStatus, (entry) =>
      compact({ DtldNbOfTxs: entry.numberOfTransactions, DtldSts: entry.status, DtldCtrlSum: entry.controlSum }),
    ),
  });
}

function readTransaction(node: XmlElement): TransactionStatus {
  return defined({
    statusId: textAt(node, 'StsId'),
    originalGroupInformation: readOriginalGroupReference(child(node, 'OrgnlGrpInf')),
    ...readOriginalTransactionIds(node),
    transactionStatus: textAt(node, 'TxSts'),
    statusReasons: readReasons(node, 'StsRsnInf'),
    acceptanceDateTime: textAt(node, 'AccptncDtTm'),
    clearingSystemReference: textAt(node, 'ClrSysRef'),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
    originalTransactionReference: readOriginalTransactionReference(child(node, 'OrgnlTxRef')),
  });
}

function transactionTree(transaction: TransactionStatus): XmlElement {
  return compact({
    StsId: transaction.statusId,
    OrgnlGrpInf: optional(transaction.originalGroupInformation, originalGroupReferenceTree),
    ...originalTransactionIdsTree(transaction),
    TxSts: transaction.transactionStatus,
    StsRsnInf: each(transaction.statusReasons, reasonTree),
    AccptncDtTm: transaction.acceptanceDateTime,
    ClrSysRef: transaction.clearingSystemReference,
    InstgAgt: optional(transaction.instructingAgent, agentTree),
    InstdAgt: optional(transaction.instructedAgent, agentTree),
    OrgnlTxRef: optional(transaction.originalTransactionReference, originalTransactionReferenceTree),
  });
}

/**
 * Transaction id = StsId. A report carries no amount or settlement date of its own: those under
 * OrgnlTxRef belong to the original payment (already checked when it came in), so they stay unset.
 */
function transactionFacts(transaction: TransactionStatus, index: number): TransactionFacts {
  const path = `TxInfAndSts[${index}]`;
  const locations = new Locations();
  locations.agent(`${path}/InstgAgt`, transaction.instructingAgent);
  locations.agent(`${path}/InstdAgt`, transaction.instructedAgent);
  locations.originalTransactionReference(`${path}/OrgnlTxRef`, transaction.originalTransactionReference);
  return defined({
    index,
    path,
    transactionId: transaction.statusId,
    endToEndId: transaction.originalEndToEndId,
    instructingAgent: transaction.instructingAgent,
    instructedAgent: transaction.instructedAgent,
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Pacs002): MessageFacts {
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

export const module: MessageModule<Pacs002> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  transactionElement: 'TxInfAndSts',
  parse: (root) => ({
    groupHeader: readBasicGroupHeader(requiredChild(root, 'GrpHdr')),
    originalGroups: children(root, 'OrgnlGrpInfAndSts').map(readOriginalGroupStatus),
    transactions: children(root, 'TxInfAndSts').map(readTransaction),
  }),
  buildTree: (message) =>
    compact({
      GrpHdr: basicGroupHeaderTree(message.groupHeader),
      OrgnlGrpInfAndSts: message.originalGroups.map(originalGroupStatusTree),
      TxInfAndSts: message.transactions.map(transactionTree),
    }),
  facts,
  factSpec: {
    group: {
      messageId: 'GrpHdr/MsgId', creationDateTime: 'GrpHdr/CreDtTm',
      instructingAgent: 'GrpHdr/InstgAgt/FinInstnId/BICFI', instructedAgent: 'GrpHdr/InstdAgt/FinInstnId/BICFI',
    },
    transaction: {
      transactionId: 'StsId', endToEndId: 'OrgnlEndToEndId',
      instructingAgent: 'InstgAgt/FinInstnId/BICFI', instructedAgent: 'InstdAgt/FinInstnId/BICFI',
    },
    ibanElement: 'IBAN',
    bicElement: 'BICFI',
    // The scheme schema allows BICFIs and IBANs there, but the model does not read these parts.
    excludeUnder: ['ChrgsInf', 'OrgnlTxRef/MndtRltdInf', 'OrgnlTxRef/DbtrAgtAcct', 'OrgnlTxRef/CdtrAgtAcct'],
  },
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10">. */
export function build(message: Pacs002): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Pacs002 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
