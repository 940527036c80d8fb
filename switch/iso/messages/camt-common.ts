/**
 * Shared pieces of the cash-management (camt) and admin (admi) message modules: value types, read and
 * build helpers for the elements those messages share, and the document codec (build / parseXml).
 *
 * The scheme's subset applies throughout: a financial institution is identified by its BICFI only
 * (an agent is modelled as its BIC string), an account by IBAN or Othr/Id. Amounts stay decimal text
 * exactly as in the XML; conversion to minor units happens in switch/iso/amount.ts, never here.
 *
 * Parsers run on schema-valid input. A required element that is missing is therefore a bug (or input
 * outside the scheme subset that skipped the scheme XSD) and throws, instead of returning a value.
 */
import type { AmountText, GroupFacts, Located, MessageModule, TransactionFacts } from '../message.ts';
import {
  amountNode, attr, buildDocument, buildXml, child, children, compact, createParser, text, textAt,
  type XmlElement, type XmlNode,
} from '../xml.ts';

// ---- value types ----

export type Amount = AmountText;
export type CreditDebit = 'CRDT' | 'DBIT';
/** An ISO "…Choice" of an external code (Cd) or a proprietary text (Prtry). */
export type CodeOrProprietary = { readonly code: string } | { readonly proprietary: string };
export type DateOrDateTime = { readonly date: string } | { readonly dateTime: string };
/** AccountIdentification4Choice, scheme subset: IBAN or Othr/Id. */
export type AccountId = { readonly iban: string } | { readonly other: string };

// ---- reading ----

/** Thrown when schema-valid input lacks what the scheme subset requires: a bug, not a business error. */
export class MessageShapeError extends Error {
  override readonly name = 'MessageShapeError';
}

export function requiredText(node: XmlNode | undefined, ...path: string[]): string {
  const value = textAt(node, ...path);
  if (value === undefined) throw new MessageShapeError(`missing required element ${path.join('/')}`);
  return value;
}

export function requiredChild(node: XmlNode | undefined, name: string): XmlElement {
  const found = child(node, name);
  if (found === undefined) throw new MessageShapeError(`missing required element ${name}`);
  return found;
}

/** The texts of every occurrence of a repeating leaf element (empty when absent). */
export function texts(node: XmlNode | undefined, name: string): string[] {
  return children(node, name).map((c) => text(c) ?? '');
}

/** Drop the keys whose value is undefined, so a parsed model deep-equals the model it was built from. */
export function withoutUndefined<T extends object>(value: T): T {
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return value;
}

export function readAmount(node: XmlNode | undefined): Amount | undefined {
  if (node === undefined) return undefined;
  const currency = attr(node, 'Ccy');
  const value = text(node);
  if (currency === undefined || value === undefined) throw new MessageShapeError('amount without Ccy or value');
  return { currency, value };
}

export function readCreditDebit(node: XmlNode | undefined, name = 'CdtDbtInd'): CreditDebit | undefined {
  const value = textAt(node, name);
  if (value === undefined || value === 'CRDT' || value === 'DBIT') return value;
  throw new MessageShapeError(`${name}: ${value} is not CRDT or DBIT`);
}

export function readBoolean(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true' || value === '1';
}

export function readCodeOrProprietary(node: XmlNode | undefined): CodeOrProprietary | undefined {
  if (node === undefined) return undefined;
  const code = textAt(node, 'Cd');
  if (code !== undefined) return { code };
  const proprietary = textAt(node, 'Prtry');
  if (proprietary !== undefined) return { proprietary };
  throw new MessageShapeError('choice without Cd or Prtry');
}

export function readDateOrDateTime(node: XmlNode | undefined): DateOrDateTime | undefined {
  if (node === undefined) return undefined;
  const date = textAt(node, 'Dt');
  if (date !== undefined) return { date };
  return { dateTime: requiredText(node, 'DtTm') };
}

/** From the Id element of a cash account. */
export function readAccountId(idNode: XmlNode | undefined): AccountId {
  const iban = textAt(idNode, 'IBAN');
  if (iban !== undefined) return { iban };
  return { other: requiredText(idNode, 'Othr', 'Id') };
}

/** BICFI of a BranchAndFinancialInstitutionIdentification6 element. */
export function readAgent(node: XmlNode | undefined): string | undefined {
  return node === undefined ? undefined : requiredText(node, 'FinInstnId', 'BICFI');
}

