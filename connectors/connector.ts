/**
 * One connector interface for every transport (docs/scheme-rules.md, "Transport and signatures"): a connector hands inbound files
 * (bytes, detached signature, the participant the transport authenticated) to the switch, and
 * delivers outbound files (bytes and the switch's signature) to a participant.
 *
 * Receiving is two-phase so that nothing is lost: `receive` yields what is waiting; the caller
 * stores it durably (engine.submit) and only then calls `acknowledge`, which removes it from the
 * transport (archive on SFTP, ack on a queue). A crash between the two delivers the file again, and
 * intake answers it as a replay.
 */
import type { FileBody } from '../switch/engine/transport.ts';

export interface InboundFile {
  /** The participant the transport authenticated (SFTP account, queue credentials, directory owner). */
  readonly sender: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
  /** Detached CMS signature (DER) delivered beside the file, if any. */
  readonly signature?: Uint8Array;
  /** Transport-specific handle for acknowledge(). */
  readonly handle: unknown;
}

/**
 * A file to deliver: its bytes whole (`bytes`) or as content to stream (`content`: a bulk file composed
 * while it is read, whose reading throws at the end when the bytes are not the ones recorded — the
 * connector makes the file final only after the content was read to its end without an error).
 */
export type OutboundFile = {
  readonly recipient: string;
  /** Deterministic: the same message always has the same name, so a retry never makes a second copy. */
  readonly fileName: string;
  /** The switch's detached CMS signature over the bytes (DER), delivered beside the file. */
  readonly signature?: Uint8Array;
} & FileBody;

export interface Connector {
  /** Files waiting for the switch from one participant (complete files only, in name order). */
  receive(participant: string): Promise<InboundFile[]>;
  /** The file is stored durably: remove it from the transport (idempotent). */
  acknowledge(file: InboundFile): Promise<void>;
  /** Deliver one file (idempotent: delivering the same file twice leaves one copy). */
  deliver(file: OutboundFile): Promise<void>;
  close(): Promise<void>;
}
