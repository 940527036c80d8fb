/**
 * What the switch answers for a file a transport hands over (connectors/inbound.ts verifies its
 * signature first; docs/connectors.md):
 *  - signature refused: an admi.002 message reject to the sender, the file not processed;
 *  - signature good: intake (submit.ts); a replay (the same bytes from the same sender again) gets the
 *    stored answer queued once more, since the sender sending again may mean it never got it.
 */
import { build as buildAdmi002 } from '../iso/messages/admi.002.001.01/index.ts';
import { truncate } from '../iso/text.ts';
import { visibleText } from '../log.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emit } from './outbound.ts';
import { submitOnce } from './submit.ts';
import type { IntakeResult, RefusedFile, Submission } from './transport.ts';

const ADMI002 = 'admi.002.001.01';
const REFERENCE_LENGTH_MAX = 35; // RltdRef/Ref: Max35Text
const TEXT_LENGTH_MAX = 350; // ErrLctn, RsnDesc: Max350Text

/** Intake of a file whose signature is good; a replay is answered again (see answerAgain). */
export async function submitReceived(ctx: EngineContext, submission: Submission): Promise<IntakeResult> {
  const result = await submitOnce(ctx, submission);
  if (result.replay) await answerAgain(ctx, submission.sender, result.messageRowId);
  return result;
}

/**
 * Answers a file whose signature was refused: an admi.002 to the sender, stored and queued in one
 * transaction; returns its MsgId. The refused file is not stored (it is not the sender's, as far as
 * the switch can tell); the transport keeps it in its archive.
 */
export async function refuseFile(ctx: EngineContext, file: RefusedFile, sha256: string, code: string, reason: string): Promise<string> {
  // XML cannot carry control characters: a hostile file name must not make the answer malformed.
  const fileName = visibleText(file.fileName);
  return ctx.db.transaction(async (tx) => {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const xml = buildAdmi002({
      relatedReference: truncate(fileName, REFERENCE_LENGTH_MAX),
      reason: {
        rejectingPartyReason: code,
        rejectionDateTime: isoDateTime(ctx.clock.now()),
        errorLocation: truncate(`${fileName}.p7s`, TEXT_LENGTH_MAX),
        description: truncate(visibleText(reason), TEXT_LENGTH_MAX),
        additionalData: `file ${fileName}, ${file.bytes.length} bytes, sha256 ${sha256}; signature ${file.signature?.length ?? 0} bytes`,
      },
    });
    await emit(tx, { recipient: file.sender, messageType: ADMI002, messageId, xml });
    return messageId;
  });
}

/**
 * A replayed file gets its stored answer again: the same message (type, MsgId, bytes) queued once more,
 * so it is delivered under the same deterministic file name (overwriting, never a second copy).
 * Nothing when intake stored no answer (a real-time payment is answered later, by its own flow).
 */
async function answerAgain(ctx: EngineContext, sender: string, messageRowId: bigint): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const [answer] = await tx.query<{ message_type: string; message_id: string; xml: string }>(
      `SELECT a.message_type, a.message_id, convert_from(a.bytes, 'UTF8') AS xml
         FROM intake i JOIN messages a ON a.id = i.answer_message_id
        WHERE i.message_id = $1`, [messageRowId]);
    if (!answer) return;
    await emit(tx, { recipient: sender, messageType: answer.message_type, messageId: answer.message_id, xml: answer.xml });
  });
}