/** BICFI of a Party40Choice that holds an agent (the scheme subset never uses Pty there). */
export function readPartyAgent(node: XmlNode | undefined): string | undefined {
  return node === undefined ? undefined : requiredText(node, 'Agt', 'FinInstnId', 'BICFI');
}

/** Pty/Nm of a Party40Choice that holds a party identified by name. */
export function readPartyName(node: XmlNode | undefined): string | undefined {
  return node === undefined ? undefined : requiredText(node, 'Pty', 'Nm');
}

/**
 * Party40Choice, both branches: a party (Pty, PartyIdentification135: Nm and Id/OrgId/AnyBIC, both
 * optional in the schema, so a Pty may be empty) or an agent (Agt, by BICFI in the scheme subset).
 * A statement names a bank as debtor or creditor when a bank is the party (a settlement instruction,
 * a bank-to-bank payment), so the agent branch is as ordinary as the party branch.
 */
export type RelatedParty = { readonly agent: string } | { readonly name?: string; readonly anyBic?: string };

export function readRelatedParty(node: XmlNode | undefined): RelatedParty | undefined {
  if (node === undefined) return undefined;
  const agent = child(node, 'Agt');
  if (agent !== undefined) return { agent: requiredText(agent, 'FinInstnId', 'BICFI') };
  const party = requiredChild(node, 'Pty');
  return withoutUndefined({ name: textAt(party, 'Nm'), anyBic: textAt(party, 'Id', 'OrgId', 'AnyBIC') });
}

export function relatedPartyTree(party: RelatedParty): XmlElement {
  if ('agent' in party) return partyAgentTree(party.agent);
  return {
    Pty: compact({ Nm: party.name, Id: ifDefined(party.anyBic, (bic) => ({ OrgId: { AnyBIC: bic } })) }),
  };
}

/** The BICs of a related party standing at `path` (its Agt BICFI or its Pty AnyBIC). */
export function relatedPartyBics(path: string, party: RelatedParty | undefined): Located[] {
  if (party === undefined) return [];
  if ('agent' in party) return [{ path: `${path}/${PARTY_AGENT_BIC_PATH}`, value: party.agent }];
  return located(`${path}/Pty/Id/OrgId/AnyBIC`, party.anyBic);
}

// ---- building ----

/** Apply a tree builder to an optional value: `Case: ifDefined(m.case, caseTree)`. */
export function ifDefined<T, R>(value: T | undefined, build: (value: T) => R): R | undefined {
  return value === undefined ? undefined : build(value);
}

export function amountTree(amount: Amount): XmlElement {
  return amountNode(amount.currency, amount.value);
}

export function booleanText(value: boolean): string {
  return value ? 'true' : 'false';
}

export function codeOrProprietaryTree(value: CodeOrProprietary): XmlElement {
  return 'code' in value ? { Cd: value.code } : { Prtry: value.proprietary };
}

export function dateOrDateTimeTree(value: DateOrDateTime): XmlElement {
  return 'date' in value ? { Dt: value.date } : { DtTm: value.dateTime };
}

export function accountIdTree(id: AccountId): XmlElement {
  return 'iban' in id ? { IBAN: id.iban } : { Othr: { Id: id.other } };
}

/** BranchAndFinancialInstitutionIdentification6 with only a BICFI. */
export function agentTree(bic: string): XmlElement {
  return { FinInstnId: { BICFI: bic } };
}

/** Party40Choice holding an agent. */
export function partyAgentTree(bic: string): XmlElement {
  return { Agt: agentTree(bic) };
}

/** Party40Choice holding a party known by name. */
export function partyNameTree(name: string): XmlElement {
  return { Pty: { Nm: name } };
}

// ---- facts ----

export function located(path: string, value: string | undefined): Located[] {
  return value === undefined ? [] : [{ path, value }];
}

export const AGENT_BIC_PATH = 'FinInstnId/BICFI';
export const PARTY_AGENT_BIC_PATH = 'Agt/FinInstnId/BICFI';

/** The IBAN of an account Id element standing at `path`, if the account is identified by IBAN. */
export function accountIbansAt(path: string, id: AccountId | undefined): Located[] {
  return id !== undefined && 'iban' in id ? [{ path: `${path}/IBAN`, value: id.iban }] : [];
}

// ---- the document codec ----

export interface DocumentCodec<M> {
  /** The whole XML document: declaration, <Document xmlns=…>, the message. */
  build(message: M): string;
  /** Parse a whole document of this message version (already through the hardening scan). */
  parseXml(xml: string): M;
}

