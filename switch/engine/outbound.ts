/**
 * Emitting a message: store its bytes (immutable, with sha256) and queue it in the outbox, in the
 * caller's transaction — the same transaction as the state change that causes it. The dispatcher
 * (dispatcher.ts) delivers it later through the recipient's connector.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';

export interface Emitted {
  readonly messageRowId: bigint;
  readonly outboxId: bigint;
}

export async function emit(tx: Queryable, message: {
  readonly recipient: string;
  readonly messageType: string;
  readonly messageId: string;
  readonly xml: string;
}): Promise<Emitted> {
  const bytes = Buffer.from(message.xml, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const [stored] = await tx.query<{ id: bigint }>(
    `INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
     VALUES ('out', $1, $2, $3, $4, $5, $6) RETURNING id`,
    [message.recipient, message.messageType, message.messageId, sha256, bytes.length, bytes]);
  const [queued] = await tx.query<{ id: bigint }>(
    `INSERT INTO outbox (message_id, recipient, state, next_attempt_at) VALUES ($1, $2, 'PENDING', '-infinity') RETURNING id`,
    [stored!.id, message.recipient]);
  return { messageRowId: stored!.id, outboxId: queued!.id };
}

/**
 * A pacs.008 carrying transactions as received (their XML elements, unchanged), under a new group
 * header from the switch. Built as text around the builder's group header so that the forwarded
 * transactions are byte-for-byte what the debtor agent sent.
 */
export function forwardedCreditTransfer(header: {
  readonly messageId: string;
  readonly createdAt: string;
  readonly settlementDate: string;
  readonly currency: string;
  readonly totalText: string;
  readonly count: number;
  readonly instructingAgent: string;
  readonly instructedAgent: string;
}, transactionXml: readonly string[]): string {
  const agent = (bic: string) => `<FinInstnId><BICFI>${bic}</BICFI></FinInstnId>`;
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">\n<FIToFICstmrCdtTrf>\n<GrpHdr>' +
    `<MsgId>${header.messageId}</MsgId><CreDtTm>${header.createdAt}</CreDtTm><NbOfTxs>${header.count}</NbOfTxs>` +
    `<CtrlSum>${header.totalText}</CtrlSum><TtlIntrBkSttlmAmt Ccy="${header.currency}">${header.totalText}</TtlIntrBkSttlmAmt>` +
    `<IntrBkSttlmDt>${header.settlementDate}</IntrBkSttlmDt><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf>` +
    `<InstgAgt>${agent(header.instructingAgent)}</InstgAgt><InstdAgt>${agent(header.instructedAgent)}</InstdAgt></GrpHdr>\n` +
    transactionXml.join('\n') + '\n</FIToFICstmrCdtTrf>\n</Document>\n';
}

/** Strip namespace prefixes from a transaction element's tags (`<p:TxId>` → `<TxId>`), for forwarding. */
export function unprefixed(xml: string): string {
  return xml.replace(/<(\/?)[A-Za-z_][\w.-]*:/g, '<$1');
}
