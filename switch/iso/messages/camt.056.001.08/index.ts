/**
 * camt.056.001.08 FIToFIPmtCxlReq: a participant asks to cancel (recall) payments it sent. The switch
 * opens a case and forwards the request to the creditor agent, which answers with camt.029.
 *
 * transactionElement is Undrlyg, the repeating child of the root: XSD windows cut between Undrlyg
 * elements. The transactions are the Undrlyg/TxInf elements inside them; facts() lists one per TxInf
 * with its path 'Undrlyg[i]/TxInf[j]' and an index running over the whole message. Facts and
 * transactionElement occurrences coincide only when each Undrlyg holds one TxInf, which is what the
 * validation pipeline's windowing (index and path re-basing per window) assumes.
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { child, children, compact, textAt, type XmlElement } from '../../xml.ts';
import {
  amountTree, caseAssignmentBics, caseAssignmentTree, caseBics, caseTree, documentCodec, ifDefined, namespaceOf,
  originalGroupTree, readAmount, readCase, readCaseAssignment, readOriginalGroup, readReasonInformation,
  reasonInformationTree, requiredChild, withoutUndefined,
  type Amount, type Case, type CaseAssignment, type OriginalGroupInformation, type ReasonInformation,
} from '../camt-common.ts';

export type { Amount, Case, CaseAssignment, OriginalGroupInformation, ReasonInformation };

/** ExternalCancellationReason1Code values the scheme uses in CxlRsnInf/Rsn/Cd. */
export const cancellationReasonCodes = {
  /** Duplicate payment. */
  DUPL: 'DUPL',
  /** Fraudulent origin. */
  FRAD: 'FRAD',
  /** Technical problem (e.g. sent in error by a system). */
  TECH: 'TECH',
  /** Requested by the customer. */
  CUST: 'CUST',
  /** Invalid creditor account number. */
  AC03: 'AC03',
  /** Wrong amount. */
  AM09: 'AM09',
} as const;

export interface Camt056 {
  readonly assignment: CaseAssignment;
  readonly case?: Case;
  readonly underlying: readonly UnderlyingTransactions[];
}

/** One Undrlyg: the scheme uses its TxInf list only (no group or payment-information cancellation). */
export interface UnderlyingTransactions {
  readonly transactions: readonly CancellationRequest[];
}

/** PaymentTransaction106 subset: one payment to cancel. */
export interface CancellationRequest {
  readonly cancellationId?: string;
  readonly case?: Case;
  readonly originalGroup?: OriginalGroupInformation;
  readonly originalInstructionId?: string;
  readonly originalEndToEndId?: string;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
  readonly originalInterbankSettlementAmount?: Amount;
  readonly originalInterbankSettlementDate?: string;
  readonly reasons: readonly ReasonInformation[];
}

const ID = 'camt.056.001.08';

function parse(root: XmlElement): Camt056 {
  return withoutUndefined({
    assignment: readCaseAssignment(requiredChild(root, 'Assgnmt')),
    case: readCase(child(root, 'Case')),
    underlying: children(root, 'Undrlyg').map((u) => ({ transactions: children(u, 'TxInf').map(parseTransaction) })),
  });
}

function parseTransaction(node: XmlElement): CancellationRequest {
  return withoutUndefined({
    cancellationId: textAt(node, 'CxlId'),
    case: readCase(child(node, 'Case')),
    originalGroup: readOriginalGroup(child(node, 'OrgnlGrpInf')),
    originalInstructionId: textAt(node, 'OrgnlInstrId'),
    originalEndToEndId: textAt(node, 'OrgnlEndToEndId'),
    originalTransactionId: textAt(node, 'OrgnlTxId'),
    originalUetr: textAt(node, 'OrgnlUETR'),
    originalInterbankSettlementAmount: readAmount(child(node, 'OrgnlIntrBkSttlmAmt')),
    originalInterbankSettlementDate: textAt(node, 'OrgnlIntrBkSttlmDt'),
    reasons: children(node, 'CxlRsnInf').map(readReasonInformation),
  });
}

function buildTree(message: Camt056): XmlElement {
  return compact({
    Assgnmt: caseAssignmentTree(message.assignment),
    Case: ifDefined(message.case, caseTree),
    Undrlyg: message.underlying.map((u) => compact({ TxInf: u.transactions.map(transactionTree) })),
  });
}

function transactionTree(tx: CancellationRequest): XmlElement {
  return compact({
    CxlId: tx.cancellationId,
    Case: ifDefined(tx.case, caseTree),
    OrgnlGrpInf: ifDefined(tx.originalGroup, originalGroupTree),
    OrgnlInstrId: tx.originalInstructionId,
    OrgnlEndToEndId: tx.originalEndToEndId,
    OrgnlTxId: tx.originalTransactionId,
    OrgnlUETR: tx.originalUetr,
    OrgnlIntrBkSttlmAmt: ifDefined(tx.originalInterbankSettlementAmount, amountTree),
    OrgnlIntrBkSttlmDt: tx.originalInterbankSettlementDate,
    CxlRsnInf: tx.reasons.map(reasonInformationTree),
  });
}

/**
 * Group: the assignment (Id, CreDtTm, assigner = instructing agent, assignee = instructed agent).
 * Transactions: one per TxInf; transactionId is CxlId; amount is the original payment's. No
 * settlementDate: the original settlement date lies in the past by nature and is not this message's.
 * The assignment and message-level case BICs are repeated in every transaction's bics.
 */
function facts(message: Camt056): MessageFacts {
  const { assignment } = message;
  const messageBics = [...caseAssignmentBics(assignment), ...caseBics('Case', message.case)];
  const transactions: TransactionFacts[] = [];
  message.underlying.forEach((underlying, u) => {
    underlying.transactions.forEach((tx, t) => {
      const path = `Undrlyg[${u}]/TxInf[${t}]`;
      transactions.push(withoutUndefined({
        index: transactions.length,
        path,
        transactionId: tx.cancellationId,
        endToEndId: tx.originalEndToEndId,
        uetr: tx.originalUetr,
        amount: tx.originalInterbankSettlementAmount,
        amountElement: tx.originalInterbankSettlementAmount && 'OrgnlIntrBkSttlmAmt',
        instructingAgent: assignment.assigner,
        instructedAgent: assignment.assignee,
        ibans: [],
        bics: [...messageBics, ...caseBics(`${path}/Case`, tx.case)],
      }));
    });
  });
  return {
    group: {
      messageId: assignment.id,
      creationDateTime: assignment.creationDateTime,
      instructingAgent: assignment.assigner,
      instructedAgent: assignment.assignee,
    },
    transactions,
  };
}

export const module: MessageModule<Camt056> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'FIToFIPmtCxlReq',
  // Every element with maxOccurs > 1 in the official camt.056.001.08 schema.
  repeatingElements: new Set([
    'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'CxlRsnInf', 'DscntApldAmt', 'Dtls', 'Id',
    'LineDtls', 'Othr', 'Rcrd', 'RfrdDocInf', 'SplmtryData', 'Strd', 'SvcLvl', 'TaxAmt', 'TxInf', 'Undrlyg',
    'Ustrd',
  ]),
  transactionElement: 'Undrlyg',
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt056): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt056 {
  return codec.parseXml(xml);
}
