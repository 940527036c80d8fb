/**
 * A validation finding: one thing wrong with a message, as data (never an exception).
 * Every finding carries an ISO ExternalStatusReason1Code (checked against schemas/codes), where it
 * was found (element path and, where known, line), and a plain-language message.
 */
export interface Finding {
  /** ISO ExternalStatusReason1Code, e.g. FF01, AM03, DS0A. */
  readonly code: string;
  /** Element path from the document root, e.g. /Document/FIToFICstmrCdtTrf/GrpHdr/NbOfTxs. */
  readonly path: string;
  /** 1-based line in the file as received, where known. */
  readonly line?: number;
  readonly message: string;
  /** Set when the finding concerns one transaction only: that transaction's id (TxId or similar). */
  readonly transactionId?: string;
  /** Zero-based index of the transaction inside the message, when transactionId is set. */
  readonly transactionIndex?: number;
}

export function finding(code: string, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, path, message, ...extra };
}
