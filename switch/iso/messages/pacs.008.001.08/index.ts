/**
 * pacs.008.001.08 FI-to-FI customer credit transfer: the payment. One message carries one or many
 * CdtTrfTxInf (bulk). Model, parse and build of what the scheme accepts; see ../common.ts.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { buildDocument, child, children, compact, createParser, textAt, type XmlElement } from '../../xml.ts';
import {
  accountTree,
  agentTree,
  amountTree,
  codeOrProprietaryTree,
  creditTransferGroupHeaderTree,
  defined,
  documentRoot,
  Locations,
  optional,
  partyTree,
  paymentIdentificationTree,
  paymentTypeInformationTree,
  readAccount,
  readAgent,
  readAmount,
  readCodeOrProprietary,
  readCreditTransferGroupHeader,
  readParty,
  readPaymentIdentification,
  readPaymentTypeInformation,
  readRemittance,
  remittanceTree,
  requiredAgent,
  requiredAmount,
  requiredChild,
  requiredParty,
  requiredText,
  type Account,
  type Amount,
  type CodeOrProprietary,
  type CreditTransferGroupHeader,
  type Party,
  type PaymentIdentification,
  type PaymentTypeInformation,
  type Remittance,
} from '../common.ts';

export type Pacs008GroupHeader = CreditTransferGroupHeader;

/** CreditTransferTransaction39, the parts the scheme accepts. Agents are BICs. */
export interface CreditTransferTransaction {
  readonly paymentIdentification: PaymentIdentification;
  readonly paymentTypeInformation?: PaymentTypeInformation;
  readonly interbankSettlementAmount: Amount;
  readonly interbankSettlementDate?: string;
  readonly acceptanceDateTime?: string;
  readonly instructedAmount?: Amount;
  readonly exchangeRate?: string;
  /** SLEV in this scheme. */
  readonly chargeBearer: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  readonly ultimateDebtor?: Party;
  readonly debtor: Party;
  readonly debtorAccount?: Account;
  readonly debtorAgent: string;
  readonly creditorAgent: string;
  readonly creditor: Party;
  readonly creditorAccount?: Account;
  readonly ultimateCreditor?: Party;
  readonly purpose?: CodeOrProprietary;
  readonly remittance?: Remittance;
}

export interface Pacs008 {
  readonly groupHeader: Pacs008GroupHeader;
  readonly transactions: readonly CreditTransferTransaction[];
}

const ID = 'pacs.008.001.08';
const ROOT = 'FIToFICstmrCdtTrf';