/** build / parseXml for one module. The parser is created once, at module load. */
export function documentCodec<M>(module: MessageModule<M>): DocumentCodec<M> {
  const parser = createParser(module.repeatingElements);
  return {
    build: (message) => buildDocument(module.id, module.rootElement, module.buildTree(message)),
    parseXml: (xml) => {
      // The parser drops xmlns attributes (removeNSPrefix), so the namespace is checked on the text:
      // camt.052/053/054 share most of their shape and must not be parsed as one another.
      if (!xml.includes(`"${module.namespace}"`) && !xml.includes(`'${module.namespace}'`)) {
        throw new MessageShapeError(`document does not declare namespace ${module.namespace}`);
      }
      const document = requiredChild(parser.parse(xml) as XmlElement, 'Document');
      return module.parse(requiredChild(document, module.rootElement));
    },
  };
}

export function namespaceOf(id: string): string {
  return `urn:iso:std:iso:20022:tech:xsd:${id}`;
}

// ---- case management: camt.056 and camt.029 ----

/** CaseAssignment5: the case is passed from one agent to the next (both by BIC). */
export interface CaseAssignment {
  readonly id: string;
  readonly assigner: string;
  readonly assignee: string;
  readonly creationDateTime: string;
}

/** Case5 (Id, Cretr as agent BIC). */
export interface Case {
  readonly id: string;
  readonly creator: string;
}

/** OriginalGroupInformation29: the message the case is about. */
export interface OriginalGroupInformation {
  readonly messageId: string;
  /** e.g. 'pacs.008.001.08' */
  readonly messageNameId: string;
  readonly creationDateTime?: string;
}

/** PaymentCancellationReason5 (camt.056 CxlRsnInf) and CancellationStatusReason4 (camt.029 CxlStsRsnInf). */
export interface ReasonInformation {
  /** Orgtr/Nm */
  readonly originatorName?: string;
  readonly reason?: CodeOrProprietary;
  readonly additionalInformation: readonly string[];
}

export function readCaseAssignment(node: XmlNode | undefined): CaseAssignment {
  return {
    id: requiredText(node, 'Id'),
    assigner: requiredText(node, 'Assgnr', 'Agt', 'FinInstnId', 'BICFI'),
    assignee: requiredText(node, 'Assgne', 'Agt', 'FinInstnId', 'BICFI'),
    creationDateTime: requiredText(node, 'CreDtTm'),
  };
}

export function caseAssignmentTree(assignment: CaseAssignment): XmlElement {
  return {
    Id: assignment.id,
    Assgnr: partyAgentTree(assignment.assigner),
    Assgne: partyAgentTree(assignment.assignee),
    CreDtTm: assignment.creationDateTime,
  };
}

export function readCase(node: XmlNode | undefined): Case | undefined {
  if (node === undefined) return undefined;
  return { id: requiredText(node, 'Id'), creator: requiredText(node, 'Cretr', 'Agt', 'FinInstnId', 'BICFI') };
}

export function caseTree(value: Case): XmlElement {
  return { Id: value.id, Cretr: partyAgentTree(value.creator) };
}

export function readOriginalGroup(node: XmlNode | undefined): OriginalGroupInformation | undefined {
  if (node === undefined) return undefined;
  return withoutUndefined({
    messageId: requiredText(node, 'OrgnlMsgId'),
    messageNameId: requiredText(node, 'OrgnlMsgNmId'),
    creationDateTime: textAt(node, 'OrgnlCreDtTm'),
  });
}

export function originalGroupTree(value: OriginalGroupInformation): XmlElement {
  return compact({
    OrgnlMsgId: value.messageId,
    OrgnlMsgNmId: value.messageNameId,
    OrgnlCreDtTm: value.creationDateTime,
  });
}

export function readReasonInformation(node: XmlElement): ReasonInformation {
  return withoutUndefined({
    originatorName: textAt(node, 'Orgtr', 'Nm'),
    reason: readCodeOrProprietary(child(node, 'Rsn')),
    additionalInformation: texts(node, 'AddtlInf'),
  });
}

export function reasonInformationTree(value: ReasonInformation): XmlElement {
  return compact({
    Orgtr: ifDefined(value.originatorName, (name) => ({ Nm: name })),
    Rsn: ifDefined(value.reason, codeOrProprietaryTree),
    AddtlInf: [...value.additionalInformation],
  });
}

