/**
 * The outbox dispatcher: delivers due outbound messages through the recipient's connector, at least
 * once, and records every attempt. A row is locked (FOR UPDATE SKIP LOCKED) while it is delivered, so
 * several dispatchers (processes) share the outbox without delivering a message twice at the same
 * time; a crash mid-delivery leaves the row PENDING and it is delivered again, which connectors
 * absorb by writing under a deterministic name (the delivery is idempotent).
 */
import type { Queryable } from '../store/database.ts';
import type { EngineContext } from './context.ts';
import { crashPoint } from './crash.ts';
import { raiseEvent } from './alerts.ts';
import type { Deliver } from './transport.ts';
import { inboundSources, storedContent } from './message-bytes.ts';
import { takeInboundFiles, type InboundSources } from './cycles/bulk-files.ts';
import { limits } from '../limits.ts';

/** Messages delivered per dispatcher pass; bounded so one pass holds its row locks briefly. */
export const DISPATCH_BATCH_MAX = 200;
/** Retry delays: exponential from 1 s, capped at 5 minutes; after the last attempt the row is FAILED. */
const RETRY_BASE_MS = 1_000;
const RETRY_DELAY_MS_MAX = 300_000;
export const DELIVERY_ATTEMPTS_MAX = 12;

interface DueRow {
  readonly id: bigint;
  readonly recipient: string;
  readonly attempts: number;
  readonly message_type: string;
  readonly message_id: string;
  readonly row_id: bigint;
  readonly sha256: string;
  readonly size_bytes: number;
  /** NULL for a message stored as its composition (a bulk file: message-bytes.ts streams it). */
  readonly bytes_base64: string | null;
}

// The bytes travel as base64 text: node-postgres reads bytea in hex text format, which doubles the
// volume and decodes slowly; base64 is exact and twice as fast. A bulk file has no stored bytes: it is
// composed from the inbound files while the connector writes it, and checked against its sha256.
const DUE_COLUMNS = `o.id, o.recipient, o.attempts, m.message_type, m.message_id, m.id AS row_id, m.sha256, m.size_bytes,
                     encode(m.bytes, 'base64') AS bytes_base64`;

export async function dispatchOnce(ctx: EngineContext, deliver: Deliver, limit = DISPATCH_BATCH_MAX): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const due = await tx.query<DueRow>(
      `SELECT ${DUE_COLUMNS}
         FROM outbox o JOIN messages m ON m.id = o.message_id
        WHERE o.state = 'PENDING' AND o.next_attempt_at <= $1
        ORDER BY o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED`, [ctx.clock.now(), limit]);
    // One set of inbound files for the pass: a cycle's bulk files are composed from the same ones,
    // starting from those the cycle's settlement read in this process, if it handed them over (taken
    // by a pass that composes a message, not by one that delivers only stored bytes).
    const sources = inboundSources(tx, due.some((row) => row.bytes_base64 === null) ? takeInboundFiles(ctx.db) : undefined);
    // Different recipients' messages are delivered side by side, each recipient's one after another in
    // outbox order; the outcomes are recorded afterwards, one by one in outbox order, whatever order the
    // deliveries ended in: what the pass writes (attempts, alerts) and where a crash between a delivery
    // and its record falls do not depend on how the deliveries interleaved.
    const outcomes = await deliverByRecipient(due, (row) => attemptDelivery(tx, row, deliver, sources));
    let delivered = 0;
    for (const [i, row] of due.entries()) if (await recordDelivery(ctx, tx, row, outcomes[i]!)) delivered++;
    return delivered;
  });
}

/**
 * `attempt` for every row, the rows of one recipient one after another in their order, up to
 * limits.dispatchRecipientsAtOnce recipients at a time (taken in the order of their first row); the
 * outcomes in the order of `rows`.
 */
async function deliverByRecipient<T>(rows: readonly DueRow[], attempt: (row: DueRow) => Promise<T>): Promise<T[]> {
  const outcomes = new Array<T>(rows.length);
  const byRecipient = new Map<string, number[]>();
  for (const [i, row] of rows.entries()) {
    const list = byRecipient.get(row.recipient);
    if (list) list.push(i);
    else byRecipient.set(row.recipient, [i]);
  }
  const queues = [...byRecipient.values()];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < queues.length) {
      for (const i of queues[next++]!) outcomes[i] = await attempt(rows[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.dispatchRecipientsAtOnce, queues.length) }, lane));
  return outcomes;
}

