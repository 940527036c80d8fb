/**
 * The switch side of receiving files, whatever the transport (SFTP, directory, queue): for every file
 * a connector hands over,
 *
 *  1. verify its detached signature (verifyDetached) against the scheme CAs and CRLs, with the
 *     participant the transport authenticated as the expected signer;
 *  2. refused (or no signature): engine.refuseFile answers the sender with an admi.002 message reject
 *     (RjctgPtyRsn = the DS code, RltdRef = the file name, ErrLctn = the signature file, RsnDesc = the
 *     reason), queued in the outbox like every other outbound message; the file itself is not processed;
 *     good: engine.submitReceived (exactly-once intake; the same bytes from the same sender again are a
 *     replay: nothing is processed twice, and the stored answer is queued again);
 *  3. acknowledge it on the transport (archive) — only after step 2 committed, so a crash in between
 *     hands the file over again and intake answers it as the replay it is.
 *
 * Transport acknowledgement (received, signature good or refused) is separate from the business
 * status (the pacs.002 intake queues): it is the TransportAck this returns for each file, one log
 * record per file, and for refusals the admi.002. See docs/connectors.md.
 *
 * A file name is the sender's text: the log quotes it only as a field value (switch/log.ts), and
 * what goes into a stored message or an answer is its visibleText form, because XML cannot carry
 * control characters at all.
 */
import { createHash } from 'node:crypto';
import type { Connector, InboundFile } from './connector.ts';
import { verifyDetached } from './signing/cms.ts';
import type { Engine } from '../switch/engine/engine.ts';
import type { IntakeResult } from '../switch/engine/transport.ts';
import { createLogger, toLogger, visibleText, type LogSink } from '../switch/log.ts';

export interface TrustAnchors {
  /** The scheme CA certificates (PEM): current and, during a rollover, previous. */
  readonly caCertPems: readonly string[];
  /** The CAs' CRLs (PEM). */
  readonly crls?: readonly string[];
}

interface AckBase {
  readonly participant: string;
  readonly fileName: string;
  readonly sha256: string;
}

/** The transport acknowledgement of one received file. */
export type TransportAck =
  | AckBase & {
    /** Signature good, stored by intake (whatever its business status: ACCP, PART or RJCT). */
    readonly outcome: 'accepted' | 'replay';
    readonly signerSerial: string;
    readonly status: IntakeResult['status'];
    readonly messageRowId: bigint;
    /** GrpHdr/MsgId, when the file had one. */
    readonly msgId?: string;
  }
  | AckBase & {
    /** Signature refused: answered with an admi.002, not processed. */
    readonly outcome: 'refused';
    readonly code: string;
    readonly reason: string;
    /** MsgId under which the admi.002 was queued (its file is `admi.002.001.01_<id>.xml`). */
    readonly answerMessageId: string;
  };

export interface PollResult {
  readonly files: TransportAck[];
  /** Participants whose mailbox could not be read (transport down): polled again next time. */
  readonly errors: { readonly participant: string; readonly message: string }[];
}

export interface PollOptions {
  /** Default: JSON records on stderr. */
  readonly log?: LogSink;
}

/**
 * Receives, verifies, submits and acknowledges every waiting file of `participants`. A participant
 * whose transport fails is reported in `errors` and skipped; a database failure throws (the file
 * stays on the transport, unacknowledged, and is handed over again next time).
 */
export async function pollInbound(engine: Engine, connector: Connector, participants: readonly string[], trust: TrustAnchors,
  now: Date = engine.clock.now(), options: PollOptions = {}): Promise<PollResult> {
  const log = toLogger(options.log ?? createLogger()).child({ component: 'inbound' });
  const files: TransportAck[] = [];
  const errors: PollResult['errors'] = [];
  for (const participant of participants) {
    let received: InboundFile[];
    try {
      received = await connector.receive(participant);
    } catch (error) {
      errors.push({ participant, message: (error as Error).message });
      log.warn({ participant, err: error }, 'mailbox not readable');
      continue;
    }
    for (const file of received) {
      const ack = await takeFile(engine, file, trust, now);
      try {
        await connector.acknowledge(file);
      } catch (error) {
        // Stored (or answered) but still on the transport: handed over again next time, and then a
        // replay (intake) or answered once more (refusal). Reported, not fatal.
        errors.push({ participant, message: `acknowledge ${file.fileName}: ${(error as Error).message}` });
        log.warn({ participant, fileName: file.fileName, err: error }, 'not acknowledged');
      }
      files.push(ack);
      if (ack.outcome === 'refused') {
        log.warn({ participant, fileName: file.fileName, sha256: ack.sha256, code: ack.code, reason: ack.reason, answerMsgId: ack.answerMessageId },
          `refused ${ack.code}; answered with an admi.002`);
      } else {
        log.info({ participant, fileName: file.fileName, sha256: ack.sha256, msgId: ack.msgId, signer: ack.signerSerial, status: ack.status },
          `signature good, ${ack.outcome === 'replay' ? 'replay, not processed again' : 'stored'}, ${ack.status}`);
      }
    }
  }
  return { files, errors };
}

async function takeFile(engine: Engine, file: InboundFile, trust: TrustAnchors, now: Date): Promise<TransportAck> {
  const sha256 = createHash('sha256').update(file.bytes).digest('hex');
  const base = { participant: file.sender, fileName: file.fileName, sha256 };
  const verdict = verifyDetached(file.bytes, file.signature, {
    caCertPems: trust.caCertPems, crls: trust.crls ?? [], expectedSigner: file.sender, now,
  });
  if (!verdict.ok) {
    const answerMessageId = await engine.refuseFile(file, sha256, verdict.code, verdict.message);
    return { ...base, outcome: 'refused', code: verdict.code, reason: verdict.message, answerMessageId };
  }
  const result = await engine.submitReceived({ bytes: file.bytes, sender: file.sender, fileName: visibleText(file.fileName) });
  const msgId = result.report.group?.messageId;
  return {
    ...base, outcome: result.replay ? 'replay' : 'accepted', signerSerial: verdict.signer.serial,
    status: result.status, messageRowId: result.messageRowId, ...(msgId === undefined ? {} : { msgId }),
  };
}

