/**
 * Cut-off scheduling: calls `onCutOff` once for each cycle cut-off, in order, at (or right after) its
 * instant. Two implementations of one interface:
 *
 * - `TimerScheduler` (embedded mode): in-process timers of the injected clock (switch/clock.ts), so a
 *   test runs a whole business day in milliseconds, and a process under CLEARHOUSE_CLOCK cuts off at
 *   its clock's cut-off instants. After a restart the caller passes the last cut-off it handled, and
 *   every cut-off missed while the process was down fires at once, in order, before the timers resume.
 * - `BullmqScheduler` (Redis mode, several switch processes): a BullMQ Job Scheduler puts a "tick" job
 *   into the queue `clearhouse:cutoff` (prefix `clearhouse`, queue `cutoff`) at each cut-off instant;
 *   the worker that takes a tick adds one "cutoff" job per due cut-off with the job id
 *   `cutoff-<businessDate>-<sequence>`. BullMQ ignores an add whose job id exists, so however many
 *   processes see the same tick (or catch up the same missed cut-offs) there is one job per cut-off,
 *   and one worker holds its lock. Global concurrency 1 keeps the handling in queue order. BullMQ times
 *   its jobs by the system clock: under a simulated clock (a `RunningClock` with an offset or speed)
 *   the tick instants are translated to system time and back.
 *
 * Delivery is exactly once while processes stay up. If a process dies while its handler runs, BullMQ
 * hands the job to another worker after the lock expires (stalled job), so `onCutOff` must be
 * idempotent — closing a cycle is a state transition (OPEN → CUT_OFF) that is a no-op the second time.
 *
 * Which instants are cut-offs comes from a `CutOffSchedule`; `calendarSchedule` builds it from the
 * scheme's calendar and cycles (batch/calendar.ts), and tests use synthetic ones seconds apart.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { CalendarConfig } from '../switch/config.ts';
import { systemClock, type Clock, type RunningClock } from '../switch/clock.ts';
import { cycleFor, type CycleCutOff } from './calendar.ts';

export type { CycleCutOff } from './calendar.ts';

export type CutOffHandler = (cycle: CycleCutOff) => Promise<void>;

export interface CutOffScheduler {
  /** Resolves once missed cut-offs (if any) are handled and the next one is armed. */
  start(onCutOff: CutOffHandler): Promise<void>;
  /** Stops arming cut-offs; resolves after a handler that is running has finished. */
  stop(): Promise<void>;
}

/** Where cut-offs fall. `nextAfter(t)` is the first cut-off strictly after t, undefined when none. */
export interface CutOffSchedule {
  /** Identifies the schedule (zone, roll, cycles, closed days); a changed key replaces the Redis job scheduler. */
  readonly key: string;
  nextAfter(epochMs: number): CycleCutOff | undefined;
}

/** The scheme's cut-offs: each configured cycle time on each business day of the calendar. */
export function calendarSchedule(calendar: CalendarConfig, cycles: readonly string[]): CutOffSchedule {
  return {
    key: `clearhouse-cutoffs ${JSON.stringify({ ...calendar, cycles })}`,
    nextAfter: (epochMs) => cycleFor(epochMs, calendar, cycles),
  };
}

/** Limits of the schedulers, named once with their reasons. */
export const schedulerLimits = {
  /** Missed cut-offs handled after a restart. A year of three cycles a day is ~780; past this the
   * outage is an operations incident, not something to replay silently. */
  catchUpCutOffCountMax: 1_000,
  /** Longest single timer. Timers re-check the clock at least this often, so a wall-clock step (NTP,
   * a suspended VM) delays a cut-off by at most a minute, and Node's 24.8-day timer ceiling is never met. */
  timerDelayMsMax: 60_000,
  /** Wait before calling a failed handler again for the same cut-off (the cut-off must happen; the
   * next one waits behind it so that order holds). */
  retryDelayMs: 5_000,
  /** Attempts of a cutoff job in Redis mode before BullMQ marks it failed (1 s, 2 s, 4 s … ≈ 17 min). */
  bullmqAttemptsMax: 10,
  bullmqBackoffMs: 1_000,
  /** Completed cutoff jobs are kept this long, so re-adding a handled cut-off (a catch-up after a
   * restart) is recognised as a duplicate. Longer than any plausible outage. */
  bullmqKeepCompletedSeconds: 35 * 24 * 3600,
  bullmqKeepCompletedCountMax: 10_000,
  bullmqKeepTickCountMax: 100,
  /** How often each process checks that the cut-off job scheduler still exists in Redis. A Redis
   * that came back without its data has lost it; it is re-created and the cut-offs that fell due in
   * the gap are added (closing a cycle is idempotent, so one handled before the loss is a no-op). */
  bullmqEnsureSchedulerMs: 30_000,
} as const;

