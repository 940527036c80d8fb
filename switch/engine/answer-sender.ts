/**
 * The switch's answer to a sender: built from the intake report (switch/status/answers.ts), stored and
 * queued in the outbox in the caller's transaction.
 */
import { build as buildPacs002 } from '../iso/messages/pacs.002.001.10/index.ts';
import { build as buildAdmi002 } from '../iso/messages/admi.002.001.01/index.ts';
import { answerFor } from '../status/answers.ts';
import type { Queryable } from '../store/database.ts';
import type { FileReport } from '../validation/pipeline.ts';
import { isoDateTime, nextMessageId, type EngineContext } from './context.ts';
import { emit } from './outbound.ts';

/** Build, store and queue the sender's answer: pacs.002 (ACTC / PART / RJCT) or admi.002. */
export async function answerSender(ctx: EngineContext, tx: Queryable, report: FileReport, sender: string, fileName?: string):
  Promise<{ rowId: bigint; xml: string }> {
  const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
  const answer = answerFor(report, {
    switchBic: ctx.switchBic, messageId, createdAt: isoDateTime(ctx.clock.now()), recipientBic: sender,
    fileReference: fileName ?? report.header?.businessMessageId ?? report.group?.messageId ?? 'UNKNOWN',
  });
  const xml = answer.kind === 'pacs.002.001.10' ? buildPacs002(answer.message) : buildAdmi002(answer.message);
  const emitted = await emit(tx, { recipient: sender, messageType: answer.kind, messageId, xml });
  return { rowId: emitted.messageRowId, xml };
}
