/**
 * The notifications' SQL (migration 021, docs/notifications.md): subscriptions (each change recorded in
 * operator_actions), the outbox rows (payment events are written by transitionPayments in the
 * transaction of the state change, NOTIFY_CTES below; alerts by enqueueAlert), and the worker's lease
 * and record of each attempt.
 *
 * A worker leases a due row in a short transaction (FOR UPDATE SKIP LOCKED, so processes share the
 * table), sends outside any transaction, and records the outcome in another. A process that stops
 * between the two leaves the row leased: it is due again when the lease ends, its interrupted attempt
 * is marked so, and the retry carries the same idempotency key. A row recorded DELIVERED is never leased again.
 */
import { randomBytes } from 'node:crypto';
import { limits } from '../limits.ts';
import type { Clock } from '../clock.ts';
import type { Database, Queryable } from '../store/database.ts';
import { checkSubscription, deadNotificationAlert, newSecret, retryDelayMs, SubscriptionError, type Alert, type Channel, type DueNotification,
  type NotificationKind, type SubscriptionRequest } from '../notify/events.ts';
import type { AttemptRecord, AttemptResult, NotificationRecord, NotificationStore, Subscription, Who } from '../notify/store.ts';
import { recordOperatorAction } from './operator-actions.ts';
import type { PaymentState } from '../clearing/payment-state.ts';

/**
 * The payment events a transition to `to` raises, as the rows of a VALUES list over `moved` (id,
 * debtor_agent, creditor_agent, mode): who is told of what. received: the creditor agent, when the
 * payment is final for it (a real-time payment committed; a batch payment settled, since bulk files
 * reach it only after settlement); settled: both agents; returned: both agents of the original.
 */
const RAISED: Partial<Record<PaymentState, string>> = {
  COMMITTED: "('payment.received', m.creditor_agent)",
  SETTLED: "('payment.settled', m.debtor_agent), ('payment.settled', m.creditor_agent), (CASE WHEN m.mode = 'batch' THEN 'payment.received' END, m.creditor_agent)",
  RETURNED: "('payment.returned', m.debtor_agent), ('payment.returned', m.creditor_agent)",
};

/**
 * The CTE transitionPayments adds (ending in a comma) when moving payments to `to` raises events: one
 * notifications row per active subscription of the agent to the event, in the same statement as the
 * state change. '' when `to` raises nothing. Without subscriptions in force nothing is joined at all:
 * the uncorrelated EXISTS is a one-time filter, checked before any moved row is read. Without it the
 * planner (no statistics on a just-loaded payments table: it expects one moved row) probed the
 * subscriptions once per moved payment — 200,000 probes, about 6 s of the 23 s settlement statement of
 * a 200,000-payment cycle measured with EXPLAIN ANALYZE (docs/performance.md).
 */
export function notifyCtes(to: PaymentState): string {
  const raised = RAISED[to];
  if (!raised) return '';
  return `
       notified AS (
         INSERT INTO notifications (subscription_id, kind, event_key, payment_id)
         SELECT s.id, k.kind, k.kind || ':' || m.id, m.id
           FROM moved m CROSS JOIN LATERAL (VALUES ${raised}) AS k(kind, bic)
           JOIN notification_subscriptions s ON s.participant = k.bic AND s.removed_at IS NULL AND k.kind = ANY(s.events)
          WHERE EXISTS (SELECT 1 FROM notification_subscriptions WHERE removed_at IS NULL)
         ON CONFLICT (subscription_id, event_key) DO NOTHING RETURNING 1),`;
}

interface SubscriptionRow {
  id: bigint; participant: string | null; channel: Channel; target: string; events: NotificationKind[]; secret: string | null;
  created_at: Date; removed_at: Date | null; pending: number; delivered: number; dead: number;
}

const SUBSCRIPTION_COLUMNS = `s.id, s.participant, s.channel, s.target, s.events, s.secret, s.created_at, s.removed_at,
  (SELECT COUNT(*) FROM notifications n WHERE n.subscription_id = s.id AND n.state = 'PENDING')::int AS pending,
  (SELECT COUNT(*) FROM notifications n WHERE n.subscription_id = s.id AND n.state = 'DELIVERED')::int AS delivered,
  (SELECT COUNT(*) FROM notifications n WHERE n.subscription_id = s.id AND n.state = 'DEAD')::int AS dead`;

