/**
 * Engine events that are operator alerts (switch/notify/events.ts alertFor: settlement failed,
 * delivery failing, risk) are queued as notifications in the transaction of the step that raises them
 * (docs/notifications.md "Nothing lost", decision 73): the alert commits with the step or not at all,
 * so a process that stops after the step still has its alert queued, and one whose transaction rolls
 * back (and is retried) queued none. The event keys make a step raised again one notification.
 */
import { alertFor, type Alert } from '../notify/events.ts';
import type { EngineContext, EngineEvent } from './context.ts';
import type { Queryable } from '../store/database.ts';
import { queueAlerts } from './notifications.ts';

/** Reports each event to the engine's sink and queues, in `tx`, the operator alerts among them. */
export async function raiseEvents(ctx: EngineContext, tx: Queryable, events: readonly EngineEvent[]): Promise<void> {
  const alerts: Alert[] = [];
  for (const event of events) {
    ctx.events?.(event);
    const alert = alertFor(event);
    if (alert) alerts.push(alert);
  }
  await queueAlerts(tx, ctx.clock.now(), alerts);
}

/** raiseEvents for one event. */
export function raiseEvent(ctx: EngineContext, tx: Queryable, event: EngineEvent): Promise<void> {
  return raiseEvents(ctx, tx, [event]);
}
