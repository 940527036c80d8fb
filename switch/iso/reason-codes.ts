/**
 * ISO 20022 ExternalStatusReason1Code: the reason codes the switch puts in findings and pacs.002.
 *
 * The code list is reference data in schemas/codes/ExternalStatusReason1Code.json (its `source` says
 * which ISO release it was read from). It is read once, when this module loads.
 * Every code the switch emits is named once, in REASON below; a code outside the list is a bug.
 */
import { readFileSync } from 'node:fs';

/** A four-character ISO ExternalStatusReason1Code, e.g. 'FF01'. */
export type ReasonCode = string;

export interface ReasonCodeEntry {
  readonly code: ReasonCode;
  /**
   * The ISO code name, e.g. 'InvalidFileFormat'. Null for the few codes whose name in the release
   * was not available (listed in the JSON's `namesUnavailable`); never for a code in REASON.
   */
  readonly name: string | null;
  /** The ISO definition. */
  readonly definition: string;
}

interface CodeSetFile {
  readonly codeSet: string;
  readonly source: string;
  readonly namesUnavailable: readonly string[];
  readonly codes: readonly ReasonCodeEntry[];
}

const codeSetFile = JSON.parse(
  readFileSync(new URL('../../schemas/codes/ExternalStatusReason1Code.json', import.meta.url), 'utf8'),
) as CodeSetFile;

/** Where the code list was read from (ISO release and copy). */
export const reasonCodeSource: string = codeSetFile.source;

/** Every code of the set, sorted by code. */
export const reasonCodes: readonly ReasonCodeEntry[] = Object.freeze(
  codeSetFile.codes.map((entry) => Object.freeze({ code: entry.code, name: entry.name, definition: entry.definition })),
);

const byCode = new Map<string, ReasonCodeEntry>(reasonCodes.map((entry) => [entry.code, entry]));

/** The list entry of `code`, or undefined when it is not an ExternalStatusReason1Code. */
export function reasonCode(code: string): ReasonCodeEntry | undefined {
  return byCode.get(code);
}

export function isReasonCode(code: string): boolean {
  return byCode.has(code);
}

/**
 * `code` itself when it is in the list. Throws otherwise: the switch only emits codes it names, so an
 * unknown code here is a bug in the switch, never a problem with the input.
 */
export function assertReasonCode(code: string): ReasonCode {
  if (!byCode.has(code)) {
    throw new Error(`assertReasonCode: ${JSON.stringify(code)} is not an ISO ExternalStatusReason1Code (bug in the caller)`);
  }
  return code;
}

/**
 * The reason codes the switch uses, one key per situation, each chosen by its ISO definition.
 * Several situations can share a code; the finding's message says which one it was.
 */