// ---- embedded mode -------------------------------------------------------------------------

export type { Clock } from '../switch/clock.ts';
export { systemClock } from '../switch/clock.ts';

export interface TimerSchedulerOptions {
  readonly schedule: CutOffSchedule;
  readonly clock?: Clock;
  /** The last cut-off the caller handled before this start (from its cycle store); later ones up to now fire at start. */
  readonly lastFiredCutOff?: Date;
  /** Called when a handler fails; the same cut-off is retried after `schedulerLimits.retryDelayMs`. */
  readonly onError?: (error: unknown, cycle: CycleCutOff) => void;
}

export class TimerScheduler implements CutOffScheduler {
  private readonly clock: Clock;
  private handler: CutOffHandler | undefined;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The cut-off instant last handled: the next one is the first strictly after it. */
  private cursorMs = 0;

  constructor(private readonly options: TimerSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(onCutOff: CutOffHandler): Promise<void> {
    if (this.handler !== undefined) throw new Error('TimerScheduler: already started');
    this.handler = onCutOff;
    const now = this.clock.now().getTime();
    const last = this.options.lastFiredCutOff?.getTime();
    if (last !== undefined && last > now) throw new Error('TimerScheduler: lastFiredCutOff is in the future');
    this.cursorMs = last ?? now;
    await this.catchUp(now);
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  /** Fires, in order, the cut-offs after the cursor that are already due. */
  private async catchUp(now: number): Promise<void> {
    for (let count = 0; !this.stopped; count += 1) {
      const next = this.options.schedule.nextAfter(this.cursorMs);
      if (next === undefined || next.cutOffAt.getTime() > now) return;
      if (count >= schedulerLimits.catchUpCutOffCountMax) {
        throw new Error(`TimerScheduler: more than ${schedulerLimits.catchUpCutOffCountMax} missed cut-offs since ${new Date(this.cursorMs).toISOString()}`);
      }
      if (!(await this.fire(next))) return;
    }
  }

  /** Calls the handler; true when it succeeded and the cursor moved past the cut-off. */
  private async fire(cycle: CycleCutOff): Promise<boolean> {
    const handler = this.handler!;
    const running = Promise.resolve().then(() => handler(cycle)); // a synchronous throw becomes a rejection
    this.running = running.catch(() => undefined);
    try {
      await running;
      this.cursorMs = cycle.cutOffAt.getTime();
      return true;
    } catch (error) {
      this.options.onError?.(error, cycle);
      return false;
    } finally {
      this.running = undefined;
    }
  }

  /** Arms a timer towards `next` (by default the first cut-off after the cursor). */
  private arm(next = this.options.schedule.nextAfter(this.cursorMs)): void {
    if (this.stopped || next === undefined) return;
    const delay = Math.min(Math.max(0, next.cutOffAt.getTime() - this.clock.now().getTime()), schedulerLimits.timerDelayMsMax);
    this.cancelTimer = this.clock.setTimer(delay, () => void this.wake(next));
  }

  private async wake(next: CycleCutOff): Promise<void> {
    this.cancelTimer = undefined;
    if (this.stopped) return;
    // Timers may fire early (or the clock may have been set back): re-arm until the instant is reached.
    if (this.clock.now().getTime() < next.cutOffAt.getTime()) return this.arm(next);
    const fired = await this.fire(next);
    if (this.stopped) return;
    if (!fired) {
      this.cancelTimer = this.clock.setTimer(schedulerLimits.retryDelayMs, () => void this.wake(next));
      return;
    }
    // A slow handler may have run past later cut-offs: they are due now and fire at once.
    this.arm();
  }
}

// ---- Redis mode ----------------------------------------------------------------------------

export interface BullmqSchedulerOptions {
  readonly connection: ConnectionOptions;
  readonly schedule: CutOffSchedule;
  /** Redis key prefix; with the queue name it makes the keys `clearhouse:cutoff:*`. */
  readonly prefix?: string;
  readonly lastFiredCutOff?: Date;
  readonly onError?: (error: unknown) => void;
  /** The switch's clock (default the system clock); one that runs with the system clock, as BullMQ does. */
  readonly clock?: RunningClock;
  /** Test hook: overrides schedulerLimits.bullmqEnsureSchedulerMs. */
  readonly ensureEveryMs?: number;
}

const QUEUE_NAME = 'cutoff';
const SCHEDULER_ID = 'clearhouse-cutoff';
const TICK = 'tick';
const CUT_OFF = 'cutoff';

interface CutOffJobData {
  readonly businessDate: string;
  readonly sequence: number;
  readonly cutOffAtMs: number;
}

/** The job id of a cut-off: the same in every process, so a second add is a no-op. */
export function cutOffJobId(cycle: Pick<CycleCutOff, 'businessDate' | 'sequence'>): string {
  return `cutoff-${cycle.businessDate}-${cycle.sequence}`;
}

export class BullmqScheduler implements CutOffScheduler {
  private queue: Queue | undefined;
  private worker: Worker | undefined;
  private ensureTimer: NodeJS.Timeout | undefined;
  private ensuring: Promise<void> | undefined;
  private readonly clock: RunningClock;
  /** The latest cut-off instant this process knows was due (handled here, or the start time). */
  private knownUpTo: number;
  /** The job scheduler's pattern: the schedule, and the clock when it is not the system clock. */
  private readonly pattern: string;

  constructor(private readonly options: BullmqSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.knownUpTo = this.clock.now().getTime();
    const { startMs, wallAtStartMs, speed } = this.clock;
    this.pattern = this.clock.isSystem ? options.schedule.key : `${options.schedule.key} clock ${JSON.stringify({ startMs, wallAtStartMs, speed })}`;
  }

  /** The system-clock instant (whole ms, as BullMQ keeps them) at which the clock reaches a cut-off. */
  private wallMsOf(cycle: CycleCutOff): number {
    return Math.ceil(this.clock.toWallMs(cycle.cutOffAt.getTime()));
  }

  async start(onCutOff: CutOffHandler): Promise<void> {
    if (this.queue !== undefined) throw new Error('BullmqScheduler: already started');
    const { connection, prefix = 'clearhouse', schedule } = this.options;
    // The Job Scheduler asks this strategy for the instant after each tick; the queue (first job) and
    // the worker (each next job) both need it. BullMQ's instants are the system clock's.
    const settings = {
      repeatStrategy: (millis: number) => {
        const next = schedule.nextAfter(this.clock.fromWallMs(millis));
        return next === undefined ? undefined : this.wallMsOf(next);
      },
    };
    const queue = new Queue(QUEUE_NAME, { connection, prefix, settings });
    this.queue = queue;
    queue.on('error', (error) => this.reportError(error));
    await queue.waitUntilReady();
    await queue.setGlobalConcurrency(1);
    await this.ensureJobScheduler(queue);
    const last = this.options.lastFiredCutOff?.getTime();
    if (last !== undefined) await this.addDueCutOffs(queue, schedule.nextAfter(last), this.clock.now().getTime());
    const worker = new Worker(QUEUE_NAME, (job) => this.process(job, onCutOff), { connection, prefix, settings, concurrency: 1 });
    this.worker = worker;
    worker.on('error', (error) => this.reportError(error));
    worker.on('failed', (job, error) => this.reportError(new Error(`cut-off job ${job?.id ?? '?'} failed: ${error.message}`, { cause: error })));
    await worker.waitUntilReady();
    this.ensureTimer = setInterval(() => {
      this.ensuring ??= this.ensureAfterLoss(queue).catch((error) => this.reportError(error)).finally(() => { this.ensuring = undefined; });
    }, this.options.ensureEveryMs ?? schedulerLimits.bullmqEnsureSchedulerMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.ensureTimer);
    await this.ensuring;
    await this.worker?.close();
    await this.queue?.close();
  }

  /** Creates the job scheduler, or replaces it when the schedule changed or its next tick is missing. */
  private async ensureJobScheduler(queue: Queue): Promise<void> {
    const existing = await queue.getJobScheduler(SCHEDULER_ID);
    const pendingId = existing?.next ? `repeat:${SCHEDULER_ID}:${existing.next}` : undefined;
    const pending = pendingId === undefined ? undefined : await queue.getJob(pendingId);
    if (existing?.pattern === this.pattern && pending !== undefined) return;
    // The pattern field only carries the schedule key: the repeat strategy above computes the instants.
    await queue.upsertJobScheduler(SCHEDULER_ID, { pattern: this.pattern }, {
      name: TICK,
      data: {},
      opts: { removeOnComplete: schedulerLimits.bullmqKeepTickCountMax, removeOnFail: schedulerLimits.bullmqKeepTickCountMax },
    });
  }

  /** The job scheduler gone (Redis lost its data): re-create it and add the cut-offs due since known. */
  private async ensureAfterLoss(queue: Queue): Promise<void> {
    if (await queue.getJobScheduler(SCHEDULER_ID)) return;
    this.reportError(new Error('cut-off job scheduler missing from Redis (restarted without its data?): re-created, missed cut-offs added'));
    await this.ensureJobScheduler(queue);
    await this.addDueCutOffs(queue, this.options.schedule.nextAfter(this.knownUpTo), this.clock.now().getTime());
  }

  private async process(job: Job, onCutOff: CutOffHandler): Promise<void> {
    if (job.name === TICK) return this.onTick(job);
    if (job.name !== CUT_OFF) throw new Error(`unexpected job ${job.name} in the cut-off queue`);
    const data = job.data as CutOffJobData;
    await onCutOff({ businessDate: data.businessDate, sequence: data.sequence, cutOffAt: new Date(data.cutOffAtMs) });
    this.knownUpTo = Math.max(this.knownUpTo, data.cutOffAtMs);
  }

  /**
   * A tick for the cut-off at `millis`: add that cut-off and any later ones already due (ticks that
   * were not produced while every process was down).
   */
  private async onTick(job: Job): Promise<void> {
    const millis = job.opts.prevMillis ?? Number(String(job.id).split(':').pop());
    if (!Number.isFinite(millis)) throw new Error(`tick ${job.id} names no instant`);
    // `millis` is system time, rounded up to the ms from the cut-off's instant (wallMsOf): the cut-off
    // is the first one after the instant a millisecond earlier.
    const first = this.options.schedule.nextAfter(this.clock.fromWallMs(millis - 1));
    // The tick's own cut-off is added even if this machine's clock is a little behind the producer's.
    const clockNow = this.clock.now().getTime();
    const now = first !== undefined && this.wallMsOf(first) === millis ? Math.max(clockNow, first.cutOffAt.getTime()) : clockNow;
    await this.addDueCutOffs(this.queue!, first, now);
  }

  /** Adds a cutoff job for `first` and each following cut-off up to `now`, in order. */
  private async addDueCutOffs(queue: Queue, first: CycleCutOff | undefined, now: number): Promise<void> {
    let cycle = first;
    for (let count = 0; cycle !== undefined && cycle.cutOffAt.getTime() <= now; count += 1) {
      if (count >= schedulerLimits.catchUpCutOffCountMax) {
        throw new Error(`BullmqScheduler: more than ${schedulerLimits.catchUpCutOffCountMax} cut-offs to catch up`);
      }
      const data: CutOffJobData = { businessDate: cycle.businessDate, sequence: cycle.sequence, cutOffAtMs: cycle.cutOffAt.getTime() };
      await queue.add(CUT_OFF, data, {
        jobId: cutOffJobId(cycle),
        attempts: schedulerLimits.bullmqAttemptsMax,
        backoff: { type: 'exponential', delay: schedulerLimits.bullmqBackoffMs },
        removeOnComplete: { age: schedulerLimits.bullmqKeepCompletedSeconds, count: schedulerLimits.bullmqKeepCompletedCountMax },
        removeOnFail: { age: schedulerLimits.bullmqKeepCompletedSeconds },
      });
      cycle = this.options.schedule.nextAfter(cycle.cutOffAt.getTime());
    }
  }

  private reportError(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else console.error('cut-off scheduler:', error);
  }
}
