/**
 * Deliveries given up, as an operator sees them (`clearhouse dead-letters list|retry`): the queue
 * jobs BullMQ gave up on (table dead_letters, switch/store/dead-letters.ts) and the outbox rows the
 * dispatcher marked FAILED after DELIVERY_ATTEMPTS_MAX attempts (switch/engine/dispatcher.ts). Both
 * are listed: a FAILED outbox row is a message the participant never got, whatever the transport.
 */
import { listDeadLetters } from '../store/dead-letters.ts';
import type { Queryable } from '../store/database.ts';

export interface FailedDelivery {
  /** `outbox`: a FAILED outbox row (retry puts it back to PENDING); `queue`: a dead queue job. */
  readonly kind: 'outbox' | 'queue';
  /** What `dead-letters retry` takes: `outbox:<id>` or `queue:<id>`. */
  readonly id: string;
  readonly outboxId?: bigint;
  /** A queue job: its queue (with prefix) and job id, where it is in Redis. */
  readonly queue?: string;
  readonly jobId?: string;
  readonly participant: string;
  readonly fileName: string | null;
  readonly messageId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly failedAt: Date;
}

export async function failedDeliveries(db: Queryable, options: { readonly limit?: number } = {}): Promise<FailedDelivery[]> {
  const limit = options.limit ?? 1_000;
  const outbox = await db.query<{ id: bigint; recipient: string; file_name: string | null; message_id: string | null; attempts: number;
    last_error: string | null; at: Date }>(
    `SELECT o.id, o.recipient, m.file_name, m.message_id, o.attempts, o.last_error,
            COALESCE((SELECT max(d.at) FROM deliveries d WHERE d.outbox_id = o.id), o.created_at) AS at
       FROM outbox o JOIN messages m ON m.id = o.message_id
      WHERE o.state = 'FAILED' ORDER BY o.id DESC LIMIT $1`, [limit]);
  const queued = await listDeadLetters(db, { limit });
  return [
    ...outbox.map((r) => ({
      kind: 'outbox' as const, id: `outbox:${r.id}`, outboxId: r.id, participant: r.recipient, fileName: r.file_name,
      messageId: r.message_id, attempts: r.attempts, lastError: r.last_error, failedAt: new Date(r.at),
    })),
    ...queued.map((l) => ({
      kind: 'queue' as const, id: `queue:${l.id}`, queue: l.queue, jobId: l.jobId, participant: l.participant, fileName: l.fileName, messageId: null,
      attempts: l.attempts, lastError: l.lastError, failedAt: l.failedAt,
    })),
  ].sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime()).slice(0, limit);
}

/** FAILED outbox rows back to PENDING, due now, with a fresh set of DELIVERY_ATTEMPTS_MAX attempts. */
export async function retryFailedDelivery(db: Queryable, outboxIds: readonly bigint[], now: Date): Promise<bigint[]> {
  const rows = await db.query<{ id: bigint }>(
    `UPDATE outbox SET state = 'PENDING', attempts = 0, next_attempt_at = $2
      WHERE state = 'FAILED' AND id = ANY($1::bigint[]) RETURNING id`, [outboxIds.map(String), now]);
  return rows.map((r) => r.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