/** The BICs of the assignment, located relative to the root element. */
export function caseAssignmentBics(assignment: CaseAssignment): Located[] {
  return [
    { path: `Assgnmt/Assgnr/${PARTY_AGENT_BIC_PATH}`, value: assignment.assigner },
    { path: `Assgnmt/Assgne/${PARTY_AGENT_BIC_PATH}`, value: assignment.assignee },
  ];
}

/** The creator BIC of a case standing at `path` (e.g. 'Case' or 'Undrlyg[0]/TxInf[1]/Case'). */
export function caseBics(path: string, value: Case | undefined): Located[] {
  return value === undefined ? [] : [{ path: `${path}/Cretr/${PARTY_AGENT_BIC_PATH}`, value: value.creator }];
}

// ---- bank-to-customer reports: camt.052, camt.053, camt.054 ----
// The three versions share GroupHeader81, CashAccount39, CashBalance8, TotalTransactions6 and
// ReportEntry10 element for element; only the report element (Rpt/Stmt/Ntfctn) and the presence of
// balances differ (camt.054 has none).

export interface ReportGroupHeader {
  readonly messageId: string;
  readonly creationDateTime: string;
  /**
   * MsgRcpt is a PartyIdentification135, not an agent: it cannot carry a BICFI. The scheme names
   * the receiving participant by Nm and/or Id/OrgId/AnyBIC.
   */
  readonly recipient?: MessageRecipient;
  readonly pagination?: Pagination;
}

export interface MessageRecipient {
  readonly name?: string;
  readonly anyBic?: string;
}

export interface Pagination {
  /** PgNb, up to 5 digits, as text. */
  readonly pageNumber: string;
  readonly lastPage: boolean;
}

/** FrToDt: a date-time period. */
export interface Period {
  readonly from: string;
  readonly to: string;
}

/** CashAccount39, scheme subset: the participant's settlement position account. */
export interface ReportAccount {
  readonly id: AccountId;
  readonly currency?: string;
  /** Nm: the account's name. */
  readonly name?: string;
  /** Ownr/Nm */
  readonly ownerName?: string;
  /** Svcr/FinInstnId/BICFI: the switch (or settlement agent) that keeps the account. */
  readonly servicer?: string;
}

/** CashBalance8: Tp/CdOrPrtry (e.g. OPBD, CLBD, ITBD, PRCD, XPCD, ITAV, or proprietary), Amt, CdtDbtInd, Dt. */
export interface Balance {
  readonly type: CodeOrProprietary;
  readonly amount: Amount;
  readonly creditDebit: CreditDebit;
  readonly date: DateOrDateTime;
}

/** NumberAndSumOfTransactions1 / 4: counts and sums as text (Sum is a plain decimal, no currency). */
export interface EntryTotals {
  readonly count?: string;
  readonly sum?: string;
}

/** TxsSummry: TtlNtries (with the net amount), TtlCdtNtries, TtlDbtNtries. */
export interface TransactionsSummary {
  readonly total?: EntryTotals & { readonly net?: { readonly amount: string; readonly creditDebit: CreditDebit } };
  readonly credits?: EntryTotals;
  readonly debits?: EntryTotals;
}

/** BankTransactionCodeStructure4: Domn (Cd, Fmly/Cd, Fmly/SubFmlyCd) and/or Prtry (Cd, Issr). */
export interface BankTransactionCode {
  readonly domain?: { readonly code: string; readonly family: string; readonly subFamily: string };
  readonly proprietary?: { readonly code: string; readonly issuer?: string };
}

/** TxRefs subset of TransactionReferences6. */
export interface TransactionReferences {
  readonly messageId?: string;
  readonly accountServicerReference?: string;
  readonly instructionId?: string;
  readonly endToEndId?: string;
  readonly transactionId?: string;
  readonly uetr?: string;
}

