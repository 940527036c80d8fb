/**
 * pacs.004.001.09 payment return: the creditor agent returns (part of) a settled payment. Each TxInf
 * references the original (OrgnlMsgId, OrgnlTxId, OrgnlUETR) and carries the returned amount and
 * the return reasons.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, child, children, compact, createParser, textAt, type XmlElement } from '../../xml.ts';
import {
  agentTree,
  amountTree,
  defined,
  documentRoot,
  each,
  Locations,
  optional,
  originalGroupReferenceTree,
  originalTransactionIdsTree,
  originalTransactionReferenceTree,
  readAgent,
  readAmount,
  readOriginalGroupReference,
  readOriginalTransactionIds,
  readOriginalTransactionReference,
  readReasons,
  readSettlementInstruction,
  reasonTree,
  requiredAmount,
  requiredChild,
  requiredText,
  settlementInstructionTree,
  type Amount,
  type OriginalGroupReference,
  type OriginalTransactionIds,
  type OriginalTransactionReference,
  type ReasonInformation,
  type SettlementInstruction,
} from '../common.ts';

/** GroupHeader90, the parts the scheme uses. */
export interface Pacs004GroupHeader {
  readonly messageId: string;
  readonly creationDateTime: string;
  readonly numberOfTransactions: string;
  readonly controlSum?: string;
  readonly totalReturnedInterbankSettlementAmount?: Amount;
  readonly interbankSettlementDate?: string;
  readonly settlementInformation: SettlementInstruction;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
}

/** OriginalGroupHeader18: the original message when a whole group is returned. */
export interface OriginalGroupReturn extends OriginalGroupReference {
  readonly returnReasons?: readonly ReasonInformation[];
}

/** PaymentTransaction112, the parts the scheme uses. */
export interface PaymentReturnTransaction extends OriginalTransactionIds {
  readonly returnId?: string;
  readonly originalGroupInformation?: OriginalGroupReference;
  readonly originalInterbankSettlementAmount?: Amount;
  readonly returnedInterbankSettlementAmount: Amount;
  readonly interbankSettlementDate?: string;
  readonly chargeBearer?: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  readonly returnReasons?: readonly ReasonInformation[];
  readonly originalTransactionReference?: OriginalTransactionReference;
}

export interface Pacs004 {
  readonly groupHeader: Pacs004GroupHeader;
  readonly originalGroupInformation?: OriginalGroupReturn;
  readonly transactions: readonly PaymentReturnTransaction[];
}

const ID = 'pacs.004.001.09';
const ROOT = 'PmtRtr';

/** Every element of the official pacs.004.001.09 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set([
  'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'Authstn', 'ChrgsInf', 'DscntApldAmt', 'Dtls',
  'Id', 'LineDtls', 'Othr', 'Rcrd', 'RfrdDocInf', 'RtrRsnInf', 'SplmtryData', 'Strd', 'SvcLvl', 'TaxAmt',
  'TxInf', 'Ustrd',
]);

function readGroupHeader(node: XmlElement): Pacs004GroupHeader {
  return defined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: requiredText(node, 'CreDtTm'),
    numberOfTransactions: requiredText(node, 'NbOfTxs'),
    controlSum: textAt(node, 'CtrlSum'),
    totalReturnedInterbankSettlementAmount: readAmount(child(node, 'TtlRtrdIntrBkSttlmAmt')),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    settlementInformation: readSettlementInstruction(requiredChild(node, 'SttlmInf')),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
  });
}

function groupHeaderTree(header: Pacs004GroupHeader): XmlElement {
  return compact({
    MsgId: header.messageId,
    CreDtTm: header.creationDateTime,
    NbOfTxs: header.numberOfTransactions,
    CtrlSum: header.controlSum,
    TtlRtrdIntrBkSttlmAmt: optional(header.totalReturnedInterbankSettlementAmount, amountTree),
    IntrBkSttlmDt: header.interbankSettlementDate,
    SttlmInf: settlementInstructionTree(header.settlementInformation),
    InstgAgt: optional(header.instructingAgent, agentTree),
    InstdAgt: optional(header.instructedAgent, agentTree),
  });
}

function readOriginalGroupReturn(node: XmlElement | undefined): OriginalGroupReturn | undefined {
  const reference = readOriginalGroupReference(node);
  if (node === undefined || reference === undefined) return undefined;
  return defined({ ...reference, returnReasons: readReasons(node, 'RtrRsnInf') });
}

function originalGroupReturnTree(value: OriginalGroupReturn): XmlElement {
  return compact({ ...originalGroupReferenceTree(value), RtrRsnInf: each(value.returnReasons, reasonTree) });
}

function readTransaction(node: XmlElement): PaymentReturnTransaction {
  return defined({
    returnId: textAt(node, 'RtrId'),
    originalGroupInformation: readOriginalGroupReference(child(node, 'OrgnlGrpInf')),
    ...readOriginalTransactionIds(node),
    originalInterbankSettlementAmount: readAmount(child(node, 'OrgnlIntrBkSttlmAmt')),
    returnedInterbankSettlementAmount: requiredAmount(node, 'RtrdIntrBkSttlmAmt'),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    chargeBearer: textAt(node, 'ChrgBr'),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
    returnReasons: readReasons(node, 'RtrRsnInf'),
    originalTransactionReference: readOriginalTransactionReference(child(node, 'OrgnlTxRef')),
  });
}

function transactionTree(transaction: PaymentReturnTransaction): XmlElement {
  return compact({
    RtrId: transaction.returnId,
    OrgnlGrpInf: optional(transaction.originalGroupInformation, originalGroupReferenceTree),
    ...originalTransactionIdsTree(transaction),
    OrgnlIntrBkSttlmAmt: optional(transaction.originalInterbankSettlementAmount, amountTree),
    RtrdIntrBkSttlmAmt: amountTree(transaction.returnedInterbankSettlementAmount),
    IntrBkSttlmDt: transaction.interbankSettlementDate,
    ChrgBr: transaction.chargeBearer,
    InstgAgt: optional(transaction.instructingAgent, agentTree),
    InstdAgt: optional(transaction.instructedAgent, agentTree),
    RtrRsnInf: each(transaction.returnReasons, reasonTree),
    OrgnlTxRef: optional(transaction.originalTransactionReference, originalTransactionReferenceTree),
  });
}

/**
 * The return's own facts: its id (RtrId), the returned amount and its agents. The original's debtor
 * and creditor agents are not the return's, so debtorAgent/creditorAgent stay unset; their BICs are
 * still listed in `bics` for the directory check.
 */