export const REASON = {
  // File and XML syntax (switch/validation/scan.ts, XSD validation).
  /** File larger than limits.fileSizeBytesMax. FF01 InvalidFileFormat. */
  fileTooLarge: 'FF01',
  /** XML not well-formed (unterminated tag, mismatched end tag, text outside the root...). FF02 SyntaxError. */
  notWellFormed: 'FF02',
  /** Bytes are not valid UTF-8, or an encoding other than UTF-8 is declared. FF02 SyntaxError. */
  notUtf8: 'FF02',
  /** DOCTYPE or markup declaration present: legal XML, refused by the scheme's file format. FF01 InvalidFileFormat. */
  dtdRefused: 'FF01',
  /**
   * Legal XML outside the scheme's lexical profile (docs/validation.md#the-lexical-profile): CDATA, a
   * processing instruction, a comment touching a value, whitespace around a value, a prefixed
   * attribute, a namespace other than the message's inside the Document... FF01 InvalidFileFormat.
   */
  outsideLexicalProfile: 'FF01',
  /** Entity reference other than the five predefined ones: undeclared, so an XML syntax error. FF02 SyntaxError. */
  entityRefused: 'FF02',
  /** Element nesting deeper than limits.nestingDepthMax. FF01 InvalidFileFormat. */
  nestingTooDeep: 'FF01',
  /** Document fails XSD validation for its message version. FF01 InvalidFileFormat. */
  schemaInvalid: 'FF01',
  /** Not a Document (or AppHdr + Document) in a message version the switch supports. FF01 InvalidFileFormat. */
  unsupportedMessage: 'FF01',
  /** Business application header disagrees with the document (message definition, message id). FF01 InvalidFileFormat. */
  headerMismatch: 'FF01',
  /** An element the scheme requires but the XSD leaves optional is absent. CH21 RequiredCompulsoryElementMissing. */
  requiredElementMissing: 'CH21',
  /** An element the XSD allows but the scheme forbids is present. CH17 ElementNotAdmitted. */
  elementNotAllowed: 'CH17',
  /** An element's value is not one the scheme gives it a meaning for, or contradicts another (a payee
   * verification result other than MTCH/CMTC/NMTC/NOAP, Vrfctn true without MTCH). CH16 ElementContentFormallyIncorrect. */
  contentIncorrect: 'CH16',

  // Sender and participants.
  /**
   * A party the message binds to its sender (BAH From, an instructing agent at any level, a payment's
   * debtor agent, a case's assigner or creator) is not the authenticated participant: a participant acts
   * only for itself (docs/scheme-rules.md). AG08 InvalidAccessRights.
   */
  senderMismatch: 'AG08',
  /** Participant is not enrolled for this kind of transaction. AG03 TransactionNotSupported. */
  serviceNotAuthorized: 'AG03',
  /** Instructing participant is suspended from the scheme. AG10 AgentSuspended. */
  participantSuspended: 'AG10',
  /** Creditor agent is suspended from the scheme. AG11 CreditorAgentSuspended. */
  creditorAgentSuspended: 'AG11',
  /** An agent's BIC is not a participant of the scheme, side not known. RC02 InvalidBankIdentifier (its generic usage). */
  unknownParticipant: 'RC02',
  /** Creditor agent BIC is not a participant in the scheme directory. CNOR CreditorBankIsNotRegistered. */
  creditorAgentNotRegistered: 'CNOR',
  /** Debtor agent BIC is not a participant in the scheme directory. DNOR DebtorBankIsNotRegistered. */
  debtorAgentNotRegistered: 'DNOR',
  /** Creditor agent identification missing or unusable (e.g. the switch's or the settlement agent's BIC). RC04 InvalidCreditorBankIdentifier. */
  creditorAgentInvalid: 'RC04',
  /** Debtor agent identification missing or unusable (e.g. the switch's or the settlement agent's BIC). RC03 InvalidDebtorBankIdentifier. */
  debtorAgentInvalid: 'RC03',
  /** A debtor or creditor agent not configured for the payment's currency. AM03 NotAllowedCurrency. */
  agentCurrencyNotAllowed: 'AM03',

  // Group header: counts, sums, dates.
  /** GrpHdr/NbOfTxs differs from the transactions in the message. AM19 InvalidGroupNumberOfTransactions. */
  numberOfTransactionsMismatch: 'AM19',
  /** More transactions than limits.transactionsPerMessageMax. AM19 InvalidGroupNumberOfTransactions. */
  tooManyTransactions: 'AM19',
  /** GrpHdr/CtrlSum differs from the sum of the transaction amounts. AM16 InvalidGroupControlSum. */
  controlSumMismatch: 'AM16',
  /** GrpHdr/TtlIntrBkSttlmAmt differs from the sum (or currency) of the transactions. AM09 WrongAmount. */
  totalAmountMismatch: 'AM09',
  /** Transactions of one message in different currencies: a message settles in one. CURR IncorrectCurrency. */
  mixedCurrencies: 'CURR',
  /** Real-time (LclInstrm INST) and batch transactions in one message: a message takes one service. FF05 InvalidLocalInstrumentCode. */
  mixedServices: 'FF05',
  /** The sum of a message's amounts exceeds limits.amounts.messageMinorMax. AM02 NotAllowedAmount. */
  messageAmountOverMaximum: 'AM02',
  /** A date that is not a calendar date. DT01 InvalidDate. */
  invalidDate: 'DT01',
  /** A camt.060 asking for the camt.053 of a business day not closed yet (today, a later day, or one whose
   * cycles have not all settled): no statement exists until the close. DT01 InvalidDate. */
  statementDayNotClosed: 'DT01',
  /** A camt.060 asking for the camt.053 of a day the switch has no statement of (no cycle ran that day,
   * or the account did not exist then). TD01 NoDataAvailable. */
  statementNotAvailable: 'TD01',
  /** Settlement date before the current business date. DT05 InvalidCutOffDate ("date in the past"). */
  settlementDatePast: 'DT05',
  /** Received after the cut-off time of its settlement date. TM01 InvalidCutOffTime. */
  afterCutOffTime: 'TM01',
  /** Settlement date is a weekend or scheme holiday. DT03 InvalidNonProcessingDate. */
  settlementDateNotBusinessDay: 'DT03',
  /** Settlement date later than the scheme accepts. DT04 FutureDateNotSupported. */
  settlementDateTooFarAhead: 'DT04',

  // Transactions: amounts, currencies, identifiers.
  /** Amount zero (or below). AM01 ZeroAmount. */
  zeroAmount: 'AM01',
  /** Amount text is not an ISO decimal amount. AM12 InvalidAmount. */
  amountInvalid: 'AM12',
  /** Currency is not an active ISO 4217 currency. AM11 InvalidTransactionCurrency. */
  currencyInvalid: 'AM11',
  /** Valid currency that the scheme does not settle. AM03 NotAllowedCurrency. */
  currencyNotAllowed: 'AM03',
  /** More decimals than the currency's minor unit. CH20 DecimalPointsNotCompatibleWithCurrency. */
  decimalsInvalid: 'CH20',
  /** Amount above the scheme's per-payment maximum (the switch is the clearing system). AM13 AmountExceedsClearingSystemLimit. */
  amountOverMaximum: 'AM13',
  /**
   * The sender's batch debits in the open cycle would exceed limits.amounts.participantCycleBatchDebitsMinorMax.
   * AM13 AmountExceedsClearingSystemLimit.
   */
  cycleDebitsOverLimit: 'AM13',
  /** Amount above the limit agreed with the sending participant. AM14 AmountExceedsAgreedLimit. */
  amountOverAgreedLimit: 'AM14',
  /** Sender's prefunded position does not cover the amount. AM04 InsufficientFunds. */
  insufficientFunds: 'AM04',
  /** Settlement would take the sender past its net debit cap (no headroom). AM23 AmountExceedsSettlementLimit. */
  settlementLimitExceeded: 'AM23',
  /** TxId or UETR repeated inside one message. AM05 Duplication. */
  duplicate: 'AM05',
  /** MsgId already received from this sender. DU01 DuplicateMessageID. */
  duplicateMessage: 'DU01',
  /** Payment (UETR) already received or settled in an earlier message. DUPL DuplicatePayment. */
  duplicatePayment: 'DUPL',
  /** BIC does not have the BIC format. RC01 BankIdentifierIncorrect. */
  invalidBic: 'RC01',
  /** IBAN fails its check digits or country format. AC01 IncorrectAccountNumber. */
  invalidIban: 'AC01',

  // Signatures on the file or header.
  /** Signature required but absent. DS0A DataSignRequested. */
  signatureMissing: 'DS0A',
  /** Signature malformed or in an unsupported format or algorithm. DS0B UnknownDataSignFormat. */
  signatureFormatInvalid: 'DS0B',
  /** Signature does not verify over the signed content. DS17 DifferentOrderDataInSignatures. */
  signatureDoesNotMatch: 'DS17',
  /** Signer certificate revoked. DS0C SignerCertificateRevoked. */
  signerCertificateRevoked: 'DS0C',
  /** Signer certificate expired or not yet valid. DS0D SignerCertificateNotValid. */
  signerCertificateNotValid: 'DS0D',
  /** Signer certificate not present. DS0E IncorrectSignerCertificate. */
  signerCertificateMissing: 'DS0E',
  /** Signer certificate issued by an unknown certification authority. DS0F SignerCertificationAuthoritySignerNotValid. */
  signerCertificateAuthorityUnknown: 'DS0F',
  /** Signer not allowed to sign this message type. DS0G NotAllowedPayment. */
  signerNotAllowedForMessageType: 'DS0G',
  /** Signer not allowed to sign for this participant's account. DS0H NotAllowedAccount. */
  signerNotAllowedForAccount: 'DS0H',
  /** More transactions than this signer may sign. DS0K NotAllowedNumberOfTransaction. */
  signerTransactionCountExceeded: 'DS0K',
  /** Signer unknown to the switch. DS14 UserDoesNotExist. */
  signerUnknown: 'DS14',

  // Processing, forwarding and settlement.
  /** Creditor agent did not answer in time. AB05 TimeoutCreditorAgent. */
  creditorAgentTimeout: 'AB05',
  /** Instructed agent did not answer in time. AB06 TimeoutInstructedAgent. */
  instructedAgentTimeout: 'AB06',
  /** Creditor agent is not connected. AB08 OfflineCreditorAgent. */
  creditorAgentOffline: 'AB08',
  /** Creditor agent returned an error. AB09 ErrorCreditorAgent. */
  creditorAgentError: 'AB09',
  /** Settlement of the transaction failed. ED05 SettlementFailed. */
  settlementFailed: 'ED05',
  /** Settlement system not available (closed or down). ED06 SettlementSystemNotAvailable. */
  settlementSystemNotAvailable: 'ED06',
  /** Stopped by sanctions or other regulatory screening. RR04 RegulatoryReason. */
  regulatoryReason: 'RR04',
  /** The switch could not process the file or transaction (internal error). FF10 BankSystemProcessingError. */
  processingError: 'FF10',
  // The risk stage (docs/risk.md).
  /** A payment over the risk stage's per-transaction limit for its account type and risk level. AM02 NotAllowedAmount. */
  riskTransactionLimit: 'AM02',
  /** A payment that would take an account or participant past its daily risk limit (amount or count). AM14 AmountExceedsAgreedLimit. */
  riskDailyLimit: 'AM14',
  /** Debtor or creditor account (or its participant) frozen by an operator. AC06 BlockedAccount. */
  accountFrozen: 'AC06',
  /** A payment the risk score rejected as likely fraud. FRAD FraudulentOrigin. */
  riskScoreReject: 'FRAD',
  /** A held real-time payment not decided within the scheme timeout. AB01 AbortedClearingTimeout. */
  heldTimeout: 'AB01',
  /** What the sender of a payment stopped by screening is told, whatever the real reason (tipping-off,
   * docs/scheme-rules.md "Risk reason codes"): the hit is recorded only internally. MS03 NotSpecifiedReasonAgentGenerated. */
  screeningNeutral: 'MS03',
  /** Reason only in the narrative (AddtlInf). NARR Narrative. */
  narrative: 'NARR',

  // Exceptions: returns, recalls, status requests.
  /** The payment a return, recall or status request refers to is not known to the switch. AG09 PaymentNotReceived. */
  originalNotFound: 'AG09',
  /** The original payment cannot be returned in its current state (not settled or committed). FF12 OriginalTransactionNotEligibleForRequestedReturn. */
  returnNotEligible: 'FF12',
  /** A return larger than what is left of the original payment. AM09 WrongAmount. */
  returnAmountTooLarge: 'AM09',
  /** A downstream agent rejected without giving a reason. MS03 NotSpecifiedReasonAgentGenerated. */
  reasonNotSpecified: 'MS03',
} as const satisfies Record<string, ReasonCode>;

export type ReasonKey = keyof typeof REASON;

for (const code of Object.values(REASON)) assertReasonCode(code);
