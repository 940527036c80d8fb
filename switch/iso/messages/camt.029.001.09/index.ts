/**
 * camt.029.001.09 RsltnOfInvstgtn: the creditor agent's answer to a recall (camt.056). Sts/Conf says
 * how the case ended (CNCL cancelled, RJCR rejected, PDCR pending); CxlDtls/TxInfAndSts gives the
 * answer per payment. An accepted recall is followed by a pacs.004 return, whose references and
 * returned amount can be given in RsltnRltdInf.
 *
 * transactionElement is CxlDtls, the repeating child of the root (XSD windows cut between them); the
 * transactions are CxlDtls/TxInfAndSts, listed in facts() as 'CxlDtls[i]/TxInfAndSts[j]' with an index
 * running over the whole message (one per CxlDtls when each holds one TxInfAndSts).
 */
import type { MessageFacts, MessageModule, TransactionFacts } from '../../message.ts';
import { child, children, compact, textAt, type XmlElement } from '../../xml.ts';
import {
  amountTree, caseAssignmentBics, caseAssignmentTree, caseBics, caseTree, documentCodec, ifDefined, MessageShapeError,
  namespaceOf, originalGroupTree, readAmount, readCase, readCaseAssignment, readOriginalGroup,
  readReasonInformation, reasonInformationTree, requiredChild, requiredText, withoutUndefined,
  type Amount, type Case, type CaseAssignment, type OriginalGroupInformation, type ReasonInformation,
} from '../camt-common.ts';

export type { Amount, Case, CaseAssignment, OriginalGroupInformation, ReasonInformation };

/** ExternalInvestigationExecutionConfirmation1Code values the scheme uses in Sts/Conf. */
export const confirmationCodes = {
  /** Cancelled as requested: a pacs.004 return follows. */
  CNCL: 'CNCL',
  /** Cancellation request rejected (reason in CxlStsRsnInf). */
  RJCR: 'RJCR',
  /** Cancellation pending. */
  PDCR: 'PDCR',
} as const;

/** CancellationIndividualStatus1Code (a closed XSD enumeration). */
export type TransactionCancellationStatus = 'ACCR' | 'RJCR' | 'PDCR';

export interface Camt029 {
  readonly assignment: CaseAssignment;
  readonly resolvedCase?: Case;
  /** Sts/Conf (the scheme uses only the Conf branch of the status choice). */
  readonly status: string;
  readonly cancellationDetails: readonly CancellationDetails[];
}

/** One CxlDtls: the scheme uses its TxInfAndSts list only. */
export interface CancellationDetails {
  readonly transactions: readonly CancellationStatus[];
}

/** PaymentTransaction102 subset: the answer for one payment. */
export interface CancellationStatus {
  readonly cancellationStatusId?: string;
  readonly resolvedCase?: Case;
  readonly originalGroup?: OriginalGroupInformation;
  readonly originalInstructionId?: string;
  readonly originalEndToEndId?: string;
  readonly originalTransactionId?: string;
  readonly originalUetr?: string;
  readonly status?: TransactionCancellationStatus;
  readonly reasons: readonly ReasonInformation[];
  /** RsltnRltdInf: the return that settles the case (camt.029.001.09 has no RtrdIntrBkSttlmAmt). */
  readonly resolution?: Resolution;
  readonly originalInterbankSettlementAmount?: Amount;
  readonly originalInterbankSettlementDate?: string;
}

/** ResolutionData1 subset: the identifiers and amount of the pacs.004 that returns the funds. */
export interface Resolution {
  readonly endToEndId?: string;
  readonly transactionId?: string;
  readonly uetr?: string;
  /** The returned interbank settlement amount. */
  readonly interbankSettlementAmount?: Amount;
  readonly interbankSettlementDate?: string;
}

const ID = 'camt.029.001.09';

function parse(root: XmlElement): Camt029 {
  return withoutUndefined({
    assignment: readCaseAssignment(requiredChild(root, 'Assgnmt')),
    resolvedCase: readCase(child(root, 'RslvdCase')),
    status: requiredText(root, 'Sts', 'Conf'),
    cancellationDetails: children(root, 'CxlDtls').map((d) => ({
      transactions: children(d, 'TxInfAndSts').map(parseTransaction),
    })),
  });
}

function parseTransaction(node: XmlElement): CancellationStatus {
  const resolution = child(node, 'RsltnRltdInf');
  return withoutUndefined({
    cancellationStatusId: textAt(node, 'CxlStsId'),
    resolvedCase: readCase(child(node, 'RslvdCase')),
    originalGroup: readOriginalGroup(child(node, 'OrgnlGrpInf')),
    originalInstructionId: textAt(node, 'OrgnlInstrId'),
    originalEndToEndId: textAt(node, 'OrgnlEndToEndId'),
    originalTransactionId: textAt(node, 'OrgnlTxId'),
    originalUetr: textAt(node, 'OrgnlUETR'),
    status: readStatus(textAt(node, 'TxCxlSts')),
    reasons: children(node, 'CxlStsRsnInf').map(readReasonInformation),
    resolution: resolution && withoutUndefined({
      endToEndId: textAt(resolution, 'EndToEndId'),
      transactionId: textAt(resolution, 'TxId'),
      uetr: textAt(resolution, 'UETR'),
      interbankSettlementAmount: readAmount(child(resolution, 'IntrBkSttlmAmt')),
      interbankSettlementDate: textAt(resolution, 'IntrBkSttlmDt'),
    }),
    originalInterbankSettlementAmount: readAmount(child(node, 'OrgnlIntrBkSttlmAmt')),
    originalInterbankSettlementDate: textAt(node, 'OrgnlIntrBkSttlmDt'),
  });
}

