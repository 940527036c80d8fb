import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { deleteKeys, RedisServer } from '../support/redis-server.ts';
import { redisConnection } from '../../connectors/registry.ts';
import {
  BullmqScheduler, TimerScheduler, calendarSchedule, cutOffJobId, schedulerLimits, systemClock,
  type Clock, type CutOffSchedule, type CycleCutOff,
} from '../../batch/scheduler.ts';
import type { CalendarConfig } from '../../switch/config.ts';
import { RunningClock } from '../../switch/clock.ts';

const berlin: CalendarConfig = {
  timeZone: 'Europe/Berlin', cycleDayRollTime: '16:00', holidays: ['2026-12-25', '2026-12-26'], weekendDays: [6, 0],
};
const schedule = calendarSchedule(berlin, ['10:00', '13:00', '16:00']);

/** A clock whose time moves only when the test says so; due timers run in time order. */
class FakeClock implements Clock {
  private timers: Array<{ at: number; order: number; fn: () => void }> = [];
  private order = 0;
  wakeCount = 0;
  constructor(public nowMs: number) {}
  now(): Date {
    return new Date(this.nowMs);
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.nowMs + ms, order: this.order++, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((t) => t !== timer); };
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  /** Runs every timer due up to `target` (bounded), letting the handlers' promises settle in between. */
  async runUntil(target: number | string): Promise<void> {
    const end = typeof target === 'string' ? Date.parse(target) : target;
    for (let step = 0; step < 100_000; step += 1) {
      // Handlers here only await promises, so one macrotask turn lets the whole microtask chain run.
      await new Promise((resolve) => setImmediate(resolve));
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      this.wakeCount += 1;
      due.fn();
    }
    await settle();
    this.nowMs = Math.max(this.nowMs, end);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

interface Fired { businessDate: string; sequence: number; cutOffAt: string; firedAt: string }

function recorder(clock: Clock): { fired: Fired[]; handler: (c: CycleCutOff) => Promise<void> } {
  const fired: Fired[] = [];
  return {
    fired,
    handler: async (c) => {
      fired.push({ businessDate: c.businessDate, sequence: c.sequence, cutOffAt: c.cutOffAt.toISOString(), firedAt: clock.now().toISOString() });
    },
  };
}

const at = (businessDate: string, sequence: number, cutOffAt: string, firedAt = cutOffAt): Fired => ({ businessDate, sequence, cutOffAt, firedAt });

describe('TimerScheduler with a fake clock', () => {
  it('a whole business day: three cut-offs, each once, in order, at its instant', async () => {
    const clock = new FakeClock(Date.parse('2026-11-26T06:00:00Z'));
    const scheduler = new TimerScheduler({ schedule, clock });
    const { fired, handler } = recorder(clock);
    await scheduler.start(handler);
    await clock.runUntil('2026-11-27T06:00:00Z');
    await scheduler.stop();
    assert.deepEqual(fired, [
      at('2026-11-26', 1, '2026-11-26T09:00:00.000Z'),
      at('2026-11-26', 2, '2026-11-26T12:00:00.000Z'),
      at('2026-11-26', 3, '2026-11-26T15:00:00.000Z'),
    ]);
    assert.equal(clock.pendingTimers, 0, 'stop cancels the armed timer');
  });

  it('over a weekend and over Christmas nothing fires on closed days', async () => {
    const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z')); // Friday 11:00, after cycle 1
    const scheduler = new TimerScheduler({ schedule, clock });
    const { fired, handler } = recorder(clock);
    await scheduler.start(handler);
    await clock.runUntil('2026-11-30T13:00:00Z');
    assert.deepEqual(fired, [
      at('2026-11-27', 2, '2026-11-27T12:00:00.000Z'),
      at('2026-11-27', 3, '2026-11-27T15:00:00.000Z'),
      at('2026-11-30', 1, '2026-11-30T09:00:00.000Z'),
      at('2026-11-30', 2, '2026-11-30T12:00:00.000Z'),
    ]);
    // Timers are at most a minute long: one wake-up per minute of the 75 hours, and no busy loop.
    assert.ok(clock.wakeCount <= (75 * 3600_000) / schedulerLimits.timerDelayMsMax + 10, `${clock.wakeCount} wake-ups`);
    fired.length = 0;
    await clock.runUntil('2026-12-29T00:00:00Z');
    await scheduler.stop();
    const christmas = fired.filter((f) => f.businessDate >= '2026-12-24').map((f) => `${f.businessDate}#${f.sequence}`);
    assert.deepEqual(christmas, ['2026-12-24#1', '2026-12-24#2', '2026-12-24#3', '2026-12-28#1', '2026-12-28#2', '2026-12-28#3']);
  });

  it('after a restart, the cut-offs missed while down fire at once, in order, then timers resume', async () => {
    const clock = new FakeClock(Date.parse('2026-11-30T10:00:00Z')); // Monday 11:00
    const scheduler = new TimerScheduler({ schedule, clock, lastFiredCutOff: new Date('2026-11-27T12:00:00Z') }); // Friday #2
    const { fired, handler } = recorder(clock);
    await scheduler.start(handler);
    assert.deepEqual(fired, [
      at('2026-11-27', 3, '2026-11-27T15:00:00.000Z', '2026-11-30T10:00:00.000Z'),
      at('2026-11-30', 1, '2026-11-30T09:00:00.000Z', '2026-11-30T10:00:00.000Z'),
    ], 'both missed cut-offs fired during start');
    await clock.runUntil('2026-11-30T12:30:00Z');
    await scheduler.stop();
    assert.deepEqual(fired.slice(2), [at('2026-11-30', 2, '2026-11-30T12:00:00.000Z')]);
  });

  it('a failing handler is retried for the same cut-off; later cut-offs wait behind it', async () => {
    const clock = new FakeClock(Date.parse('2026-11-26T08:00:00Z'));
    const errors: string[] = [];
    const scheduler = new TimerScheduler({ schedule, clock, onError: (_e, c) => errors.push(`${c.businessDate}#${c.sequence}`) });
    const { fired, handler } = recorder(clock);
    let failuresLeft = 2;
    await scheduler.start(async (c) => {
      if (c.sequence === 1 && failuresLeft-- > 0) throw new Error('store unavailable');
      await handler(c);
    });
    await clock.runUntil('2026-11-26T15:30:00Z');
    await scheduler.stop();
    assert.deepEqual(errors, ['2026-11-26#1', '2026-11-26#1']);
    const retriedAt = new Date(Date.parse('2026-11-26T09:00:00Z') + 2 * schedulerLimits.retryDelayMs).toISOString();
    assert.deepEqual(fired, [
      at('2026-11-26', 1, '2026-11-26T09:00:00.000Z', retriedAt),
      at('2026-11-26', 2, '2026-11-26T12:00:00.000Z'),
      at('2026-11-26', 3, '2026-11-26T15:00:00.000Z'),
    ]);
  });

  it('a handler that runs past the next cut-off: the next one fires right after it, none skipped', async () => {
    const clock = new FakeClock(Date.parse('2026-11-26T08:00:00Z'));
    const scheduler = new TimerScheduler({ schedule, clock });
    const { fired, handler } = recorder(clock);
    await scheduler.start(async (c) => {
      await handler(c);
      if (c.sequence === 1) clock.nowMs += 7 * 3600_000; // cycle 1 processing takes until 16:00 local
    });
    await clock.runUntil('2026-11-26T16:30:00Z');
    await scheduler.stop();
    assert.deepEqual(fired.map((f) => [f.sequence, f.firedAt]), [
      [1, '2026-11-26T09:00:00.000Z'], [2, '2026-11-26T16:00:00.000Z'], [3, '2026-11-26T16:00:00.000Z'],
    ]);
  });

  it('refuses a second start and a lastFiredCutOff in the future', async () => {
    const clock = new FakeClock(Date.parse('2026-11-26T08:00:00Z'));
    const scheduler = new TimerScheduler({ schedule, clock });
    await scheduler.start(async () => {});
    await assert.rejects(scheduler.start(async () => {}), /already started/);
    await scheduler.stop();
    const early = new TimerScheduler({ schedule, clock, lastFiredCutOff: new Date('2026-11-26T09:00:00Z') });
    await assert.rejects(early.start(async () => {}), /future/);
  });

  it('runs on the system clock too (synthetic cut-offs 40 ms apart)', async () => {
    const base = Date.now();
    const synthetic = syntheticSchedule('real-clock', [base + 40, base + 80, base + 120]);
    const scheduler = new TimerScheduler({ schedule: synthetic, clock: systemClock });
    const seen: Array<[number, number]> = [];
    await scheduler.start(async (c) => { seen.push([c.sequence, Date.now() - c.cutOffAt.getTime()]); });
    await waitFor(() => seen.length === 3, 2_000);
    await scheduler.stop();
    assert.deepEqual(seen.map(([s]) => s), [1, 2, 3]);
    for (const [, lateMs] of seen) assert.ok(lateMs >= 0 && lateMs < 500, `fired ${lateMs} ms after the cut-off`);
  });
});

describe('TimerScheduler on a running clock set to another day', () => {
  it('fires Monday\'s 10:00 Frankfurt cut-off when the clock reaches it, whatever day the system clock says', async () => {
    // Monday 7 December 2026, 1.5 s before 10:00 in Frankfurt (09:00 UTC), running in real time.
    const clock = new RunningClock(Date.parse('2026-12-07T08:59:58.500Z'), Date.now());
    const scheduler = new TimerScheduler({ schedule, clock });
    const fired: Array<{ cycle: string; clockLateMs: number }> = [];
    await scheduler.start(async (c) => { fired.push({ cycle: `${c.businessDate}#${c.sequence} ${c.cutOffAt.toISOString()}`, clockLateMs: clock.now().getTime() - c.cutOffAt.getTime() }); });
    await waitFor(() => fired.length >= 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a wrong second one to show up
    await scheduler.stop();
    assert.deepEqual(fired.map((f) => f.cycle), ['2026-12-07#1 2026-12-07T09:00:00.000Z']);
    assert.ok(fired[0]!.clockLateMs >= 0 && fired[0]!.clockLateMs < 1_000, `fired ${fired[0]!.clockLateMs} ms after the cut-off on its clock`);
  });
});

/** Cut-offs at the given instants, on one business date, sequences 1..n. */
function syntheticSchedule(key: string, instants: readonly number[]): CutOffSchedule {
  return {
    key,
    nextAfter(epochMs) {
      const index = instants.findIndex((t) => t > epochMs);
      return index < 0 ? undefined : { businessDate: '2026-11-26', sequence: index + 1, cutOffAt: new Date(instants[index]!) };
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('BullmqScheduler against Redis', () => {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `clearhouse-test-${process.pid}-${randomBytes(4).toString('hex')}`;

  after(async () => {
    // Remove every key of this run, whatever state the tests left.
    assert.equal(await deleteKeys(url, prefix), 0);
  });


  it('two processes, one job scheduler: each cut-off is handled exactly once, at or after its instant', { timeout: 15_000 }, async () => {
    const testPrefix = `${prefix}-a`;
    const base = Date.now();
    // Cut-off 1 is already past (both processes catch it up); 2..4 are 1.5 s apart.
    const instants = [base - 500, base + 1_500, base + 3_000, base + 4_500];
    const synthetic = syntheticSchedule(`test ${testPrefix}`, instants);
    const handled: Array<{ sequence: number; by: string; lateMs: number }> = [];
    const errors: unknown[] = [];
    const make = (by: string) => {
      const scheduler = new BullmqScheduler({
        connection: { url }, prefix: testPrefix, schedule: synthetic, lastFiredCutOff: new Date(base - 1_000), onError: (e) => errors.push(e),
      });
      return {
        scheduler,
        start: () => scheduler.start(async (c) => {
          handled.push({ sequence: c.sequence, by, lateMs: Date.now() - c.cutOffAt.getTime() });
          await new Promise((resolve) => setTimeout(resolve, 50)); // a little work, so overlaps would show
        }),
      };
    };
    const a = make('a');
    const b = make('b');
    try {
      await Promise.all([a.start(), b.start()]);
      await waitFor(() => handled.length >= 4, 9_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // room for a duplicate to show up
    } finally {
      await Promise.all([a.scheduler.stop(), b.scheduler.stop()]);
    }
    if (process.env.SCHEDULER_TEST_VERBOSE) console.log(JSON.stringify(handled));
    assert.deepEqual(errors, []);
    assert.deepEqual(handled.map((h) => h.sequence), [1, 2, 3, 4], JSON.stringify(handled));
    for (const h of handled.slice(1)) assert.ok(h.lateMs >= -20 && h.lateMs < 2_000, `cut-off ${h.sequence} handled ${h.lateMs} ms after its instant`);
    const queue = new Queue('cutoff', { connection: { url }, prefix: testPrefix });
    try {
      const job = await queue.getJob(cutOffJobId({ businessDate: '2026-11-26', sequence: 3 }));
      assert.equal(await job?.getState(), 'completed');
      assert.equal((await queue.getJobCounts('completed')).completed! >= 4, true);
    } finally {
      await queue.close();
    }
  });

  it('a cut-off whose tick came while no process was running is handled at the next start', { timeout: 10_000 }, async () => {
    const testPrefix = `${prefix}-b`;
    const base = Date.now();
    const synthetic = syntheticSchedule(`test ${testPrefix}`, [base + 700, base + 1_400]);
    const handled: number[] = [];
    const first = new BullmqScheduler({ connection: { url }, prefix: testPrefix, schedule: synthetic });
    await first.start(async (c) => { handled.push(c.sequence); });
    await first.stop(); // down before either cut-off
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, base + 1_600 - Date.now())));
    const second = new BullmqScheduler({ connection: { url }, prefix: testPrefix, schedule: synthetic });
    try {
      await second.start(async (c) => { handled.push(c.sequence); });
      await waitFor(() => handled.length >= 2, 4_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await second.stop();
    }
    assert.deepEqual(handled, [1, 2]);
  });

  it('on a running clock set to Christmas Eve: the 16:00 cut-off fires as the clock reaches it, and the next is after the holidays', { timeout: 15_000 }, async () => {
    const testPrefix = `${prefix}-c`;
    // Thursday 24 December 2026, 1.5 s before 16:00 in Frankfurt, running in real time.
    const clock = new RunningClock(Date.parse('2026-12-24T14:59:58.500Z'), Date.now());
    const handled: Array<{ cycle: string; clockLateMs: number }> = [];
    const errors: unknown[] = [];
    const scheduler = new BullmqScheduler({ connection: { url }, prefix: testPrefix, schedule, clock, onError: (e) => errors.push(e) });
    try {
      await scheduler.start(async (c) => { handled.push({ cycle: `${c.businessDate}#${c.sequence}`, clockLateMs: clock.now().getTime() - c.cutOffAt.getTime() }); });
      await waitFor(() => handled.length >= 1, 6_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    } finally {
      await scheduler.stop();
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(handled.map((h) => h.cycle), ['2026-12-24#3']);
    assert.ok(handled[0]!.clockLateMs >= -20 && handled[0]!.clockLateMs < 2_000, `handled ${handled[0]!.clockLateMs} ms after the cut-off on its clock`);
    const queue = new Queue('cutoff', { connection: { url }, prefix: testPrefix });
    try {
      const scheduler = await queue.getJobScheduler('clearhouse-cutoff');
      assert.ok(scheduler?.next !== undefined, 'the next tick is armed');
      // Its system-clock instant is when the simulated clock reaches Monday 28 December, 10:00 in Frankfurt.
      assert.equal(new Date(clock.fromWallMs(scheduler.next)).toISOString(), '2026-12-28T09:00:00.000Z');
    } finally {
      await queue.close();
    }
  });

  it('on a clock running 1,000 times as fast: cut-offs minutes apart on the clock are handled once each, in order, none early', { timeout: 15_000 }, async () => {
    const testPrefix = `${prefix}-d`;
    const speed = 1_000;
    const clock = new RunningClock(Date.parse('2026-11-26T08:00:00.000Z'), Date.now(), speed);
    const start = clock.now().getTime();
    // 10, 15, 20 and 25 minutes (clock) from now, 7 ms off the whole second: 0.6 … 1.5 s of system time.
    const synthetic = syntheticSchedule(`test ${testPrefix}`, [10, 15, 20, 25].map((minutes) => start + minutes * 60_000 + 7));
    const handled: Array<{ sequence: number; clockLateMs: number }> = [];
    const errors: unknown[] = [];
    const scheduler = new BullmqScheduler({ connection: { url }, prefix: testPrefix, schedule: synthetic, clock, onError: (e) => errors.push(e) });
    try {
      await scheduler.start(async (c) => { handled.push({ sequence: c.sequence, clockLateMs: clock.now().getTime() - c.cutOffAt.getTime() }); });
      await waitFor(() => handled.length >= 4, 8_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    } finally {
      await scheduler.stop();
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(handled.map((h) => h.sequence), [1, 2, 3, 4], JSON.stringify(handled));
    for (const h of handled) assert.ok(h.clockLateMs >= -20 * speed, `cut-off ${h.sequence} handled ${h.clockLateMs} ms (clock) before its instant`);
  });

  it('Redis down across a cut-off and back without its data: the scheduler is re-created, the missed cut-off handled', { timeout: 30_000 }, async () => {
    const redis = await RedisServer.start({ persistent: false });
    const base = Date.now();
    // Cut-off 1 before the outage, 2 during it, 3 after it.
    const synthetic = syntheticSchedule(`test outage ${process.pid}`, [base + 1_500, base + 3_500, base + 6_500]);
    const handled: number[] = [];
    const errors: string[] = [];
    const scheduler = new BullmqScheduler({
      connection: redisConnection(redis.url), schedule: synthetic, ensureEveryMs: 300, onError: (e) => errors.push(String((e as Error).message ?? e)),
    });
    try {
      await scheduler.start(async (c) => { handled.push(c.sequence); });
      await waitFor(() => handled.length >= 1, 4_000);
      await redis.down();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, base + 4_500 - Date.now())));
      await redis.up(); // empty: no job scheduler, no tick for cut-off 2
      await waitFor(() => handled.length >= 3, 12_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    } finally {
      await scheduler.stop();
      await redis.stop();
    }
    assert.deepEqual(handled, [1, 2, 3]);
    assert.ok(errors.some((e) => /job scheduler missing from Redis/.test(e)), errors.join('\n'));
  });
});
