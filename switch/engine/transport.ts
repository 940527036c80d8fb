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

export interface OutboundMessage {
  readonly outboxId: bigint;
  readonly recipient: string;
  readonly messageType: string;
  readonly messageId: string;
  readonly bytes: Uint8Array;
  /** Deterministic file name: the same message always gets the same name. */
  readonly fileName: string;
}

export type Deliver = (message: OutboundMessage) => Promise<void>;
