/**
 * Operator alerts in `serve` (docs/notifications.md "Nothing lost"): the engine queues the alerts of
 * its own steps in their transactions (switch/engine/alerts.ts); what is left here is the
 * reconciliation of each closed business day (a read of the day: switch/reports/reconciliation.ts),
 * whose mismatch is alerted, never adjusted.
 *
 * Derived from durable rows, not from the event: a pass reconciles every closed day that has no
 * reconciliation recorded yet (business_days without day_reconciliations), and records it in one
 * transaction with its alert. A process that stops after the close, or in the middle of the read,
 * leaves the day unrecorded, and the next pass (this process's next close, or any serve's start)
 * reconciles it; two processes racing for a day both read it and one records it (one alert).
 */
import type { Engine } from '../engine/engine.ts';
import type { EngineEvent } from '../engine/context.ts';
import { reconciliationAlert, type Alert } from './events.ts';
import type { NotificationStore } from './store.ts';
import type { Logger } from '../log.ts';
import { reconciliationReport } from '../reports/index.ts';

/**
 * The engine event sink's notification part: `observe` is called with every engine event; a closed
 * business day starts a reconciliation pass once the store is attached (attaching starts one too).
 */
export class AlertSink {
  private store: NotificationStore | undefined;
  private reconcile: DayReconciler | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly log: Logger) {}

  observe(event: EngineEvent): void {
    // A closed day is reconciled (a read) and a mismatch alerted: the close itself never adjusts anything.
    if (event.event === 'business-day.closed') this.pass();
  }

  /** The store alerts go to and, optionally, how a closed business day is reconciled (reconcileClosedDay). */
  attach(store: NotificationStore, reconcile?: DayReconciler): void {
    this.store = store;
    this.reconcile = reconcile;
    // Days closed before now (by serve's start-up, by another command, or before a stop) not yet reconciled.
    this.pass();
  }

  /** Resolves once every reconciliation pass started so far has finished (its failure logged). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass at a time; a pass asked for while one runs runs after it (the day may have closed after its query). */
  private pass(): void {
    const { store, reconcile } = this;
    if (!store || !reconcile) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await reconcilePendingDays(store, reconcile, this.log);
        } catch (error) {
          this.log.error({ err: error }, 'reconciliation of closed business days failed; tried again at the next close or start');
        }
      } while (this.again);
      this.running = undefined;
    })();
  }
}

/** Reconciles every closed day not yet reconciled, oldest first; returns the days this call recorded. */
export async function reconcilePendingDays(store: NotificationStore, reconcile: DayReconciler, log?: Logger): Promise<string[]> {
  const recorded: string[] = [];
  for (const businessDate of await store.unreconciledDays()) {
    const { alert, mismatches } = await reconcile(businessDate);
    if (!await store.recordReconciliation(businessDate, mismatches, alert)) continue; // another process recorded it
    recorded.push(businessDate);
    if (alert) log?.error({ businessDate, key: alert.key, details: alert.details }, 'reconciliation of the closed business day found mismatches');
  }
  return recorded;
}

/** Reconciles one closed business day: how many mismatches, and the alert if it found any. */
export type DayReconciler = (businessDate: string) => Promise<{ readonly mismatches: number; readonly alert: Alert | undefined }>;

/** The reconciliation of a whole business day (switch/reports/reconciliation.ts) as a DayReconciler. */
export function reconcileClosedDay(engine: Engine): DayReconciler {
  return async (businessDate) => {
    const report = await reconciliationReport(engine, { period: { date: businessDate } });
    return { mismatches: report.mismatches.length + report.mismatchesDropped,
      alert: reconciliationAlert(`day ${businessDate}`, report.mismatches, report.mismatchesDropped) };
  };
}