function transactionFacts(transaction: PaymentReturnTransaction, index: number): TransactionFacts {
  const path = `TxInf[${index}]`;
  const locations = new Locations();
  locations.agent(`${path}/InstgAgt`, transaction.instructingAgent);
  locations.agent(`${path}/InstdAgt`, transaction.instructedAgent);
  locations.originalTransactionReference(`${path}/OrgnlTxRef`, transaction.originalTransactionReference);
  return defined({
    index,
    path,
    transactionId: transaction.returnId,
    endToEndId: transaction.originalEndToEndId,
    amount: transaction.returnedInterbankSettlementAmount,
    amountElement: 'RtrdIntrBkSttlmAmt',
    settlementDate: transaction.interbankSettlementDate,
    instructingAgent: transaction.instructingAgent,
    instructedAgent: transaction.instructedAgent,
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Pacs004): MessageFacts {
  const header = message.groupHeader;
  return {
    group: defined({
      messageId: header.messageId,
      creationDateTime: header.creationDateTime,
      numberOfTransactions: header.numberOfTransactions,
      controlSum: header.controlSum,
      totalAmount: header.totalReturnedInterbankSettlementAmount,
      settlementDate: header.interbankSettlementDate,
      settlementMethod: header.settlementInformation.method,
      instructingAgent: header.instructingAgent,
      instructedAgent: header.instructedAgent,
    }),
    transactions: message.transactions.map(transactionFacts),
  };
}

export const module: MessageModule<Pacs004> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  transactionElement: 'TxInf',
  parse: (root) =>
    defined({
      groupHeader: readGroupHeader(requiredChild(root, 'GrpHdr')),
      originalGroupInformation: readOriginalGroupReturn(child(root, 'OrgnlGrpInf')),
      transactions: children(root, 'TxInf').map(readTransaction),
    }),
  buildTree: (message) =>
    compact({
      GrpHdr: groupHeaderTree(message.groupHeader),
      OrgnlGrpInf: optional(message.originalGroupInformation, originalGroupReturnTree),
      TxInf: message.transactions.map(transactionTree),
    }),
  facts,
  factSpec: {
    group: {
      messageId: 'GrpHdr/MsgId', creationDateTime: 'GrpHdr/CreDtTm', numberOfTransactions: 'GrpHdr/NbOfTxs',
      controlSum: 'GrpHdr/CtrlSum', totalAmount: 'GrpHdr/TtlRtrdIntrBkSttlmAmt', settlementDate: 'GrpHdr/IntrBkSttlmDt',
      settlementMethod: 'GrpHdr/SttlmInf/SttlmMtd', instructingAgent: 'GrpHdr/InstgAgt/FinInstnId/BICFI',
      instructedAgent: 'GrpHdr/InstdAgt/FinInstnId/BICFI',
    },
    transaction: {
      transactionId: 'RtrId', endToEndId: 'OrgnlEndToEndId', amount: 'RtrdIntrBkSttlmAmt', settlementDate: 'IntrBkSttlmDt',
      instructingAgent: 'InstgAgt/FinInstnId/BICFI', instructedAgent: 'InstdAgt/FinInstnId/BICFI',
    },
    ibanElement: 'IBAN',
    bicElement: 'BICFI',
    // The scheme schema allows BICFIs and IBANs there, but the model does not read these parts.
    excludeUnder: ['RtrChain', 'OrgnlTxRef/MndtRltdInf'],
  },
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09">. */
export function build(message: Pacs004): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Pacs004 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