function subscriptionOf(row: SubscriptionRow): Subscription {
  return { id: row.id, participant: row.participant, channel: row.channel, target: row.target, events: row.events, createdAt: row.created_at,
    removedAt: row.removed_at, pending: row.pending, delivered: row.delivered, dead: row.dead };
}

interface DueRow {
  id: bigint; kind: NotificationKind; event_key: string; attempts: number; created_at: Date; details: Record<string, unknown>;
  subscription_id: bigint; participant: string | null; channel: Channel; target: string; secret: string | null;
  payment_id: bigint | null; p_kind: string | null; mode: string | null; transaction_id: string | null; end_to_end_id: string | null; uetr: string | null;
  debtor_agent: string | null; creditor_agent: string | null; currency: string | null; amount_minor: bigint | null; p_state: string | null;
  cycle_id: bigint | null; settlement_date: string | null;
}

/**
 * Queues operator alerts in `q`'s transaction: one notifications row per alert and active operator
 * subscription to its kind, in one statement (an empty join without subscriptions). Called by the step
 * that causes the alert, in the step's own transaction (raiseEvents, switch/engine/alerts.ts), so the
 * alert exists exactly when the step committed; its key makes a step done again one notification.
 */
export async function queueAlerts(q: Queryable, now: Date, alerts: readonly Alert[]): Promise<number> {
  if (alerts.length === 0) return 0;
  const rows = await q.query(
    `INSERT INTO notifications (subscription_id, kind, event_key, details, created_at)
     SELECT s.id, a.kind, a.key, a.details::jsonb, $4
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS a(kind, key, details, n)
       JOIN notification_subscriptions s ON s.participant IS NULL AND s.removed_at IS NULL AND a.kind = ANY(s.events)
      ORDER BY a.n, s.id
     ON CONFLICT (subscription_id, event_key) DO NOTHING RETURNING 1`,
    [alerts.map((a) => a.kind), alerts.map((a) => a.key), alerts.map((a) => JSON.stringify(a.details)), now]);
  return rows.length;
}

