/**
 * Dead letters: queue jobs that BullMQ gave up on — a delivered file whose bank consumer failed every
 * attempt (attemptsMade >= attempts, after exponential backoff), an inbound file with a corrupt
 * payload, or one that stalled more than the allowed number of times. Each is recorded once in the
 * database table dead_letters (unique queue + job id), where operators see them with
 * `clearhouse dead-letters`; the job itself stays in Redis's failed set (queueLimits.keepFailedSeconds)
 * for inspection and a manual retry.
 *
 * The DeadLetterRecorder learns of failures two ways, and both write with the same idempotent insert:
 * - BullMQ's `failed` queue event (QueueEvents; it is emitted only when a job reaches the failed set,
 *   not on an attempt that will be retried), so a dead letter shows up within moments;
 * - a sweep of each queue's failed set at start and whenever `sweep()` is called, which catches
 *   failures that happened while no recorder was listening (the switch was down, the event stream
 *   was trimmed).
 */
import { Queue, QueueEvents, type ConnectionOptions, type Job } from 'bullmq';
import type { Queryable } from '../switch/store/database.ts';
import { decodePayload, DEFAULT_PREFIX, participantOfQueue } from './queue.ts';

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

/** The dead letter of a failed job of queue `queueName` (participant from the name, file from the payload). */
export function deadLetterOf(prefix: string, queueName: string, job: Pick<Job, 'id' | 'data' | 'attemptsMade' | 'failedReason' | 'finishedOn'>): DeadLetterEntry {
  const participant = participantOfQueue(queueName);
  if (participant === undefined) throw new Error(`dead letters: ${queueName} is not a participant queue`);
  const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<string, unknown>;
  const decoded = decodePayload(job.data);
  return {
    queue: `${prefix}:${queueName}`, jobId: String(job.id), participant,
    fileName: typeof data.fileName === 'string' ? data.fileName.slice(0, 255) : null,
    // The digest the producer declared; a corrupt payload is exactly the case where it may not match.
    payloadSha256: decoded.ok ? decoded.sha256 : typeof data.sha256 === 'string' ? data.sha256.slice(0, 64) : null,
    attempts: job.attemptsMade,
    lastError: job.failedReason ?? null,
    failedAt: new Date(job.finishedOn ?? Date.now()),
  };
}

export interface DeadLetterRecorderOptions {
  readonly db: Queryable;
  readonly connection: ConnectionOptions;
  readonly prefix?: string;
  /** Queue names to watch, e.g. every participant's `in-<BIC>` and `out-<BIC>` (participantQueues). */
  readonly queueNames: readonly string[];
  /** Subscribe to failed events (one Redis connection per queue); sweeps alone when false. Default true. */
  readonly watch?: boolean;
  readonly onError?: (error: unknown) => void;
}

/** Both queues of every participant. */
export function participantQueues(bics: readonly string[]): string[] {
  return bics.flatMap((bic) => [`in-${bic}`, `out-${bic}`]);
}

export class DeadLetterRecorder {
  private readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly events: QueueEvents[] = [];
  /** Recordings under way (from events), so close() and tests can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: DeadLetterRecorderOptions) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    for (const name of options.queueNames) {
      if (participantOfQueue(name) === undefined) throw new Error(`dead letters: ${name} is not a participant queue`);
    }
  }

  /** Subscribes to failures, then sweeps what failed before (subscribing first leaves no gap). */
  async start(): Promise<void> {
    const { connection } = this.options;
    for (const name of this.options.queueNames) {
      const queue = new Queue(name, { connection, prefix: this.prefix });
      queue.on('error', (error) => this.reportError(error));
      this.queues.set(name, queue);
      if (this.options.watch === false) continue;
      const events = new QueueEvents(name, { connection, prefix: this.prefix });
      events.on('error', (error) => this.reportError(error));
      events.on('failed', ({ jobId }) => this.track(this.recordJob(name, jobId)));
      this.events.push(events);
      await events.waitUntilReady();
    }
    await this.sweep();
  }

  /** Records every job in the watched queues' failed sets; returns how many rows were written. */
  async sweep(): Promise<number> {
    let written = 0;
    for (const [name, queue] of this.queues) {
      for (const job of await queue.getFailed(0, deadLetterLimits.sweepJobCountMax - 1)) {
        if (job && (await recordDeadLetter(this.options.db, deadLetterOf(this.prefix, name, job)))) written++;
      }
    }
    return written;
  }

  /** Resolves when the recordings started by events so far are written. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    for (const events of this.events) await events.close();
    await this.idle();
    for (const queue of this.queues.values()) await queue.close();
  }

  private async recordJob(name: string, jobId: string): Promise<void> {
    const job = await this.queues.get(name)!.getJob(jobId);
    // Gone already (removed by an operator) or retried since the event: the sweep has the final word.
    if (!job || (await job.getState()) !== 'failed') return;
    await recordDeadLetter(this.options.db, deadLetterOf(this.prefix, name, job));
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.reportError(error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private reportError(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else console.error('dead letters:', error);
  }
}