/** EntryTransaction10 subset: one payment inside an entry. */
export interface TransactionDetails {
  readonly references?: TransactionReferences;
  readonly amount?: Amount;
  readonly creditDebit?: CreditDebit;
  /** RltdPties/Dbtr: a party (Pty) or an agent (Agt). */
  readonly debtor?: RelatedParty;
  /** RltdPties/DbtrAcct/Id */
  readonly debtorAccount?: AccountId;
  /** RltdPties/UltmtDbtr */
  readonly ultimateDebtor?: RelatedParty;
  /** RltdPties/Cdtr: a party (Pty) or an agent (Agt). */
  readonly creditor?: RelatedParty;
  /** RltdPties/CdtrAcct/Id */
  readonly creditorAccount?: AccountId;
  /** RltdPties/UltmtCdtr */
  readonly ultimateCreditor?: RelatedParty;
  /** RltdAgts/DbtrAgt BICFI */
  readonly debtorAgent?: string;
  /** RltdAgts/CdtrAgt BICFI */
  readonly creditorAgent?: string;
  /** RmtInf/Ustrd (no RmtInf when empty). */
  readonly remittanceInformation: readonly string[];
}

/** NtryDtls: a batch of transactions (or one) behind an entry. */
export interface EntryDetails {
  readonly transactions: readonly TransactionDetails[];
}

/** ReportEntry10 subset: one settled (BOOK), pending (PDNG) or informational (INFO) debit or credit. */
export interface Entry {
  readonly reference?: string;
  readonly amount: Amount;
  readonly creditDebit: CreditDebit;
  /** Sts (EntryStatus1Choice): Cd BOOK, PDNG, INFO, or a proprietary status. */
  readonly status: CodeOrProprietary;
  readonly bookingDate?: DateOrDateTime;
  readonly valueDate?: DateOrDateTime;
  readonly accountServicerReference?: string;
  readonly bankTransactionCode: BankTransactionCode;
  readonly details: readonly EntryDetails[];
}

/** The part of AccountReport25 / AccountStatement9 / AccountNotification17 the scheme uses, balances aside. */
export interface AccountReportBase {
  readonly id: string;
  readonly electronicSequenceNumber?: string;
  /** Optional in the schema; the switch always sets it. */
  readonly creationDateTime?: string;
  readonly period?: Period;
  /** CpyDplctInd (CopyDuplicate1Code): DUPL on a statement sent again to its recipient (camt.060 request). */
  readonly copyDuplicate?: 'CODU' | 'COPY' | 'DUPL';
  readonly account: ReportAccount;
  readonly summary?: TransactionsSummary;
  readonly entries: readonly Entry[];
}

export function readReportGroupHeader(node: XmlNode | undefined): ReportGroupHeader {
  const recipient = child(node, 'MsgRcpt');
  const pagination = child(node, 'MsgPgntn');
  return withoutUndefined({
    messageId: requiredText(node, 'MsgId'),
    creationDateTime: requiredText(node, 'CreDtTm'),
    recipient: recipient && withoutUndefined({
      name: textAt(recipient, 'Nm'),
      anyBic: textAt(recipient, 'Id', 'OrgId', 'AnyBIC'),
    }),
    pagination: pagination && {
      pageNumber: requiredText(pagination, 'PgNb'),
      lastPage: readBoolean(requiredText(pagination, 'LastPgInd'))!,
    },
  });
}

export function reportGroupHeaderTree(header: ReportGroupHeader): XmlElement {
  return compact({
    MsgId: header.messageId,
    CreDtTm: header.creationDateTime,
    MsgRcpt: ifDefined(header.recipient, (r) => compact({
      Nm: r.name,
      Id: ifDefined(r.anyBic, (bic) => ({ OrgId: { AnyBIC: bic } })),
    })),
    MsgPgntn: ifDefined(header.pagination, (p) => ({ PgNb: p.pageNumber, LastPgInd: booleanText(p.lastPage) })),
  });
}

export function readAccountReportBase(node: XmlElement): AccountReportBase {
  const period = child(node, 'FrToDt');
  const summary = child(node, 'TxsSummry');
  return withoutUndefined({
    id: requiredText(node, 'Id'),
    electronicSequenceNumber: textAt(node, 'ElctrncSeqNb'),
    creationDateTime: textAt(node, 'CreDtTm'),
    period: period && { from: requiredText(period, 'FrDtTm'), to: requiredText(period, 'ToDtTm') },
    copyDuplicate: readCopyDuplicate(textAt(node, 'CpyDplctInd')),
    account: readReportAccount(requiredChild(node, 'Acct')),
    summary: summary && readSummary(summary),
    entries: children(node, 'Ntry').map(readEntry),
  });
}

export function readBalances(node: XmlElement): Balance[] {
  return children(node, 'Bal').map((bal) => ({
    type: readCodeOrProprietary(requiredChild(requiredChild(bal, 'Tp'), 'CdOrPrtry'))!,
    amount: readAmount(requiredChild(bal, 'Amt'))!,
    creditDebit: readCreditDebit(bal)!,
    date: readDateOrDateTime(requiredChild(bal, 'Dt'))!,
  }));
}

