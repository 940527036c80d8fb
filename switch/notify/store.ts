/**
 * What the notification worker and the commands need of the store (implemented in
 * switch/engine/notifications.ts, reached through Engine.notifications()): the connectors know this
 * interface, not the engine's SQL.
 */
import type { Alert, Channel, DueNotification, NotificationKind, SubscriptionRequest } from './events.ts';

export interface Who {
  readonly actor: string;
  readonly reason: string;
}

export interface Subscription {
  readonly id: bigint;
  readonly participant: string | null;
  readonly channel: Channel;
  readonly target: string;
  readonly events: NotificationKind[];
  readonly createdAt: Date;
  readonly removedAt: Date | null;
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
}

/** The outcome of one attempt as the sender saw it. */
export interface AttemptResult {
  readonly ok: boolean;
  /** HTTP status (webhook) or SMTP reply code (e-mail), when there was an answer. */
  readonly statusCode?: number;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly ok: boolean | null;
  readonly statusCode: number | null;
  readonly latencyMs: number | null;
  readonly error: string | null;
}

export interface NotificationRecord {
  readonly id: bigint;
  readonly subscriptionId: bigint;
  readonly kind: string;
  readonly eventKey: string;
  readonly state: 'PENDING' | 'DELIVERED' | 'DEAD';
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastError: string | null;
}

export interface NotificationStore {
  subscribe(request: SubscriptionRequest, who: Who): Promise<{ id: bigint; secret: string | null }>;
  remove(id: bigint, who: Who, participant?: string): Promise<void>;
  subscriptions(options?: { readonly participant?: string; readonly includeRemoved?: boolean }): Promise<Subscription[]>;
  subscription(id: bigint): Promise<(Subscription & { readonly secret: string | null }) | undefined>;
  /** Records a test send (operator_actions notify.test) before it is made. */
  recordTest(id: bigint, who: Who): Promise<void>;
  /** Queues an operator alert for every operator subscription to its kind; returns how many rows. */
  enqueueAlert(alert: Alert): Promise<number>;
  /** Closed business days not reconciled yet (no day_reconciliations row), oldest first. */
  unreconciledDays(): Promise<string[]>;
  /**
   * Records a closed day's reconciliation and, in the same transaction, queues its alert (if it found
   * mismatches). False when the day had been recorded already (another process): nothing is queued then.
   */
  recordReconciliation(businessDate: string, mismatches: number, alert: Alert | undefined): Promise<boolean>;
  /** Leases up to `limit` due notifications for one attempt each. */
  lease(limit: number): Promise<DueNotification[]>;
  /** Records an attempt's outcome: delivered, retried later, or dead-lettered (and alerted). */
  record(notification: DueNotification, result: AttemptResult, random: number): Promise<'delivered' | 'retry' | 'dead' | 'lost'>;
  notifications(options?: { readonly subscriptionId?: bigint; readonly state?: string; readonly limit?: number }): Promise<NotificationRecord[]>;
  attempts(notificationId: bigint): Promise<AttemptRecord[]>;
}