/**
 * Deliver one outbox message if it is still due and no other dispatcher holds it (the BullMQ
 * "deliver" job of serve's Redis mode, switch/work/distributed.ts). 'skipped': already delivered,
 * not yet due, or being delivered elsewhere — the job is then simply done.
 */
export async function dispatchOne(ctx: EngineContext, outboxId: bigint, deliver: Deliver): Promise<'delivered' | 'failed' | 'skipped'> {
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.query<DueRow>(
      `SELECT ${DUE_COLUMNS}
         FROM outbox o JOIN messages m ON m.id = o.message_id
        WHERE o.id = $1 AND o.state = 'PENDING' AND o.next_attempt_at <= $2
        FOR UPDATE OF o SKIP LOCKED`, [outboxId, ctx.clock.now()]);
    if (!row) return 'skipped';
    return (await tryDelivery(ctx, tx, row, deliver)) ? 'delivered' : 'failed';
  });
}

/** Outbox messages due for delivery (ids and attempt numbers), oldest first, without locking them. */
export async function dueOutbox(ctx: EngineContext, limit = DISPATCH_BATCH_MAX): Promise<{ id: bigint; attempts: number }[]> {
  return ctx.db.query<{ id: bigint; attempts: number }>(
    `SELECT id, attempts FROM outbox WHERE state = 'PENDING' AND next_attempt_at <= $1 ORDER BY id LIMIT $2`, [ctx.clock.now(), limit]);
}

/** A delivery attempt's outcome: made, or the error's detail. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** One delivery attempt of a locked row, not yet recorded. */
async function attemptDelivery(tx: Queryable, row: DueRow, deliver: Deliver, sources?: InboundSources): Promise<Outcome> {
  try {
    const content = await storedContent(tx, { id: row.row_id, sha256: row.sha256, size: row.size_bytes, bytesBase64: row.bytes_base64 }, sources);
    await deliver({
      outboxId: row.id, recipient: row.recipient, messageType: row.message_type, messageId: row.message_id, content,
      fileName: `${row.message_type}_${row.message_id}.xml`,
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.slice(0, 500) };
  }
}

/** One delivery attempt of a locked row, recorded; true when delivered. */
async function tryDelivery(ctx: EngineContext, tx: Queryable, row: DueRow, deliver: Deliver, sources?: InboundSources): Promise<boolean> {
  return recordDelivery(ctx, tx, row, await attemptDelivery(tx, row, deliver, sources));
}

/** An attempt's outcome recorded on its row (delivered, or retried later, or FAILED after the last attempt); true when delivered. */
async function recordDelivery(ctx: EngineContext, tx: Queryable, row: DueRow, outcome: Outcome): Promise<boolean> {
  const attempt = row.attempts + 1;
  if (outcome.ok) {
    crashPoint('dispatch.after-deliver');
    await tx.query("UPDATE outbox SET state = 'DELIVERED', attempts = $2, delivered_at = now(), last_error = NULL WHERE id = $1", [row.id, attempt]);
    await tx.query('INSERT INTO deliveries (outbox_id, attempt, ok) VALUES ($1, $2, true)', [row.id, attempt]);
    return true;
  }
  const detail = outcome.detail;
  const delay = Math.min(RETRY_BASE_MS * 2 ** (attempt - 1), RETRY_DELAY_MS_MAX);
  await tx.query(`UPDATE outbox SET attempts = $2::int, last_error = $3, state = CASE WHEN $2::int >= $5::int THEN 'FAILED' ELSE 'PENDING' END,
                    next_attempt_at = $4 WHERE id = $1`,
  [row.id, attempt, detail, new Date(ctx.clock.now().getTime() + delay), DELIVERY_ATTEMPTS_MAX]);
  await tx.query('INSERT INTO deliveries (outbox_id, attempt, ok, detail) VALUES ($1, $2, false, $3)', [row.id, attempt, detail]);
  // A delivery given up (final) is an operator alert, queued with the FAILED state it records.
  await raiseEvent(ctx, tx, { event: 'delivery.failed', outboxId: row.id, recipient: row.recipient, messageId: row.message_id, attempt,
    final: attempt >= DELIVERY_ATTEMPTS_MAX, reason: detail });
  return false;
}