function readCopyDuplicate(value: string | undefined): AccountReportBase['copyDuplicate'] {
  if (value === undefined || value === 'CODU' || value === 'COPY' || value === 'DUPL') return value;
  throw new MessageShapeError(`CpyDplctInd ${value} is not CODU, COPY or DUPL`);
}

/** The report element, children in XSD order; `balances` only for camt.052 and camt.053. */
export function accountReportTree(report: AccountReportBase, balances?: readonly Balance[]): XmlElement {
  return compact({
    Id: report.id,
    ElctrncSeqNb: report.electronicSequenceNumber,
    CreDtTm: report.creationDateTime,
    FrToDt: ifDefined(report.period, (p) => ({ FrDtTm: p.from, ToDtTm: p.to })),
    CpyDplctInd: report.copyDuplicate,
    Acct: reportAccountTree(report.account),
    Bal: balances?.map(balanceTree),
    TxsSummry: ifDefined(report.summary, summaryTree),
    Ntry: report.entries.map(entryTree),
  });
}

function readReportAccount(node: XmlElement): ReportAccount {
  return withoutUndefined({
    id: readAccountId(requiredChild(node, 'Id')),
    currency: textAt(node, 'Ccy'),
    name: textAt(node, 'Nm'),
    ownerName: textAt(node, 'Ownr', 'Nm'),
    servicer: readAgent(child(node, 'Svcr')),
  });
}

function reportAccountTree(account: ReportAccount): XmlElement {
  return compact({
    Id: accountIdTree(account.id),
    Ccy: account.currency,
    Nm: account.name,
    Ownr: ifDefined(account.ownerName, (name) => ({ Nm: name })),
    Svcr: ifDefined(account.servicer, agentTree),
  });
}

function balanceTree(balance: Balance): XmlElement {
  return {
    Tp: { CdOrPrtry: codeOrProprietaryTree(balance.type) },
    Amt: amountTree(balance.amount),
    CdtDbtInd: balance.creditDebit,
    Dt: dateOrDateTimeTree(balance.date),
  };
}

function readTotals(node: XmlElement): EntryTotals {
  return withoutUndefined({ count: textAt(node, 'NbOfNtries'), sum: textAt(node, 'Sum') });
}

function totalsTree(totals: EntryTotals): XmlElement {
  return compact({ NbOfNtries: totals.count, Sum: totals.sum });
}

function readSummary(node: XmlElement): TransactionsSummary {
  const total = child(node, 'TtlNtries');
  const net = child(total, 'TtlNetNtry');
  const credits = child(node, 'TtlCdtNtries');
  const debits = child(node, 'TtlDbtNtries');
  return withoutUndefined({
    total: total && withoutUndefined({
      ...readTotals(total),
      net: net && { amount: requiredText(net, 'Amt'), creditDebit: readCreditDebit(net)! },
    }),
    credits: credits && readTotals(credits),
    debits: debits && readTotals(debits),
  });
}

function summaryTree(summary: TransactionsSummary): XmlElement {
  return compact({
    TtlNtries: ifDefined(summary.total, (t) => compact({
      NbOfNtries: t.count,
      Sum: t.sum,
      TtlNetNtry: ifDefined(t.net, (n) => ({ Amt: n.amount, CdtDbtInd: n.creditDebit })),
    })),
    TtlCdtNtries: ifDefined(summary.credits, totalsTree),
    TtlDbtNtries: ifDefined(summary.debits, totalsTree),
  });
}

function readEntry(node: XmlElement): Entry {
  const bookingDate = child(node, 'BookgDt');
  const valueDate = child(node, 'ValDt');
  const code = requiredChild(node, 'BkTxCd');
  const domain = child(code, 'Domn');
  const proprietary = child(code, 'Prtry');
  return withoutUndefined({
    reference: textAt(node, 'NtryRef'),
    amount: readAmount(requiredChild(node, 'Amt'))!,
    creditDebit: readCreditDebit(node)!,
    status: readCodeOrProprietary(requiredChild(node, 'Sts'))!,
    bookingDate: readDateOrDateTime(bookingDate),
    valueDate: readDateOrDateTime(valueDate),
    accountServicerReference: textAt(node, 'AcctSvcrRef'),
    bankTransactionCode: withoutUndefined({
      domain: domain && {
        code: requiredText(domain, 'Cd'),
        family: requiredText(domain, 'Fmly', 'Cd'),
        subFamily: requiredText(domain, 'Fmly', 'SubFmlyCd'),
      },
      proprietary: proprietary && withoutUndefined({
        code: requiredText(proprietary, 'Cd'),
        issuer: textAt(proprietary, 'Issr'),
      }),
    }),
    details: children(node, 'NtryDtls').map((details) => ({
      transactions: children(details, 'TxDtls').map(readTransactionDetails),
    })),
  });
}

