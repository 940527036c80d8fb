/**
 * Emitting a message: store its bytes (immutable, with sha256) and queue it in the outbox, in the
 * caller's transaction — the same transaction as the state change that causes it. The dispatcher
 * (dispatcher.ts) delivers it later through the recipient's connector.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';
import { packColumn, unpackedColumn as u } from '../store/packed-columns.ts';

export interface Emitted {
  readonly messageRowId: bigint;
  readonly outboxId: bigint;
}

export interface OutboundMessage {
  readonly recipient: string;
  readonly messageType: string;
  readonly messageId: string;
  readonly xml: string;
}

export async function emit(tx: Queryable, message: OutboundMessage): Promise<Emitted> {
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
 * Emitting many messages inside one statement (the real-time group inserts its payments in the same
 * one): common table expressions that store the messages and queue their outbox rows, in the given
 * order, as `emit` would one by one. The bytes travel as ONE bytea parameter that each row cuts its
 * part from, so they are stored exactly as `emit` stores them. `ctes` uses parameters $first …
 * $first+6, given in `params`; `last` names the CTE returning one row per outbox row queued.
 */
export function outboundRows(messages: readonly OutboundMessage[], first: number): { ctes: string; last: string; params: unknown[] } {
  const bytes = blob(messages.map((m) => Buffer.from(m.xml, 'utf8')));
  const $ = (k: number): string => `$${first + k}`;
  return {
    ctes: `emitted AS (
       INSERT INTO messages (direction, participant, message_type, message_id, sha256, size_bytes, bytes)
       SELECT 'out', r, t, i, h, l, substring(${$(6)}::bytea FROM o FOR l)
         FROM unnest(${u($(0), 'text')}, ${u($(1), 'text')}, ${u($(2), 'text')}, ${u($(3), 'text')}, ${u($(4), 'int')}, ${u($(5), 'int')})
              WITH ORDINALITY AS m(r, t, i, h, o, l, n)
        ORDER BY n
       RETURNING id, participant),
     outboxed AS (
       INSERT INTO outbox (message_id, recipient, state, next_attempt_at)
       SELECT id, participant, 'PENDING', '-infinity' FROM emitted ORDER BY id
       RETURNING id)`,
    last: 'outboxed',
    // Packed columns, not array parameters: node-postgres quotes and escapes every element of an array
    // (store/packed-columns.ts); a recipient is a BIC, a type and an id the switch's own.
    params: [packColumn(messages.map((m) => m.recipient)), packColumn(messages.map((m) => m.messageType)), packColumn(messages.map((m) => m.messageId)),
      packColumn(bytes.parts.map((b) => createHash('sha256').update(b).digest('hex'))), packColumn(bytes.offsets), packColumn(bytes.lengths), bytes.blob],
  };
}

/**
 * Byte strings as one buffer and where each starts (1-based, for substring()) and how long it is: one
 * bytea parameter for many rows, so that no byte goes through a text array literal.
 */
export function blob(parts: readonly Uint8Array[]): { blob: Buffer; offsets: number[]; lengths: number[]; parts: readonly Uint8Array[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let offset = 1;
  for (const p of parts) {
    offsets.push(offset);
    lengths.push(p.length);
    offset += p.length;
  }
  return { blob: Buffer.concat(parts), offsets, lengths, parts };
}

/**
 * A pacs.008 carrying transactions as received (their XML elements as validation/forward.ts gives
 * them: what the debtor agent sent, without prefixes, namespace declarations and comments), under a
 * new group header from the switch. Built as text around the builder's group header.
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
