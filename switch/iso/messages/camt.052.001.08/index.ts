/**
 * camt.052.001.08 BkToCstmrAcctRpt: intraday report of a participant's position account, on request
 * (camt.060) or periodically during the day: the entries settled or pending so far, the current net
 * position and the headroom left under the participant's net debit cap.
 *
 * Position and headroom travel as balances (Bal), see `reportBalanceTypes`:
 * - ITBD (interim booked): the net position of the open cycle, CRDT when long, DBIT when short;
 * - ITAV (interim available): the headroom, i.e. the net debit cap minus the current net debit
 *   position: what the participant can still send before payments queue;
 * - Prtry NETDEBITCAP: the cap itself (CRDT), so the receiver need not know it beforehand;
 * - OPBD (opening booked) may be added for the position carried into the business day.
 *
 * transactionElement is Rpt; facts() lists one TransactionFacts per entry ('Rpt[i]/Ntry[j]').
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { children, compact, type XmlElement } from '../../xml.ts';
import {
  accountReportTree, documentCodec, namespaceOf, readAccountReportBase, readBalances, readReportGroupHeader,
  reportEntryFacts, reportGroupFacts, reportGroupHeaderTree, requiredChild,
  type AccountReportBase, type Balance, type CodeOrProprietary, type ReportGroupHeader,
} from '../camt-common.ts';

export type {
  AccountId, AccountReportBase, Amount, Balance, BankTransactionCode, CodeOrProprietary, CreditDebit,
  DateOrDateTime, Entry, EntryDetails, EntryTotals, MessageRecipient, Pagination, Period, RelatedParty, ReportAccount,
  ReportGroupHeader, TransactionDetails, TransactionReferences, TransactionsSummary,
} from '../camt-common.ts';

/** The balance types the scheme's intraday report uses (see the module comment). */
export const reportBalanceTypes = {
  openingBooked: { code: 'OPBD' },
  netPosition: { code: 'ITBD' },
  headroom: { code: 'ITAV' },
  netDebitCap: { proprietary: 'NETDEBITCAP' },
} as const satisfies Record<string, CodeOrProprietary>;

export interface Camt052 {
  readonly groupHeader: ReportGroupHeader;
  readonly reports: readonly AccountReport[];
}

/** AccountReport25 subset (Bal is optional in camt.052: a report may carry entries only). */
export interface AccountReport extends AccountReportBase {
  readonly balances: readonly Balance[];
}

const ID = 'camt.052.001.08';
const REPORT = 'Rpt';

function parse(root: XmlElement): Camt052 {
  return {
    groupHeader: readReportGroupHeader(requiredChild(root, 'GrpHdr')),
    reports: children(root, REPORT).map((node) => ({
      ...readAccountReportBase(node),
      balances: readBalances(node),
    })),
  };
}

function buildTree(message: Camt052): XmlElement {
  return compact({
    GrpHdr: reportGroupHeaderTree(message.groupHeader),
    [REPORT]: message.reports.map((report) => accountReportTree(report, report.balances)),
  });
}

function facts(message: Camt052): MessageFacts {
  return { group: reportGroupFacts(message.groupHeader), transactions: reportEntryFacts(message.reports, REPORT) };
}

export const module: MessageModule<Camt052> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'BkToCstmrAcctRpt',
  // Every element with maxOccurs > 1 in the official camt.052.001.08 schema.
  repeatingElements: new Set([
    'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'ApprvlNb', 'Avlbty', 'Bal', 'CardRdngCpblties',
    'CdtLine', 'Cmpnt', 'CrdhldrVrfctnCpblties', 'CshDpst', 'DispCpblties', 'DscntApldAmt', 'Dtls', 'EQSeq',
    'FrToSeq', 'Id', 'Intrst', 'LineDtls', 'NEQSeq', 'Ntry', 'NtryDtls', 'Othr', 'OthrId', 'Prtry', 'PrtryAmt',
    'Rate', 'Rcrd', 'RfrdDocInf', 'RltdQties', 'RltdRmtInf', 'RmtLctnDtls', 'Rpt', 'SplmtryData', 'Strd',
    'TaxAmt', 'TrckData', 'TtlNtriesPerBkTxCd', 'TxDtls', 'Ustrd',
  ]),
  transactionElement: REPORT,
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt052): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt052 {
  return codec.parseXml(xml);
}