/** One Ntry element as XML text, exactly as the builder writes it inside a whole report. */
export function entryXml(entry: Entry): string {
  return buildXml({ Ntry: entryTree(entry) });
}

function entryTree(entry: Entry): XmlElement {
  const code = entry.bankTransactionCode;
  return compact({
    NtryRef: entry.reference,
    Amt: amountTree(entry.amount),
    CdtDbtInd: entry.creditDebit,
    Sts: codeOrProprietaryTree(entry.status),
    BookgDt: ifDefined(entry.bookingDate, dateOrDateTimeTree),
    ValDt: ifDefined(entry.valueDate, dateOrDateTimeTree),
    AcctSvcrRef: entry.accountServicerReference,
    BkTxCd: compact({
      Domn: ifDefined(code.domain, (d) => ({ Cd: d.code, Fmly: { Cd: d.family, SubFmlyCd: d.subFamily } })),
      Prtry: ifDefined(code.proprietary, (p) => compact({ Cd: p.code, Issr: p.issuer })),
    }),
    NtryDtls: entry.details.map((d) => compact({ TxDtls: d.transactions.map(transactionDetailsTree) })),
  });
}

function readTransactionDetails(node: XmlElement): TransactionDetails {
  const refs = child(node, 'Refs');
  const parties = child(node, 'RltdPties');
  const debtorAccount = child(parties, 'DbtrAcct');
  const creditorAccount = child(parties, 'CdtrAcct');
  return withoutUndefined({
    references: refs && withoutUndefined({
      messageId: textAt(refs, 'MsgId'),
      accountServicerReference: textAt(refs, 'AcctSvcrRef'),
      instructionId: textAt(refs, 'InstrId'),
      endToEndId: textAt(refs, 'EndToEndId'),
      transactionId: textAt(refs, 'TxId'),
      uetr: textAt(refs, 'UETR'),
    }),
    amount: readAmount(child(node, 'Amt')),
    creditDebit: readCreditDebit(node),
    debtor: readRelatedParty(child(parties, 'Dbtr')),
    debtorAccount: debtorAccount && readAccountId(requiredChild(debtorAccount, 'Id')),
    ultimateDebtor: readRelatedParty(child(parties, 'UltmtDbtr')),
    creditor: readRelatedParty(child(parties, 'Cdtr')),
    creditorAccount: creditorAccount && readAccountId(requiredChild(creditorAccount, 'Id')),
    ultimateCreditor: readRelatedParty(child(parties, 'UltmtCdtr')),
    debtorAgent: readAgent(child(child(node, 'RltdAgts'), 'DbtrAgt')),
    creditorAgent: readAgent(child(child(node, 'RltdAgts'), 'CdtrAgt')),
    remittanceInformation: texts(child(node, 'RmtInf'), 'Ustrd'),
  });
}

