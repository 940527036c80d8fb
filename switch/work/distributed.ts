/**
 * `clearhouse serve` in Redis mode: the switch's recurring work as BullMQ jobs that any number of serve
 * processes, on any machines, share. The database stays the single source of truth; Redis only says
 * who does what next, so losing Redis loses no payment (the outbox and the mailboxes still hold
 * everything) and a job done twice changes nothing.
 *
 * Queue `work` (prefix `clearhouse`), filled by BullMQ Job Schedulers that every process upserts (an
 * upsert with the same id is one scheduler, however many processes start):
 *
 *   poll     one per participant, every POLL_MS: take the participant's inbound files from its connector
 *            (verify, store, clear — intake and processing), then acknowledge them. A Redis lease per
 *            participant keeps two processes from working one mailbox at the same time.
 *   relay    every RELAY_MS: for each outbox message that is due, add a `deliver` job with the id
 *            `deliver-<outbox id>-<attempt>`. BullMQ ignores an add whose id exists, so however many
 *            relays see a message there is one job per delivery attempt.
 *   deliver  deliver one outbox message through its recipient's connector (dispatchOne: the row is
 *            locked with SKIP LOCKED and re-checked, so a stale or repeated job is a no-op). A failed
 *            attempt is recorded with its backoff in the outbox row; the relay adds the next attempt's
 *            job when it falls due. The retry policy lives in one place (the dispatcher), not two.
 *   sweep    every SWEEP_MS: real-time confirmations past their timeout, recall cases past deadline,
 *            cycles whose netting or settlement instruction step failed (carried on again).
 *
 * Cut-offs (netting triggers) run through their own job scheduler, batch/scheduler.ts BullmqScheduler.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Engine } from '../engine/engine.ts';
import type { Deliver } from '../engine/transport.ts';
import { toLogger, type LogSink, type Logger } from '../log.ts';

/** Periods and bounds of the distributed work, named once with their reasons. */
export const workLimits = {
  /** How often each participant's inbound is looked at: short enough for real-time traffic. */
  pollMs: 200,
  /** How often due outbox messages are turned into deliver jobs. */
  relayMs: 200,
  sweepMs: 1_000,
  /** Outbox rows turned into jobs per relay run; the next run takes the rest. */
  relayBatchMax: 500,
  /** Jobs one process runs at once: deliveries and polls wait on I/O, not CPU. */
  concurrency: 8,
  /** A poll lease outlives any sane poll; if its holder dies the mailbox is free again after this. */
  pollLeaseMs: 120_000,
  /** Failed jobs kept for operators to look at (BullMQ), seconds. */
  keepFailedSeconds: 86_400,
  /** How often each process checks that the job schedulers still exist in Redis: a Redis that came
   * back without its data (no persistence, a failover to a lagging replica) would otherwise leave
   * every process idle, waiting for jobs nobody makes. */
  ensureSchedulersMs: 5_000,
} as const;

export const WORK_QUEUE = 'work';
const DEFAULT_PREFIX = 'clearhouse';

export interface DistributedWorkOptions {
  readonly engine: Engine;
  readonly connection: ConnectionOptions;
  readonly prefix?: string;
  readonly participants: readonly string[];
  /** Take one participant's inbound files (verify, submit, acknowledge). */
  readonly takeInbound: (participant: string) => Promise<void>;
  readonly deliver: Deliver;
  readonly log: LogSink;
  /**
   * The database outage of this process (switch/store/availability.ts): a job that failed because
   * the database is unreachable is reported there (one log line per backoff step, not one per job)
   * and not failed in BullMQ: the next scheduled poll, relay or sweep tries again, and the relay adds
   * a delivery again while its outbox row is still due.
   */
  readonly outage?: { failed(error: unknown, what: string): number | undefined; succeeded(): void };
  /** Test hook: overrides of workLimits' periods. */
  readonly periods?: { readonly pollMs?: number; readonly relayMs?: number; readonly sweepMs?: number };
}

type WorkJob = Job<{ participant?: string; outboxId?: string }>;

export class DistributedWork {
  private queue: Queue | undefined;
  private worker: Worker | undefined;
  private leases: Redis | undefined;
  private ensureTimer: NodeJS.Timeout | undefined;
  private ensuring: Promise<void> | undefined;
  /** Identifies this process's poll leases (only the holder releases one). */
  private readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly log: Logger;
  /** The counterparties whose inbound this work polls: the register's participants, changed by setParticipants. */
  private participants: readonly string[];

  constructor(private readonly options: DistributedWorkOptions) {
    this.log = toLogger(options.log);
    this.participants = options.participants;
  }

  /**
   * The scheme register changed (a participant added or retired while serve runs): poll schedulers are
   * created for the new counterparties and removed for those gone, shared by every process.
   */
  async setParticipants(participants: readonly string[]): Promise<void> {
    this.participants = [...participants];
    if (this.queue === undefined) return;
    await this.upsertSchedulers(this.queue);
    await this.removeStalePolls(this.queue);
  }

  private async removeStalePolls(queue: Queue): Promise<void> {
    for (const scheduler of await queue.getJobSchedulers()) {
      const id = scheduler.key ?? scheduler.id;
      if (typeof id === 'string' && id.startsWith('poll-') && !this.participants.includes(id.slice('poll-'.length))) await queue.removeJobScheduler(id);
    }
  }

