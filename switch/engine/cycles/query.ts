/**
 * Re-querying the settlement agent (issue 10): a pacs.028 for each instruction of the cycle's current
 * attempt still unanswered, to the agent. Its reply is a pacs.002 like its first answer and is
 * processed the same way (answers.ts: an instruction already answered is not answered again).
 */
import { build as buildPacs028 } from '../../iso/messages/pacs.028.001.03/index.ts';
import type { Queryable } from '../../store/database.ts';
import { isoDateTime, nextMessageId, type EngineContext } from '../context.ts';
import { emit } from '../outbound.ts';
import { lockCycle } from './rows.ts';

/** Emits the pacs.028s; returns how many instructions were queried (0 when nothing is unanswered). */
export async function querySettlement(ctx: EngineContext, tx: Queryable, cycleId: bigint): Promise<number> {
  const cycle = await lockCycle(tx, cycleId);
  if (cycle.state !== 'SETTLEMENT_SENT') return 0;
  const open = await tx.query<{ instruction_id: string; message_id: string }>(
    `SELECT instruction_id, message_id FROM settlement_instructions WHERE cycle_id = $1 AND attempt = $2 AND state = 'SENT' ORDER BY id`,
    [cycleId, cycle.settlement_attempt]);
  for (const instruction of open) {
    const messageId = await nextMessageId(tx, ctx.clock, ctx.switchBic);
    const xml = buildPacs028({
      groupHeader: { messageId, creationDateTime: isoDateTime(ctx.clock.now()), instructingAgent: ctx.switchBic, instructedAgent: ctx.settlementAgentBic },
      originalGroups: [{ originalMessageId: instruction.message_id, originalMessageNameId: 'pacs.009.001.08' }],
      transactions: [{ originalInstructionId: instruction.instruction_id, originalTransactionId: instruction.instruction_id }],
    });
    await emit(tx, { recipient: ctx.settlementAgentBic, messageType: 'pacs.028.001.03', messageId, xml });
  }
  return open.length;
}