function transactionDetailsTree(tx: TransactionDetails): XmlElement {
  const hasParties = tx.debtor !== undefined || tx.debtorAccount !== undefined || tx.ultimateDebtor !== undefined
    || tx.creditor !== undefined || tx.creditorAccount !== undefined || tx.ultimateCreditor !== undefined;
  const hasAgents = tx.debtorAgent !== undefined || tx.creditorAgent !== undefined;
  return compact({
    // TransactionReferences6 order: MsgId, AcctSvcrRef, PmtInfId, InstrId, EndToEndId, UETR, TxId.
    Refs: ifDefined(tx.references, (r) => compact({
      MsgId: r.messageId,
      AcctSvcrRef: r.accountServicerReference,
      InstrId: r.instructionId,
      EndToEndId: r.endToEndId,
      UETR: r.uetr,
      TxId: r.transactionId,
    })),
    Amt: ifDefined(tx.amount, amountTree),
    CdtDbtInd: tx.creditDebit,
    RltdPties: hasParties
      ? compact({
        // TransactionParties6 order: InitgPty, Dbtr, DbtrAcct, UltmtDbtr, Cdtr, CdtrAcct, UltmtCdtr.
        Dbtr: ifDefined(tx.debtor, relatedPartyTree),
        DbtrAcct: ifDefined(tx.debtorAccount, (id) => ({ Id: accountIdTree(id) })),
        UltmtDbtr: ifDefined(tx.ultimateDebtor, relatedPartyTree),
        Cdtr: ifDefined(tx.creditor, relatedPartyTree),
        CdtrAcct: ifDefined(tx.creditorAccount, (id) => ({ Id: accountIdTree(id) })),
        UltmtCdtr: ifDefined(tx.ultimateCreditor, relatedPartyTree),
      })
      : undefined,
    RltdAgts: hasAgents
      ? compact({ DbtrAgt: ifDefined(tx.debtorAgent, agentTree), CdtrAgt: ifDefined(tx.creditorAgent, agentTree) })
      : undefined,
    RmtInf: tx.remittanceInformation.length > 0 ? { Ustrd: [...tx.remittanceInformation] } : undefined,
  });
}

/**
 * One TransactionFacts per entry (Ntry), across all reports of the message, index running over the
 * whole message. Each entry's facts also list the report's account IBAN and servicer BIC (with their
 * report-level paths), since every entry is booked on that account: a consumer reporting per path
 * sees each once. A report without entries yields no facts, so its account IBAN is in none.
 * transactionId is the entry's AcctSvcrRef (else NtryRef); end-to-end id, UETR and
 * agents are taken from the entry's transaction details only when it holds exactly one. No
 * settlementDate: booking and value dates of reported entries are in the past by nature.
 */
export function reportEntryFacts(reports: readonly AccountReportBase[], element: string): TransactionFacts[] {
  const facts: TransactionFacts[] = [];
  reports.forEach((report, r) => {
    const reportPath = `${element}[${r}]`;
    const accountIbans = accountIbansAt(`${reportPath}/Acct/Id`, report.account.id);
    const accountBics = located(`${reportPath}/Acct/Svcr/${AGENT_BIC_PATH}`, report.account.servicer);
    report.entries.forEach((entry, e) => {
      const path = `${reportPath}/Ntry[${e}]`;
      const details = entry.details.flatMap((d, di) =>
        d.transactions.map((tx, ti) => ({ tx, path: `${path}/NtryDtls[${di}]/TxDtls[${ti}]` })));
      const single = details.length === 1 ? details[0]!.tx : undefined;
      facts.push(withoutUndefined({
        index: facts.length,
        path,
        transactionId: entry.accountServicerReference ?? entry.reference,
        endToEndId: single?.references?.endToEndId,
        uetr: single?.references?.uetr,
        amount: entry.amount,
        amountElement: 'Amt',
        debtorAgent: single?.debtorAgent,
        creditorAgent: single?.creditorAgent,
        ibans: [
          ...accountIbans,
          ...details.flatMap(({ tx, path: txPath }) => [
            ...accountIbansAt(`${txPath}/RltdPties/DbtrAcct/Id`, tx.debtorAccount),
            ...accountIbansAt(`${txPath}/RltdPties/CdtrAcct/Id`, tx.creditorAccount),
          ]),
        ],
        bics: [
          ...accountBics,
          ...details.flatMap(({ tx, path: txPath }) => [
            ...located(`${txPath}/RltdAgts/DbtrAgt/${AGENT_BIC_PATH}`, tx.debtorAgent),
            ...located(`${txPath}/RltdAgts/CdtrAgt/${AGENT_BIC_PATH}`, tx.creditorAgent),
            ...relatedPartyBics(`${txPath}/RltdPties/Dbtr`, tx.debtor),
            ...relatedPartyBics(`${txPath}/RltdPties/UltmtDbtr`, tx.ultimateDebtor),
            ...relatedPartyBics(`${txPath}/RltdPties/Cdtr`, tx.creditor),
            ...relatedPartyBics(`${txPath}/RltdPties/UltmtCdtr`, tx.ultimateCreditor),
          ]),
        ],
      }));
    });
  });
  return facts;
}

export function reportGroupFacts(header: ReportGroupHeader): GroupFacts {
  return withoutUndefined({
    messageId: header.messageId,
    creationDateTime: header.creationDateTime,
    instructedAgent: header.recipient?.anyBic,
  });
}
