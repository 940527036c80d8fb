/**
 * Settlement the agent has not answered in time (issue 10): a cycle whose current attempt still has
 * instructions SENT longer than settlementAgent.answerTimeoutSeconds (limits.settlementAnswerTimeoutSecondsDefault)
 * after the attempt's first was sent is marked (cycles.settlement_alert_at, shown by `cycle status`)
 * once per attempt; serve logs each new alert at error level with the cycle id.
 */
import { limits } from '../../limits.ts';
import type { EngineContext } from '../context.ts';
import { alertFor, type Alert } from '../../notify/events.ts';
import { queueAlerts } from '../notifications.ts';

export interface SettlementAlert {
  readonly cycleId: bigint;
  readonly attempt: number;
  readonly sentAt: Date;
  readonly unanswered: number;
}

/** Marks and returns the cycles newly overdue (each alert raised once per attempt). */
export async function raiseSettlementAlerts(ctx: EngineContext): Promise<SettlementAlert[]> {
  const timeoutSeconds = ctx.config.settlementAgent?.answerTimeoutSeconds ?? limits.settlementAnswerTimeoutSecondsDefault;
  const now = ctx.clock.now();
  const dueBefore = new Date(now.getTime() - timeoutSeconds * 1000);
  return ctx.db.transaction(async (tx) => {
    const rows = await tx.query<{ cycle_id: bigint; attempt: number; sent_at: Date; unanswered: number }>(
      `SELECT c.id AS cycle_id, c.settlement_attempt AS attempt, MIN(i.sent_at) AS sent_at, COUNT(*)::int AS unanswered
         FROM cycles c JOIN settlement_instructions i ON i.cycle_id = c.id AND i.attempt = c.settlement_attempt AND i.state = 'SENT'
        WHERE c.state = 'SETTLEMENT_SENT' AND c.settlement_alert_at IS NULL
        GROUP BY c.id, c.settlement_attempt HAVING MIN(i.sent_at) <= $1 ORDER BY c.id`, [dueBefore]);
    if (rows.length === 0) return [];
    // Several serve processes sweep at once: the row lock decides which one raises the alert (the
    // other re-reads settlement_alert_at after waiting, finds it set, and raises nothing).
    const raised = new Set((await tx.query<{ id: bigint }>(
      'UPDATE cycles SET settlement_alert_at = $2 WHERE id = ANY($1::bigint[]) AND settlement_alert_at IS NULL RETURNING id',
      [rows.map((r) => r.cycle_id), now])).map((r) => String(r.id)));
    const alerts = rows.filter((r) => raised.has(String(r.cycle_id)))
      .map((r) => ({ cycleId: r.cycle_id, attempt: r.attempt, sentAt: r.sent_at, unanswered: r.unanswered }));
    // The operators' alerts are queued with the mark (the caller reports the events on the sink): a
    // process that stops after this commit has them queued; one that stops before marked nothing.
    await queueAlerts(tx, now, alerts.map((a) => alertFor({ event: 'settlement.overdue', cycle: a.cycleId, attempt: a.attempt, sentAt: a.sentAt,
      unanswered: a.unanswered })).filter((a): a is Alert => a !== undefined));
    return alerts;
  });
}
