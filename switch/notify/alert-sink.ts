/**
 * Operator alerts in `serve` (docs/notifications.md): the engine's events that need an operator become
 * alert notifications (alertFor), and each closed business day is reconciled (a read of the day:
 * switch/reports/reconciliation.ts) with a mismatch alerted, never adjusted.
 */
import type { Engine } from '../engine/engine.ts';
import type { EngineEvent } from '../engine/context.ts';
import { alertFor, reconciliationAlert, type Alert } from './events.ts';
import type { NotificationStore } from './store.ts';
import type { Logger } from '../log.ts';
import { reconciliationReport } from '../reports/index.ts';

/** Alerts raised before the store is open (the engine resumes cycles while opening) wait for it, up to this many. */
const EARLY_ALERTS_MAX = 1_000;

/**
 * The engine event sink's notification part: `observe` is called with every engine event; alerts are
 * queued once the store is attached. An alert is queued after its step is reported, in a transaction
 * of its own: a process that stops between the two loses that alert (the step itself and its log line
 * are kept); its event key makes a step reported twice one notification.
 */
export class AlertSink {
  private store: NotificationStore | undefined;
  private reconcile: DayReconciler | undefined;
  private readonly early: Alert[] = [];
  private readonly earlyDays: string[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  observe(event: EngineEvent): void {
    if (event.event === 'business-day.closed') {
      // A closed day is reconciled (a read) and a mismatch alerted: the close itself never adjusts anything.
      if (this.store && this.reconcile) this.reconcileDay(this.store, this.reconcile, event.businessDate);
      else if (this.earlyDays.length < EARLY_ALERTS_MAX) this.earlyDays.push(event.businessDate);
      return;
    }
    const alert = alertFor(event);
    if (!alert) return;
    if (this.store) this.enqueue(this.store, alert);
    else if (this.early.length < EARLY_ALERTS_MAX) this.early.push(alert);
  }

  /** The store alerts go to and, optionally, how a closed business day is reconciled (reconcileClosedDay). */
  attach(store: NotificationStore, reconcile?: DayReconciler): void {
    this.store = store;
    this.reconcile = reconcile;
    for (const alert of this.early.splice(0)) this.enqueue(store, alert);
    const days = this.earlyDays.splice(0);
    if (reconcile) for (const day of days) this.reconcileDay(store, reconcile, day);
  }

  /** Resolves once every alert and reconciliation started so far has been queued (or has failed and been logged). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private enqueue(store: NotificationStore, alert: Alert): void {
    this.track(store.enqueueAlert(alert).then(() => undefined,
      (error: unknown) => this.log.error({ err: error, kind: alert.kind, key: alert.key }, 'alert notification not queued')));
  }

  private reconcileDay(store: NotificationStore, reconcile: DayReconciler, businessDate: string): void {
    this.track(reconcile(businessDate).then((alert) => {
      if (!alert) return;
      this.log.error({ businessDate, key: alert.key, details: alert.details }, 'reconciliation of the closed business day found mismatches');
      this.enqueue(store, alert);
    }, (error: unknown) => this.log.error({ err: error, businessDate }, 'reconciliation of the closed business day failed')));
  }
}

/** Reconciles one closed business day; the alert if it found mismatches. */
export type DayReconciler = (businessDate: string) => Promise<Alert | undefined>;

/** The reconciliation of a whole business day (switch/reports/reconciliation.ts) as a DayReconciler. */
export function reconcileClosedDay(engine: Engine): DayReconciler {
  return async (businessDate) => {
    const report = await reconciliationReport(engine, { period: { date: businessDate } });
    return reconciliationAlert(`day ${businessDate}`, report.mismatches, report.mismatchesDropped);
  };
}