function readStatus(value: string | undefined): TransactionCancellationStatus | undefined {
  if (value === undefined || value === 'ACCR' || value === 'RJCR' || value === 'PDCR') return value;
  throw new MessageShapeError(`TxCxlSts ${value} is not ACCR, RJCR or PDCR`);
}

function buildTree(message: Camt029): XmlElement {
  return compact({
    Assgnmt: caseAssignmentTree(message.assignment),
    RslvdCase: ifDefined(message.resolvedCase, caseTree),
    Sts: { Conf: message.status },
    CxlDtls: message.cancellationDetails.map((d) => compact({ TxInfAndSts: d.transactions.map(transactionTree) })),
  });
}

function transactionTree(tx: CancellationStatus): XmlElement {
  return compact({
    CxlStsId: tx.cancellationStatusId,
    RslvdCase: ifDefined(tx.resolvedCase, caseTree),
    OrgnlGrpInf: ifDefined(tx.originalGroup, originalGroupTree),
    OrgnlInstrId: tx.originalInstructionId,
    OrgnlEndToEndId: tx.originalEndToEndId,
    OrgnlTxId: tx.originalTransactionId,
    OrgnlUETR: tx.originalUetr,
    TxCxlSts: tx.status,
    CxlStsRsnInf: tx.reasons.map(reasonInformationTree),
    RsltnRltdInf: ifDefined(tx.resolution, (r) => compact({
      EndToEndId: r.endToEndId,
      TxId: r.transactionId,
      UETR: r.uetr,
      IntrBkSttlmAmt: ifDefined(r.interbankSettlementAmount, amountTree),
      IntrBkSttlmDt: r.interbankSettlementDate,
    })),
    OrgnlIntrBkSttlmAmt: ifDefined(tx.originalInterbankSettlementAmount, amountTree),
    OrgnlIntrBkSttlmDt: tx.originalInterbankSettlementDate,
  });
}

/**
 * Group: the assignment (Id, CreDtTm, assigner = instructing agent, assignee = instructed agent).
 * Transactions: one per TxInfAndSts; transactionId is CxlStsId; amount is the original payment's (no
 * settlementDate: the original one lies in the past by nature). The assignment and resolved-case BICs
 * are repeated in every transaction's bics.
 */
function facts(message: Camt029): MessageFacts {
  const { assignment } = message;
  const messageBics = [...caseAssignmentBics(assignment), ...caseBics('RslvdCase', message.resolvedCase)];
  const transactions: TransactionFacts[] = [];
  message.cancellationDetails.forEach((details, d) => {
    details.transactions.forEach((tx, t) => {
      const path = `CxlDtls[${d}]/TxInfAndSts[${t}]`;
      transactions.push(withoutUndefined({
        index: transactions.length,
        path,
        transactionId: tx.cancellationStatusId,
        endToEndId: tx.originalEndToEndId,
        uetr: tx.originalUetr,
        amount: tx.originalInterbankSettlementAmount,
        amountElement: tx.originalInterbankSettlementAmount && 'OrgnlIntrBkSttlmAmt',
        instructingAgent: assignment.assigner,
        instructedAgent: assignment.assignee,
        ibans: [],
        bics: [...messageBics, ...caseBics(`${path}/RslvdCase`, tx.resolvedCase)],
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

export const module: MessageModule<Camt029> = {
  id: ID,
  namespace: namespaceOf(ID),
  rootElement: 'RsltnOfInvstgtn',
  // Every element with maxOccurs > 1 in the official camt.029.001.09 schema.
  repeatingElements: new Set([
    'AddtlInf', 'AddtlRmtInf', 'AdjstmntAmtAndRsn', 'AdrLine', 'Chrgs', 'CxlDtls', 'CxlStsRsnInf',
    'DscntApldAmt', 'Dtls', 'Id', 'LineDtls', 'ModStsRsnInf', 'NbOfTxsPerCxlSts', 'OrgnlPmtInfAndSts', 'Othr',
    'Rcrd', 'RfrdDocInf', 'RjctdMod', 'SplmtryData', 'Strd', 'SvcLvl', 'TaxAmt', 'TxInfAndSts', 'Ustrd',
  ]),
  transactionElement: 'CxlDtls',
  parse,
  buildTree,
  facts,
};

const codec = documentCodec(module);

export function build(message: Camt029): string {
  return codec.build(message);
}

export function parseXml(xml: string): Camt029 {
  return codec.parseXml(xml);
}
