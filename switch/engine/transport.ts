/**
 * What the engine and the transports (connectors/) exchange, and all a connector may know of the
 * engine besides the Engine object: a submission (bytes and the authenticated sender) in, with its
 * intake result; an outbound message (bytes, recipient, deterministic file name) out.
 */
import type { FileReport } from '../validation/pipeline.ts';

export interface Submission {
  readonly bytes: Uint8Array;
  /** The authenticated sending participant (from the connector: signature, SFTP account, queue). */
  readonly sender: string;
  readonly fileName?: string;
}

/** A received file whose signature was refused: what the admi.002 that answers it reports of it. */
export interface RefusedFile {
  readonly sender: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  readonly signature?: Uint8Array;
}

export interface IntakeResult {
  /** Row id of the stored inbound message. */
  readonly messageRowId: bigint;
  readonly status: FileReport['status'];
  readonly report: FileReport;
  /** The answer the switch queued for the sender (pacs.002 or admi.002), if any. */
  readonly answerXml?: string;
  /** True when these exact bytes had been received from this sender before. */
  readonly replay: boolean;
}

/**
 * An outbound message's bytes as the dispatcher hands them over: their length and SHA-256 (as stored
 * with the message) and the bytes themselves, read in chunks. A message stored whole gives one chunk;
 * a bulk file stored as its composition (switch/engine/message-bytes.ts) is composed while it is read,
 * and the reading throws after the last chunk (before it ends) when the bytes composed are not the
 * length and SHA-256 recorded: whoever writes the chunks somewhere must not make them final before the
 * iteration has ended without an error.
 */
export interface OutboundContent {
  readonly size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  readonly sha256: string;
  chunks(): AsyncIterable<Uint8Array>;
}

/** The whole bytes of `content` in one buffer (for transports that carry a file in one piece). */
export async function contentBytes(content: OutboundContent): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of content.chunks()) parts.push(chunk);
  return parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength) : Buffer.concat(parts);
}

/** Content of bytes held in memory (a message stored whole). */
export function bytesContent(bytes: Uint8Array, sha256: string): OutboundContent {
  return {
    size: bytes.length, sha256,
    async* chunks() { yield bytes; },
  };
}

/** A file's bytes as a connector gets them: whole, or as content to stream. */
export type FileBody =
  | { readonly bytes: Uint8Array; readonly content?: undefined }
  | { readonly content: OutboundContent; readonly bytes?: undefined };

/** A file body's bytes in chunks (content checked as OutboundContent says). */
export function bodyChunks(body: FileBody): AsyncIterable<Uint8Array> {
  if (body.content) return body.content.chunks();
  const bytes = body.bytes;
  return (async function* () { yield bytes; })();
}

/** A file body's whole bytes. */
export async function bodyBytes(body: FileBody): Promise<Uint8Array> {
  return body.content ? contentBytes(body.content) : body.bytes;
}

export interface OutboundMessage {
  readonly outboxId: bigint;
  readonly recipient: string;
  readonly messageType: string;
  readonly messageId: string;
  /** The message's bytes: stream them (content.chunks()) or take them whole (contentBytes). */
  readonly content: OutboundContent;
  /** Deterministic file name: the same message always gets the same name. */
  readonly fileName: string;
}

export type Deliver = (message: OutboundMessage) => Promise<void>;
