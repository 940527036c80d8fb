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
import { deadLetterLimits, recordDeadLetter, type DeadLetterEntry } from '../switch/store/dead-letters.ts';
import { decodePayload, DEFAULT_PREFIX, participantOfQueue } from './queue.ts';

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