/** Every element of the official pacs.008.001.08 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set([
  'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'CdtTrfTxInf', 'ChrgsInf', 'DscntApldAmt', 'Dtls', 'Id',
  'Inf', 'InstrForCdtrAgt', 'InstrForNxtAgt', 'LineDtls', 'Othr', 'Rcrd', 'RfrdDocInf', 'RgltryRptg',
  'RltdRmtInf', 'RmtLctnDtls', 'SplmtryData', 'Strd', 'SvcLvl', 'TaxAmt', 'Ustrd',
]);

function readTransaction(node: XmlElement): CreditTransferTransaction {
  return defined({
    paymentIdentification: readPaymentIdentification(requiredChild(node, 'PmtId')),
    paymentTypeInformation: readPaymentTypeInformation(child(node, 'PmtTpInf')),
    interbankSettlementAmount: requiredAmount(node, 'IntrBkSttlmAmt'),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    acceptanceDateTime: textAt(node, 'AccptncDtTm'),
    instructedAmount: readAmount(child(node, 'InstdAmt')),
    exchangeRate: textAt(node, 'XchgRate'),
    chargeBearer: requiredText(node, 'ChrgBr'),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
    ultimateDebtor: readParty(child(node, 'UltmtDbtr')),
    debtor: requiredParty(node, 'Dbtr'),
    debtorAccount: readAccount(child(node, 'DbtrAcct')),
    debtorAgent: requiredAgent(node, 'DbtrAgt'),
    creditorAgent: requiredAgent(node, 'CdtrAgt'),
    creditor: requiredParty(node, 'Cdtr'),
    creditorAccount: readAccount(child(node, 'CdtrAcct')),
    ultimateCreditor: readParty(child(node, 'UltmtCdtr')),
    purpose: readCodeOrProprietary(child(node, 'Purp')),
    remittance: readRemittance(child(node, 'RmtInf')),
  });
}

function transactionTree(transaction: CreditTransferTransaction): XmlElement {
  return compact({
    PmtId: paymentIdentificationTree(transaction.paymentIdentification),
    PmtTpInf: optional(transaction.paymentTypeInformation, paymentTypeInformationTree),
    IntrBkSttlmAmt: amountTree(transaction.interbankSettlementAmount),
    IntrBkSttlmDt: transaction.interbankSettlementDate,
    AccptncDtTm: transaction.acceptanceDateTime,
    InstdAmt: optional(transaction.instructedAmount, amountTree),
    XchgRate: transaction.exchangeRate,
    ChrgBr: transaction.chargeBearer,
    InstgAgt: optional(transaction.instructingAgent, agentTree),
    InstdAgt: optional(transaction.instructedAgent, agentTree),
    UltmtDbtr: optional(transaction.ultimateDebtor, partyTree),
    Dbtr: partyTree(transaction.debtor),
    DbtrAcct: optional(transaction.debtorAccount, accountTree),
    DbtrAgt: agentTree(transaction.debtorAgent),
    CdtrAgt: agentTree(transaction.creditorAgent),
    Cdtr: partyTree(transaction.creditor),
    CdtrAcct: optional(transaction.creditorAccount, accountTree),
    UltmtCdtr: optional(transaction.ultimateCreditor, partyTree),
    Purp: optional(transaction.purpose, codeOrProprietaryTree),
    RmtInf: optional(transaction.remittance, remittanceTree),
  });
}

function codeOf(value: CodeOrProprietary | undefined): string | undefined {
  return value !== undefined && 'code' in value ? value.code : undefined;
}

function transactionFacts(transaction: CreditTransferTransaction, index: number): TransactionFacts {
  const path = `CdtTrfTxInf[${index}]`;
  const locations = new Locations();
  locations.agent(`${path}/InstgAgt`, transaction.instructingAgent);
  locations.agent(`${path}/InstdAgt`, transaction.instructedAgent);
  locations.account(`${path}/DbtrAcct`, transaction.debtorAccount);
  locations.agent(`${path}/DbtrAgt`, transaction.debtorAgent);
  locations.agent(`${path}/CdtrAgt`, transaction.creditorAgent);
  locations.account(`${path}/CdtrAcct`, transaction.creditorAccount);
  const id = transaction.paymentIdentification;
  return defined({
    index,
    path,
    transactionId: id.transactionId,
    endToEndId: id.endToEndId,
    uetr: id.uetr,
    amount: transaction.interbankSettlementAmount,
    settlementDate: transaction.interbankSettlementDate,
    instructingAgent: transaction.instructingAgent,
    instructedAgent: transaction.instructedAgent,
    debtorAgent: transaction.debtorAgent,
    creditorAgent: transaction.creditorAgent,
    localInstrument: codeOf(transaction.paymentTypeInformation?.localInstrument),
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Pacs008): MessageFacts {
  const header = message.groupHeader;
  return {
    group: defined({
      messageId: header.messageId,
      creationDateTime: header.creationDateTime,
      numberOfTransactions: header.numberOfTransactions,
      controlSum: header.controlSum,
      totalAmount: header.totalInterbankSettlementAmount,
      settlementDate: header.interbankSettlementDate,
      settlementMethod: header.settlementInformation.method,
      instructingAgent: header.instructingAgent,
      instructedAgent: header.instructedAgent,
    }),
    transactions: message.transactions.map(transactionFacts),
  };
}

export const module: MessageModule<Pacs008> = {
  id: ID,
  namespace: `urn:iso:std:iso:20022:tech:xsd:${ID}`,
  rootElement: ROOT,
  repeatingElements,
  transactionElement: 'CdtTrfTxInf',
  parse: (root) => ({
    groupHeader: readCreditTransferGroupHeader(requiredChild(root, 'GrpHdr')),
    transactions: children(root, 'CdtTrfTxInf').map(readTransaction),
  }),
  buildTree: (message) =>
    compact({
      GrpHdr: creditTransferGroupHeaderTree(message.groupHeader),
      CdtTrfTxInf: message.transactions.map(transactionTree),
    }),
  facts,
  factSpec: {
    group: {
      messageId: 'GrpHdr/MsgId', creationDateTime: 'GrpHdr/CreDtTm', numberOfTransactions: 'GrpHdr/NbOfTxs',
      controlSum: 'GrpHdr/CtrlSum', totalAmount: 'GrpHdr/TtlIntrBkSttlmAmt', settlementDate: 'GrpHdr/IntrBkSttlmDt',
      settlementMethod: 'GrpHdr/SttlmInf/SttlmMtd', instructingAgent: 'GrpHdr/InstgAgt/FinInstnId/BICFI',
      instructedAgent: 'GrpHdr/InstdAgt/FinInstnId/BICFI',
    },
    transaction: {
      transactionId: 'PmtId/TxId', endToEndId: 'PmtId/EndToEndId', uetr: 'PmtId/UETR', amount: 'IntrBkSttlmAmt',
      settlementDate: 'IntrBkSttlmDt', instructingAgent: 'InstgAgt/FinInstnId/BICFI',
      instructedAgent: 'InstdAgt/FinInstnId/BICFI', debtorAgent: 'DbtrAgt/FinInstnId/BICFI',
      creditorAgent: 'CdtrAgt/FinInstnId/BICFI', localInstrument: 'PmtTpInf/LclInstrm/Cd',
    },
    ibanElement: 'IBAN',
    bicElement: 'BICFI',
  },
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">. */
export function build(message: Pacs008): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Pacs008 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