export function notificationStore(db: Database, clock: Clock): NotificationStore {
  const enqueueAlert = (q: Queryable, alert: Alert): Promise<number> => queueAlerts(q, clock.now(), [alert]);

  return {
    async subscribe(request: SubscriptionRequest, who: Who) {
      const { events } = checkSubscription(request);
      const secret = request.channel === 'webhook' ? request.secret ?? newSecret(randomBytes) : null;
      return db.transaction(async (tx) => {
        const owner = request.participant ?? null;
        const [count] = await tx.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM notification_subscriptions WHERE participant IS NOT DISTINCT FROM $1 AND removed_at IS NULL', [owner]);
        if ((count?.n ?? 0) >= limits.notify.subscriptionsPerOwnerMax) {
          throw new SubscriptionError(`${owner ?? 'the operators'} already hold${owner ? 's' : ''} ${limits.notify.subscriptionsPerOwnerMax} subscriptions (limits.notify.subscriptionsPerOwnerMax)`);
        }
        // The journal entry never holds the secret: whoever reads the journal must not be able to sign.
        const action = await recordOperatorAction(tx, { actor: who.actor, action: 'notify.subscribe', subject: owner ?? 'operators', reason: who.reason,
          details: { channel: request.channel, target: request.target, events, secret: request.secret === undefined ? 'generated' : 'given' } }, clock.now());
        const [row] = await tx.query<{ id: bigint }>(
          `INSERT INTO notification_subscriptions (participant, channel, target, events, secret, created_at, operator_action_id)
           VALUES ($1, $2, $3, $4::text[], $5, $6, $7) RETURNING id`, [owner, request.channel, request.target, events, secret, clock.now(), action.id]);
        return { id: row!.id, secret };
      });
    },

    async remove(id: bigint, who: Who, participant?: string) {
      await db.transaction(async (tx) => {
        const [row] = await tx.query<{ participant: string | null }>(
          'SELECT participant FROM notification_subscriptions WHERE id = $1 AND removed_at IS NULL FOR UPDATE', [id]);
        if (!row || (participant !== undefined && row.participant !== participant)) throw new SubscriptionError(`no subscription ${id}`);
        await recordOperatorAction(tx, { actor: who.actor, action: 'notify.remove', subject: row.participant ?? 'operators', reason: who.reason,
          details: { subscription: id.toString() } }, clock.now());
        await tx.query('UPDATE notification_subscriptions SET removed_at = $2 WHERE id = $1', [id, clock.now()]);
        // What was still waiting is not sent to a subscription its owner removed.
        await tx.query(`UPDATE notifications SET state = 'DEAD', last_error = 'subscription removed', lease_until = NULL
                         WHERE subscription_id = $1 AND state = 'PENDING'`, [id]);
      });
    },

    async subscriptions(options = {}) {
      const rows = await db.query<SubscriptionRow>(
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM notification_subscriptions s
          WHERE ($1::text IS NULL OR s.participant = $1) AND ($2::boolean OR s.removed_at IS NULL) ORDER BY s.id`,
        [options.participant ?? null, options.includeRemoved ?? false]);
      return rows.map(subscriptionOf);
    },

    async subscription(id: bigint) {
      const [row] = await db.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM notification_subscriptions s WHERE s.id = $1`, [id]);
      return row ? { ...subscriptionOf(row), secret: row.secret } : undefined;
    },

    async recordTest(id: bigint, who: Who) {
      const [row] = await db.query<{ participant: string | null }>('SELECT participant FROM notification_subscriptions WHERE id = $1', [id]);
      if (!row) throw new SubscriptionError(`no subscription ${id}`);
      await recordOperatorAction(db, { actor: who.actor, action: 'notify.test', subject: row.participant ?? 'operators', reason: who.reason,
        details: { subscription: id.toString() } }, clock.now());
    },

    enqueueAlert: (alert: Alert) => enqueueAlert(db, alert),

    async unreconciledDays() {
      const rows = await db.query<{ business_date: string }>(
        `SELECT d.business_date::text AS business_date FROM business_days d
          WHERE NOT EXISTS (SELECT 1 FROM day_reconciliations r WHERE r.business_date = d.business_date) ORDER BY d.business_date`);
      return rows.map((r) => r.business_date);
    },

    async recordReconciliation(businessDate: string, mismatches: number, alert: Alert | undefined) {
      return db.transaction(async (tx) => {
        const [row] = await tx.query(
          `INSERT INTO day_reconciliations (business_date, reconciled_at, mismatches) VALUES ($1::date, $2, $3)
           ON CONFLICT (business_date) DO NOTHING RETURNING 1`, [businessDate, clock.now(), mismatches]);
        if (!row) return false;
        if (alert) await enqueueAlert(tx, alert);
        return true;
      }, { retryable: true });
    },

    async lease(limit: number) {
      const now = clock.now();
      const rows = await db.transaction(async (tx) => {
        const due = await tx.query<DueRow>(
          `SELECT n.id, n.kind, n.event_key, n.attempts, n.created_at, n.details,
                  s.id AS subscription_id, s.participant, s.channel, s.target, s.secret,
                  p.id AS payment_id, p.kind AS p_kind, p.mode, p.transaction_id, p.end_to_end_id, p.uetr, p.debtor_agent, p.creditor_agent,
                  p.currency, p.amount_minor, p.state AS p_state, p.cycle_id, p.settlement_date::text AS settlement_date
             FROM notifications n JOIN notification_subscriptions s ON s.id = n.subscription_id
             LEFT JOIN payments_effective p ON p.id = n.payment_id
            WHERE n.state = 'PENDING' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= $1) AND (n.lease_until IS NULL OR n.lease_until <= $1)
            ORDER BY n.id LIMIT $2 FOR UPDATE OF n SKIP LOCKED`, [now, limit]);
        if (due.length === 0) return due;
        const ids = due.map((r) => r.id);
        // An attempt whose worker stopped before recording it: its outcome is unknown (it may have arrived).
        await tx.query(`UPDATE notification_attempts SET error = 'interrupted: the worker stopped before recording the outcome'
                         WHERE notification_id = ANY($1::bigint[]) AND finished_at IS NULL`, [ids]);
        await tx.query(`UPDATE notifications SET attempts = attempts + 1, lease_until = $2 WHERE id = ANY($1::bigint[])`,
          [ids, new Date(now.getTime() + limits.notify.leaseMs)]);
        await tx.query(`INSERT INTO notification_attempts (notification_id, attempt, started_at)
                        SELECT id, attempts, $2 FROM notifications WHERE id = ANY($1::bigint[])`, [ids, now]);
        return due;
      });
      return rows.map((r): DueNotification => ({
        id: r.id, kind: r.kind, eventKey: r.event_key, attempt: r.attempts + 1, createdAt: r.created_at, details: r.details,
        subscription: { id: r.subscription_id, participant: r.participant, channel: r.channel, target: r.target, secret: r.secret },
        ...(r.payment_id === null ? {} : {
          payment: {
            id: r.payment_id, kind: r.p_kind!, mode: r.mode!, transactionId: r.transaction_id, endToEndId: r.end_to_end_id, uetr: r.uetr,
            debtorAgent: r.debtor_agent!, creditorAgent: r.creditor_agent!, currency: r.currency!, amountMinor: r.amount_minor!, state: r.p_state!,
            cycleId: r.cycle_id, settlementDate: r.settlement_date,
          },
        }),
      }));
    },

    async record(n: DueNotification, result: AttemptResult, random: number) {
      const now = clock.now();
      const error = result.error?.slice(0, limits.notify.errorLengthMax) ?? null;
      return db.transaction(async (tx) => {
        await tx.query(`UPDATE notification_attempts SET finished_at = $3, ok = $4, status_code = $5, latency_ms = $6, error = $7
                         WHERE notification_id = $1 AND attempt = $2`,
        [n.id, n.attempt, now, result.ok, result.statusCode ?? null, Math.round(result.latencyMs), error]);
        // Only the attempt that holds the row records it: after a lease ran out another worker may own it.
        const [row] = await tx.query<{ attempts: number }>(
          "SELECT attempts FROM notifications WHERE id = $1 AND state = 'PENDING' AND attempts = $2 FOR UPDATE", [n.id, n.attempt]);
        if (!row) {
          if (result.ok) await tx.query("UPDATE notifications SET state = 'DELIVERED', delivered_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1 AND state = 'PENDING'", [n.id, now]);
          return 'lost';
        }
        if (result.ok) {
          await tx.query("UPDATE notifications SET state = 'DELIVERED', delivered_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1", [n.id, now]);
          return 'delivered';
        }
        if (n.attempt >= limits.notify.attemptsMax) {
          await tx.query("UPDATE notifications SET state = 'DEAD', lease_until = NULL, last_error = $2 WHERE id = $1", [n.id, error]);
          // The operators are told of a participant's notifications given up; an operator alert given up is
          // not alerted again (it would loop): it stays in the log and in `notify list`.
          if (n.subscription.participant !== null) {
            await enqueueAlert(tx, deadNotificationAlert(n.id, n.subscription.id, n.subscription.channel, n.subscription.target, n.attempt, error ?? ''));
          }
          return 'dead';
        }
        await tx.query('UPDATE notifications SET lease_until = NULL, last_error = $2, next_attempt_at = $3 WHERE id = $1',
          [n.id, error, new Date(now.getTime() + retryDelayMs(n.attempt, random))]);
        return 'retry';
      });
    },

    async notifications(options = {}) {
      const rows = await db.query<{ id: bigint; subscription_id: bigint; kind: string; event_key: string; state: NotificationRecord['state'];
        attempts: number; next_attempt_at: Date | null; last_error: string | null }>(
        `SELECT id, subscription_id, kind, event_key, state, attempts, next_attempt_at, last_error FROM notifications
          WHERE ($1::bigint IS NULL OR subscription_id = $1) AND ($2::text IS NULL OR state = $2) ORDER BY id DESC LIMIT $3`,
        [options.subscriptionId ?? null, options.state ?? null, options.limit ?? 100]);
      return rows.map((r) => ({ id: r.id, subscriptionId: r.subscription_id, kind: r.kind, eventKey: r.event_key, state: r.state, attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at, lastError: r.last_error }));
    },

    async attempts(notificationId: bigint) {
      const rows = await db.query<{ attempt: number; started_at: Date; finished_at: Date | null; ok: boolean | null; status_code: number | null;
        latency_ms: number | null; error: string | null }>(
        'SELECT attempt, started_at, finished_at, ok, status_code, latency_ms, error FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt',
        [notificationId]);
      return rows.map((r): AttemptRecord => ({ attempt: r.attempt, startedAt: r.started_at, finishedAt: r.finished_at, ok: r.ok, statusCode: r.status_code,
        latencyMs: r.latency_ms, error: r.error }));
    },
  };
}
