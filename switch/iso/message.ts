/**
 * What every ISO message version module exports. One folder per version under
 * switch/iso/messages/<id>/ (e.g. pacs.008.001.08): its typed model, parse, build and rules.
 * A new version is a new folder plus one line in registry.ts.
 */
import type { Finding } from './finding.ts';
import type { XmlElement } from './xml.ts';

export interface MessageModule<M> {
  /** e.g. 'pacs.008.001.08' */
  readonly id: string;
  /** urn:iso:std:iso:20022:tech:xsd:<id> */
  readonly namespace: string;
  /** The message element under <Document>, e.g. 'FIToFICstmrCdtTrf'. */
  readonly rootElement: string;
  /** Local names of elements with maxOccurs > 1 in this version: always parsed as arrays. */
  readonly repeatingElements: ReadonlySet<string>;
  /**
   * The repeating child of rootElement that carries one transaction (e.g. 'CdtTrfTxInf'), if any.
   * Large files are validated and parsed in windows of these.
   */
  readonly transactionElement?: string;
  /** From the parsed <rootElement> node (the content under Document) to the typed model. */
  parse(root: XmlElement): M;
  /** From the typed model to the <rootElement> element tree, children in XSD order. */
  buildTree(message: M): XmlElement;
  /** The facts the generic rules in switch/validation/rules.ts check (sums, counts, ids, BICs, IBANs). */
  facts(message: M): MessageFacts;
  /**
   * Where the facts stand in the XML, for streaming extraction of bulk files without an object tree
   * (switch/validation/facts.ts). Must give exactly what facts(parse(...)) gives; a test holds them equal.
   * Without it, validation parses the message with fast-xml-parser and calls facts().
   */
  readonly factSpec?: FactSpec;
  /** Rules particular to this message version beyond the generic ones (may be absent). */
  rules?(message: M, context: RuleContext): Finding[];
}

export interface RuleContext {
  /** Today's business date in the scheme calendar (YYYY-MM-DD), injected for tests. */
  readonly businessDate?: string;
  /** Element path prefix of the message root, e.g. /Document/FIToFICstmrCdtTrf. */
  readonly rootPath: string;
}

/** An amount as it stands in the message: currency and decimal text, not yet converted. */
export interface AmountText {
  readonly currency: string;
  readonly value: string;
}

/** A value found in a message with the element path where it stands (relative to the root element). */
export interface Located {
  readonly path: string;
  readonly value: string;
}

/**
 * The facts the generic scheme rules need from any message, extracted by the version module so that
 * group-header and transaction rules are written once (switch/validation/rules.ts).
 * Paths are relative to the message root element, e.g. 'GrpHdr/NbOfTxs' or 'CdtTrfTxInf[3]/PmtId/TxId'.
 */
export interface MessageFacts {
  readonly group: GroupFacts;
  readonly transactions: readonly TransactionFacts[];
}

export interface GroupFacts {
  readonly messageId: string;
  readonly creationDateTime?: string;
  readonly numberOfTransactions?: string;
  readonly controlSum?: string;
  /** TtlIntrBkSttlmAmt, TtlRtrdIntrBkSttlmAmt or similar. */
  readonly totalAmount?: AmountText;
  readonly settlementDate?: string;
  readonly settlementMethod?: string;
  /** BICFI of GrpHdr/InstgAgt (or the message's sender agent where the message has one). */
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  /**
   * Further group-level BICs the message binds to its sender, with their paths (e.g. acmt.023
   * Assgnmt/FrstAgt: the payer's bank where a verification started is the bank that sends it).
   */
  readonly senderParties?: readonly Located[];
}

export interface TransactionFacts {
  /** Zero-based position among the message's transactions. */
  readonly index: number;
  /** Path of the transaction element relative to the root, e.g. 'CdtTrfTxInf[0]'. */
  readonly path: string;
  /** The id duplicates are judged by: TxId, RtrId, CxlId, ... */
  readonly transactionId?: string;
  readonly endToEndId?: string;
  readonly uetr?: string;
  readonly amount?: AmountText;
  /** Where `amount` stands, relative to the transaction (default 'IntrBkSttlmAmt'). */
  readonly amountElement?: string;
  readonly settlementDate?: string;
  readonly instructingAgent?: string;
  readonly instructedAgent?: string;
  readonly debtorAgent?: string;
  /** PmtTpInf/LclInstrm/Cd of the transaction: INST marks a real-time (instant) payment. */
  readonly localInstrument?: string;
  readonly creditorAgent?: string;
  /** Every IBAN in the transaction, for check-digit validation. */
  readonly ibans: readonly Located[];
  /** Every BICFI in the transaction. */
  readonly bics: readonly Located[];
  /**
   * The first value of each asked-for extra leaf (ValidateOptions.extraLeaves: paths relative to the
   * transaction element), read in the same walk as the facts; absent when none were asked for.
   */
  readonly leaves?: ReadonlyMap<string, string>;
}

export interface FactsProvider<M> {
  facts(message: M): MessageFacts;
}

/**
 * Where a message version keeps its facts. Paths are local names joined by '/', relative to the
 * message root (group) or to the transaction element (transaction). Amount fields read the Ccy
 * attribute too.
 */
export interface FactSpec {
  readonly group: { readonly [K in keyof GroupFacts]?: string };
  readonly transaction: {
    readonly [K in 'transactionId' | 'endToEndId' | 'uetr' | 'amount' | 'settlementDate' | 'instructingAgent' |
      'instructedAgent' | 'debtorAgent' | 'creditorAgent' | 'localInstrument']?: string
  };
  /** Local names collected anywhere inside a transaction as IBANs and BICs. */
  readonly ibanElement: 'IBAN';
  readonly bicElement: 'BICFI';
  /**
   * Paths relative to the transaction element (e.g. 'OrgnlTxRef/MndtRltdInf') under which IBANs and
   * BICs are NOT collected: the parts of the transaction the module's model does not read, so that
   * the streaming facts stay equal to module.facts().
   */
  readonly excludeUnder?: readonly string[];
}