  async start(): Promise<void> {
    const { connection, prefix = DEFAULT_PREFIX } = this.options;
    const queue = new Queue(WORK_QUEUE, { connection, prefix });
    this.queue = queue;
    queue.on('error', (error) => this.log.error({ err: error }, `work queue: ${error.message}`));
    await queue.waitUntilReady();
    await this.upsertSchedulers(queue);
    // Participants removed from the configuration stop being polled.
    await this.removeStalePolls(queue);
    this.leases = new Redis(connection as RedisOptions);
    const worker = new Worker(WORK_QUEUE, (job: WorkJob) => this.guarded(job), { connection, prefix, concurrency: workLimits.concurrency });
    this.worker = worker;
    worker.on('error', (error) => this.log.error({ err: error }, `work worker: ${error.message}`));
    worker.on('failed', (job, error) => this.log.error({ job: job?.name, jobId: job?.id, participant: job?.data.participant, err: error },
      `work job ${job?.name ?? '?'} ${job?.id ?? ''} failed: ${error.message}`));
    await worker.waitUntilReady();
    this.ensureTimer = setInterval(() => {
      this.ensuring ??= this.ensureSchedulers(queue)
        .catch((error: Error) => this.log.error({ err: error }, `work schedulers: ${error.message}`))
        .finally(() => { this.ensuring = undefined; });
    }, workLimits.ensureSchedulersMs);
  }

  /** Stops taking jobs; resolves once the jobs this process is running have finished. */
  async stop(): Promise<void> {
    clearInterval(this.ensureTimer);
    await this.ensuring;
    await this.worker?.close();
    await this.queue?.close();
    this.leases?.disconnect();
  }

  /** One scheduler per id, however many processes upsert it. */
  private async upsertSchedulers(queue: Queue): Promise<void> {
    const periods = { ...workLimits, ...this.options.periods };
    const keep = { removeOnComplete: true, removeOnFail: { age: workLimits.keepFailedSeconds } };
    for (const participant of this.participants) {
      await queue.upsertJobScheduler(`poll-${participant}`, { every: periods.pollMs }, { name: 'poll', data: { participant }, opts: keep });
    }
    await queue.upsertJobScheduler('relay', { every: periods.relayMs }, { name: 'relay', data: {}, opts: keep });
    await queue.upsertJobScheduler('sweep', { every: periods.sweepMs }, { name: 'sweep', data: {}, opts: keep });
  }

  private async ensureSchedulers(queue: Queue): Promise<void> {
    const ids = ['relay', 'sweep', ...this.participants.map((p) => `poll-${p}`)];
    const present = await Promise.all(ids.map((id) => queue.getJobScheduler(id)));
    if (present.every((scheduler) => scheduler !== undefined && scheduler !== null)) return;
    this.log.warn({}, 'work schedulers missing from Redis (restarted without its data?): re-created');
    await this.upsertSchedulers(queue);
  }

  /** A job, with an unreachable database reported to the outage instead of failing the job. */
  private async guarded(job: WorkJob): Promise<void> {
    try {
      await this.process(job);
    } catch (error) {
      if (this.options.outage?.failed(error, `work job ${job.name}`) === undefined) throw error;
      return;
    }
    this.options.outage?.succeeded();
  }

  private async process(job: WorkJob): Promise<void> {
    switch (job.name) {
      case 'poll': return this.poll(job.data.participant!);
      case 'relay': return this.relay();
      case 'deliver': return this.deliverOne(BigInt(job.data.outboxId!));
      case 'sweep': {
        const swept = await this.options.engine.sweep();
        if (swept.timedOut + swept.expiredCases > 0) this.log.info({ timedOut: swept.timedOut, expiredCases: swept.expiredCases }, 'sweep');
        return;
      }
      default: throw new Error(`unexpected job ${job.name} in the work queue`);
    }
  }

  private async poll(participant: string): Promise<void> {
    const key = `${this.options.prefix ?? DEFAULT_PREFIX}:lease:poll:${participant}`;
    const taken = await this.leases!.set(key, this.owner, 'PX', workLimits.pollLeaseMs, 'NX');
    if (taken !== 'OK') return; // another process is working this mailbox right now
    try {
      await this.options.takeInbound(participant);
    } finally {
      // Release only our own lease (compare-and-delete), never one another process took after expiry.
      await this.leases!.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, this.owner);
    }
  }

  private async relay(): Promise<void> {
    const due = await this.options.engine.dueOutbox(workLimits.relayBatchMax);
    if (due.length === 0) return;
    await this.queue!.addBulk(due.map((row) => ({
      name: 'deliver', data: { outboxId: row.id.toString() },
      opts: { jobId: `deliver-${row.id}-${row.attempts}`, removeOnComplete: true, removeOnFail: { age: workLimits.keepFailedSeconds } },
    })));
  }

  private async deliverOne(outboxId: bigint): Promise<void> {
    const outcome = await this.options.engine.dispatchOne(outboxId, this.options.deliver);
    if (outcome !== 'skipped') this.log.info({ outboxId }, `deliver outbox ${outboxId}: ${outcome}`);
  }
}
