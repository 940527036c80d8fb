/**
 * camt.054.001.08 BkToCstmrDbtCdtNtfctn: notification to a participant of settled (or pending)
 * debits and credits on its position account. No balances (the schema has none).
 *
 * transactionElement is Ntfctn; facts() lists one TransactionFacts per entry ('Ntfctn[i]/Ntry[j]').
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { children, compact, type XmlElement } from '../../xml.ts';
import {
  accountReportTree, documentCodec, namespaceOf, readAccountReportBase, readReportGroupHeader, reportEntryFacts,
  reportGroupFacts, reportGroupHeaderTree, requiredChild,
  type AccountReportBase, type ReportGroupHeader,
} from '../camt-common.ts';

export type {
  AccountId, AccountReportBase, Amount, BankTransactionCode, CodeOrProprietary, CreditDebit, DateOrDateTime,
  Entry, EntryDetails, EntryTotals, MessageRecipient, Pagination, Period, RelatedParty, ReportAccount, ReportGroupHeader,
  TransactionDetails, TransactionReferences, TransactionsSummary,
} from '../camt-common.ts';

export interface Camt054 {
  readonly groupHeader: ReportGroupHeader;
  readonly notifications: readonly AccountNotification[];
}

/** AccountNotification17 subset. */
export type AccountNotification = AccountReportBase;

const ID = 'camt.054.001.08';
const NOTIFICATION = 'Ntfctn';

function parse(root: XmlElement): Camt054 {
  return {
    groupHeader: readReportGroupHeader(requiredChild(root, 'GrpHdr')),
    notifications: children(root, NOTIFICATION).map(readAccountReportBase),
  };
}

function buildTree(message: Camt054): XmlElement {
  return compact({
    GrpHdr: reportGroupHeaderTree(message.groupHeader),
    [NOTIFICATION]: message.notifications.map((notification) => accountReportTree(notification)),
  });
}

function facts(message: Camt054): MessageFacts {
  return {
    group: reportGroupFacts(message.groupHeader),
    transactions: reportEntryFacts(message.notifications, NOTIFICATION),
  };
}

export const module: MessageModule<Camt054> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'BkToCstmrDbtCdtNtfctn',
  // Every element with maxOccurs > 1 in the official camt.054.001.08 schema.
  repeatingElements: new Set([
    'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'ApprvlNb', 'Avlbty', 'CardRdngCpblties', 'Cmpnt',
    'CrdhldrVrfctnCpblties', 'CshDpst', 'DispCpblties', 'DscntApldAmt', 'Dtls', 'EQSeq', 'FrToSeq', 'Id',
    'Intrst', 'LineDtls', 'NEQSeq', 'Ntfctn', 'Ntry', 'NtryDtls', 'Othr', 'OthrId', 'Prtry', 'PrtryAmt', 'Rate',
    'Rcrd', 'RfrdDocInf', 'RltdQties', 'RltdRmtInf', 'RmtLctnDtls', 'SplmtryData', 'Strd', 'TaxAmt', 'TrckData',
    'TtlNtriesPerBkTxCd', 'TxDtls', 'Ustrd',
  ]),
  transactionElement: NOTIFICATION,
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt054): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt054 {
  return codec.parseXml(xml);
}
