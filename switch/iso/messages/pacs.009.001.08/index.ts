/**
 * pacs.009.001.08 FI credit transfer: bank-to-bank transfers, and the switch's settlement instructions
 * to the settlement agent. Debtor and creditor are financial institutions, so every party is a BIC.
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
  nonEmpty,
  optional,
  paymentIdentificationTree,
  paymentTypeInformationTree,
  readAccount,
  readAgent,
  readCodeOrProprietary,
  readCreditTransferGroupHeader,
  readPaymentIdentification,
  readPaymentTypeInformation,
  requiredAgent,
  requiredAmount,
  requiredChild,
  texts,
  type Account,
  type Amount,
  type CodeOrProprietary,
  type CreditTransferGroupHeader,
  type PaymentIdentification,
  type PaymentTypeInformation,
} from '../common.ts';

export type Pacs009GroupHeader = CreditTransferGroupHeader;

/** RemittanceInformation2: unstructured lines only. */
export interface FinancialInstitutionRemittance {
  readonly unstructured?: readonly string[];
}

/** CreditTransferTransaction36, the parts the scheme uses. Every agent and party is a BICFI. */
export interface FinancialInstitutionCreditTransfer {
  readonly paymentIdentification: PaymentIdentification;
  readonly paymentTypeInformation?: PaymentTypeInformation;
  readonly interbankSettlementAmount: Amount;
  readonly interbankSettlementDate?: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  readonly ultimateDebtor?: string;
  readonly debtor: string;
  readonly debtorAccount?: Account;
  readonly debtorAgent?: string;
  readonly creditorAgent?: string;
  readonly creditor: string;
  readonly creditorAccount?: Account;
  readonly ultimateCreditor?: string;
  readonly purpose?: CodeOrProprietary;
  readonly remittance?: FinancialInstitutionRemittance;
}

export interface Pacs009 {
  readonly groupHeader: Pacs009GroupHeader;
  readonly transactions: readonly FinancialInstitutionCreditTransfer[];
}

const ID = 'pacs.009.001.08';
const ROOT = 'FICdtTrf';

/** Every element of the official pacs.009.001.08 schema with maxOccurs > 1 (read from the XSD). */
const repeatingElements: ReadonlySet<string> = new Set([
  'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'CdtTrfTxInf', 'DscntApldAmt', 'Dtls', 'Id',
  'InstrForCdtrAgt', 'InstrForNxtAgt', 'LineDtls', 'Othr', 'Rcrd', 'RfrdDocInf', 'SplmtryData', 'Strd',
  'SvcLvl', 'TaxAmt', 'Ustrd',
]);

function readRemittance(node: XmlElement | undefined): FinancialInstitutionRemittance | undefined {
  return node === undefined ? undefined : defined({ unstructured: nonEmpty(texts(node, 'Ustrd')) });
}

function remittanceTree(remittance: FinancialInstitutionRemittance): XmlElement {
  return compact({ Ustrd: remittance.unstructured === undefined ? undefined : [...remittance.unstructured] });
}

function readTransaction(node: XmlElement): FinancialInstitutionCreditTransfer {
  return defined({
    paymentIdentification: readPaymentIdentification(requiredChild(node, 'PmtId')),
    paymentTypeInformation: readPaymentTypeInformation(child(node, 'PmtTpInf')),
    interbankSettlementAmount: requiredAmount(node, 'IntrBkSttlmAmt'),
    interbankSettlementDate: textAt(node, 'IntrBkSttlmDt'),
    instructingAgent: readAgent(child(node, 'InstgAgt')),
    instructedAgent: readAgent(child(node, 'InstdAgt')),
    ultimateDebtor: readAgent(child(node, 'UltmtDbtr')),
    debtor: requiredAgent(node, 'Dbtr'),
    debtorAccount: readAccount(child(node, 'DbtrAcct')),
    debtorAgent: readAgent(child(node, 'DbtrAgt')),
    creditorAgent: readAgent(child(node, 'CdtrAgt')),
    creditor: requiredAgent(node, 'Cdtr'),
    creditorAccount: readAccount(child(node, 'CdtrAcct')),
    ultimateCreditor: readAgent(child(node, 'UltmtCdtr')),
    purpose: readCodeOrProprietary(child(node, 'Purp')),
    remittance: readRemittance(child(node, 'RmtInf')),
  });
}

function transactionTree(transaction: FinancialInstitutionCreditTransfer): XmlElement {
  return compact({
    PmtId: paymentIdentificationTree(transaction.paymentIdentification),
    PmtTpInf: optional(transaction.paymentTypeInformation, paymentTypeInformationTree),
    IntrBkSttlmAmt: amountTree(transaction.interbankSettlementAmount),
    IntrBkSttlmDt: transaction.interbankSettlementDate,
    InstgAgt: optional(transaction.instructingAgent, agentTree),
    InstdAgt: optional(transaction.instructedAgent, agentTree),
    UltmtDbtr: optional(transaction.ultimateDebtor, agentTree),
    Dbtr: agentTree(transaction.debtor),
    DbtrAcct: optional(transaction.debtorAccount, accountTree),
    DbtrAgt: optional(transaction.debtorAgent, agentTree),
    CdtrAgt: optional(transaction.creditorAgent, agentTree),
    Cdtr: agentTree(transaction.creditor),
    CdtrAcct: optional(transaction.creditorAccount, accountTree),
    UltmtCdtr: optional(transaction.ultimateCreditor, agentTree),
    Purp: optional(transaction.purpose, codeOrProprietaryTree),
    RmtInf: optional(transaction.remittance, remittanceTree),
  });
}

function transactionFacts(transaction: FinancialInstitutionCreditTransfer, index: number): TransactionFacts {
  const path = `CdtTrfTxInf[${index}]`;
  const locations = new Locations();
  locations.agent(`${path}/InstgAgt`, transaction.instructingAgent);
  locations.agent(`${path}/InstdAgt`, transaction.instructedAgent);
  locations.agent(`${path}/UltmtDbtr`, transaction.ultimateDebtor);
  locations.agent(`${path}/Dbtr`, transaction.debtor);
  locations.account(`${path}/DbtrAcct`, transaction.debtorAccount);
  locations.agent(`${path}/DbtrAgt`, transaction.debtorAgent);
  locations.agent(`${path}/CdtrAgt`, transaction.creditorAgent);
  locations.agent(`${path}/Cdtr`, transaction.creditor);
  locations.account(`${path}/CdtrAcct`, transaction.creditorAccount);
  locations.agent(`${path}/UltmtCdtr`, transaction.ultimateCreditor);
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
    ibans: locations.ibans,
    bics: locations.bics,
  });
}

function facts(message: Pacs009): MessageFacts {
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

export const module: MessageModule<Pacs009> = {
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
      creditorAgent: 'CdtrAgt/FinInstnId/BICFI',
    },
    // Every BICFI and IBAN the scheme schema allows in CdtTrfTxInf is one the model reads.
    ibanElement: 'IBAN',
    bicElement: 'BICFI',
  },
};

const parser = createParser(repeatingElements);

/** The whole XML document: <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08">. */
export function build(message: Pacs009): string {
  return buildDocument(ID, ROOT, module.buildTree(message));
}

/** Parse a whole document (call only after XSD validation: missing mandatory elements throw). */
export function parseXml(xml: string): Pacs009 {
  return module.parse(documentRoot(xml, parser, ROOT));
}
