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
  accountReportTree, documentCodec, entryXml, namespaceOf, readAccountReportBase, readBalances, readReportGroupHeader,
  reportEntryFacts, reportGroupFacts, reportGroupHeaderTree, requiredChild,
  type AccountReportBase, type Balance, type Entry, type ReportGroupHeader,
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

/**
 * A camt.053 of one statement written as a stream of text chunks: the document up to the statement's
 * last balance and summary, then each entry as `entries` yields it, then the closing tags. Memory
 * stays that of one entry however many there are; the document parses to what `build` writes for the
 * same statement with every entry in it (only the indentation of the entries differs). The statement's own `entries` must be empty (they come from
 * `entries`); its balances and summary must already hold the totals (they precede the entries).
 */
export async function* buildStream(groupHeader: ReportGroupHeader, statement: AccountStatement,
  entries: AsyncIterable<Entry> | Iterable<Entry>): AsyncGenerator<string> {
  if (statement.entries.length > 0) throw new Error('buildStream: the statement\'s entries come from the stream');
  const whole = build({ groupHeader, statements: [statement] });
  const close = whole.lastIndexOf('</Stmt>');
  if (close < 0) throw new Error('buildStream: no </Stmt> in the built document');
  yield whole.slice(0, close);
  for await (const entry of entries) yield entryXml(entry);
  yield whole.slice(close);
}
