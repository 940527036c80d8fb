/**
 * The dead_letters table: queue jobs BullMQ gave up on, recorded once each by the transport's
 * DeadLetterRecorder (connectors/dead-letters.ts) and listed by `clearhouse dead-letters`.
 */
import type { Queryable } from './database.ts';

export const deadLetterLimits = {
  /** Failed jobs read per queue per sweep (newest first). Older ones were recorded by earlier sweeps
   * or events; a queue with more failures than this between two sweeps is an incident in itself. */
  sweepJobCountMax: 1_000,
  /** Rows `listDeadLetters` returns by default. */
  listCountMax: 1_000,
  /** Characters of the last error kept (stack traces are in Redis). */
  errorLengthMax: 2_000,
} as const;

export interface DeadLetterEntry {
  /** The queue with its prefix, e.g. `clearhouse:out-BANKFRPPXXX`: where the failed job is in Redis. */
  readonly queue: string;
  readonly jobId: string;
  readonly participant: string;
  readonly fileName: string | null;
  readonly payloadSha256: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly failedAt: Date;
}

export interface DeadLetter extends DeadLetterEntry {
  readonly id: bigint;
  readonly recordedAt: Date;
}

/**
 * Records a dead letter once per (queue, job id). The same failure recorded again (an event and a
 * sweep, two recorders) changes nothing; a later failure of the same job (an operator retried it)
 * updates the row. Returns true when a row was written.
 */
export async function recordDeadLetter(db: Queryable, entry: DeadLetterEntry): Promise<boolean> {
  const rows = await db.query<{ id: bigint }>(
    `INSERT INTO dead_letters (queue, job_id, participant, file_name, payload_sha256, attempts, last_error, failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (queue, job_id) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
       failed_at = EXCLUDED.failed_at, recorded_at = now()
     WHERE dead_letters.failed_at < EXCLUDED.failed_at
     RETURNING id`,
    [entry.queue, entry.jobId, entry.participant, entry.fileName, entry.payloadSha256, entry.attempts,
      entry.lastError?.slice(0, deadLetterLimits.errorLengthMax) ?? null, entry.failedAt]);
  return rows.length > 0;
}

/** Dead letters, newest failure first. */
export async function listDeadLetters(db: Queryable, options: { readonly limit?: number } = {}): Promise<DeadLetter[]> {
  const rows = await db.query<{
    id: bigint; queue: string; job_id: string; participant: string; file_name: string | null; payload_sha256: string | null;
    attempts: number; last_error: string | null; failed_at: Date; recorded_at: Date;
  }>('SELECT * FROM dead_letters ORDER BY failed_at DESC, id DESC LIMIT $1', [options.limit ?? deadLetterLimits.listCountMax]);
  return rows.map((r) => ({
    id: r.id, queue: r.queue, jobId: r.job_id, participant: r.participant, fileName: r.file_name, payloadSha256: r.payload_sha256,
    attempts: r.attempts, lastError: r.last_error, failedAt: new Date(r.failed_at), recordedAt: new Date(r.recorded_at),
  }));
}
