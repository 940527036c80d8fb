/**
 * camt.053.001.08 BkToCstmrStmt: the statement of a participant's position account per settled cycle
 * or business day: every settled debit and credit (entries) and the balances. The scheme's balances:
 * OPBD opening booked (the position carried in, normally zero after settlement), CLBD closing booked
 * (the net position settled in the cycle, CRDT long / DBIT short), PRCD previously closed booked,
 * XPCD expected (queued payments not yet in the position).
 *
 * transactionElement is Stmt; facts() lists one TransactionFacts per entry ('Stmt[i]/Ntry[j]').
 */
import type { MessageFacts, MessageModule } from '../../message.ts';
import { children, compact, type XmlElement } from '../../xml.ts';
import {
  accountReportTree, documentCodec, namespaceOf, readAccountReportBase, readBalances, readReportGroupHeader,
  reportEntryFacts, reportGroupFacts, reportGroupHeaderTree, requiredChild,
  type AccountReportBase, type Balance, type ReportGroupHeader,
} from '../camt-common.ts';

export type {
  AccountId, AccountReportBase, Amount, Balance, BankTransactionCode, CodeOrProprietary, CreditDebit,
  DateOrDateTime, Entry, EntryDetails, EntryTotals, MessageRecipient, Pagination, Period, RelatedParty, ReportAccount,
  ReportGroupHeader, TransactionDetails, TransactionReferences, TransactionsSummary,
} from '../camt-common.ts';

export interface Camt053 {
  readonly groupHeader: ReportGroupHeader;
  readonly statements: readonly AccountStatement[];
}

/** AccountStatement9 subset. The schema requires at least one balance. */
export interface AccountStatement extends AccountReportBase {
  readonly balances: readonly Balance[];
}

const ID = 'camt.053.001.08';
const STATEMENT = 'Stmt';

function parse(root: XmlElement): Camt053 {
  return {
    groupHeader: readReportGroupHeader(requiredChild(root, 'GrpHdr')),
    statements: children(root, STATEMENT).map((node) => ({
      ...readAccountReportBase(node),
      balances: readBalances(node),
    })),
  };
}

function buildTree(message: Camt053): XmlElement {
  return compact({
    GrpHdr: reportGroupHeaderTree(message.groupHeader),
    [STATEMENT]: message.statements.map((statement) => accountReportTree(statement, statement.balances)),
  });
}

function facts(message: Camt053): MessageFacts {
  return {
    group: reportGroupFacts(message.groupHeader),
    transactions: reportEntryFacts(message.statements, STATEMENT),
  };
}

export const module: MessageModule<Camt053> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'BkToCstmrStmt',
  // Every element with maxOccurs > 1 in the official camt.053.001.08 schema.
  repeatingElements: new Set([
    'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'ApprvlNb', 'Avlbty', 'Bal', 'CardRdngCpblties',
    'CdtLine', 'Cmpnt', 'CrdhldrVrfctnCpblties', 'CshDpst', 'DispCpblties', 'DscntApldAmt', 'Dtls', 'EQSeq',
    'FrToSeq', 'Id', 'Intrst', 'LineDtls', 'NEQSeq', 'Ntry', 'NtryDtls', 'Othr', 'OthrId', 'Prtry', 'PrtryAmt',
    'Rate', 'Rcrd', 'RfrdDocInf', 'RltdQties', 'RltdRmtInf', 'RmtLctnDtls', 'SplmtryData', 'Stmt', 'Strd',
    'TaxAmt', 'TrckData', 'TtlNtriesPerBkTxCd', 'TxDtls', 'Ustrd',
  ]),
  transactionElement: STATEMENT,
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt053): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt053 {
  return codec.parseXml(xml);
}
