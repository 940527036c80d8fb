/**
 * Time, in one place. Everything the switch does by the clock — business dates, cut-offs, time-outs,
 * the dates and times it writes into messages — reads a `Clock`, never the system clock directly
 * (lint: `Date.now()`, `new Date()` and `performance.timeOrigin` only here). Three kinds:
 *
 * - `systemClock`: the system clock (production).
 * - `RunningClock`: runs with the system clock at a fixed offset, optionally faster. `CLEARHOUSE_CLOCK`
 *   sets one for a whole process (`processClock`), so that the command line and `serve` can run at a
 *   chosen date and time: a test and simulation facility (docs/operations.md), refused in production.
 * - `ManualClock`: time moves only when told to (unit tests, the demo); its timers fire as it passes them.
 *
 * A duration measured for its own sake (a back-off, a batch window) uses `performance.now()`, which is
 * monotonic and says nothing about the date.
 */
import { limits } from './limits.ts';

export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Calls `fn` once `ms` milliseconds have passed on this clock; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * A clock that runs with the system clock: it showed `startMs` when the system clock showed
 * `wallAtStartMs`, and advances `speed` times as fast. The system clock itself is (0, 0, 1).
 */
export class RunningClock implements Clock {
  constructor(readonly startMs: number, readonly wallAtStartMs: number, readonly speed = 1) {
    if (!Number.isFinite(startMs) || !Number.isFinite(wallAtStartMs)) throw new RangeError('RunningClock: start instants must be finite');
    if (!(speed > 0 && speed <= limits.clockSpeedMax)) throw new RangeError(`RunningClock: speed must be in (0, ${limits.clockSpeedMax}]`);
  }

  now(): Date {
    return new Date(this.fromWallMs(Date.now()));
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, ms / this.speed));
    return () => clearTimeout(timer);
  }

  /** This clock's instant (epoch ms) when the system clock shows `wallMs`. */
  fromWallMs(wallMs: number): number {
    return this.startMs + (wallMs - this.wallAtStartMs) * this.speed;
  }

  /** The system clock's instant (epoch ms) when this clock shows `clockMs`. */
  toWallMs(clockMs: number): number {
    return this.wallAtStartMs + (clockMs - this.startMs) / this.speed;
  }

  /** True for the system clock (no offset, real speed). */
  get isSystem(): boolean {
    return this.startMs === this.wallAtStartMs && this.speed === 1;
  }
}

export const systemClock = new RunningClock(0, 0, 1);

/** A clock that stands still until `advance` or `set` moves it; timers due on the way fire in time order. */
export class ManualClock implements Clock {
  private timeMs: number;
  private timers: Array<{ atMs: number; order: number; fn: () => void }> = [];
  private order = 0;

  constructor(start: Date | string | number) {
    this.timeMs = typeof start === 'number' ? start : typeof start === 'string' ? Date.parse(start) : start.getTime();
    if (!Number.isFinite(this.timeMs)) throw new RangeError(`ManualClock: ${String(start)} is not an instant`);
  }

  now(): Date {
    return new Date(this.timeMs);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { atMs: this.timeMs + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return () => { this.timers = this.timers.filter((t) => t !== timer); };
  }

  advance(ms: number): void {
    this.set(this.timeMs + ms);
  }

  /** Moves to `instant`; going forward, each timer due on the way runs with the clock at its instant. */
  set(instant: Date | string | number): void {
    const target = new ManualClock(instant).timeMs;
    for (;;) {
      const due = this.timers.filter((t) => t.atMs <= target).sort((a, b) => a.atMs - b.atMs || a.order - b.order)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.timeMs = Math.max(this.timeMs, due.atMs);
      due.fn();
    }
    this.timeMs = target;
  }
}

// ---- the process clock: CLEARHOUSE_CLOCK ----------------------------------------------------------

/** CLEARHOUSE_CLOCK is malformed, or set where it is not allowed (NODE_ENV=production). */
export class ClockSettingError extends Error {
  override readonly name = 'ClockSettingError';
}

export const CLOCK_VARIABLE = 'CLEARHOUSE_CLOCK';

/** An instant with its zone: "2026-12-07T08:00:00Z", "2026-12-07T09:00:00.000+01:00". */
const INSTANT = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})`;
const SETTING = new RegExp(`^(${INSTANT})(?:@(${INSTANT}))?(?:\\*(\\d+(?:\\.\\d+)?))?$`);

/**
 * Reads a CLEARHOUSE_CLOCK value: `INSTANT[@WALL][*SPEED]`. The clock shows INSTANT when the system
 * clock shows WALL (default: when this process started, `processStartedAtMs`), and runs SPEED times
 * as fast as the system clock (default 1). Several processes given the same WALL share one clock.
 */
export function parseClockSetting(text: string, processStartedAtMs: number): RunningClock {
  const match = SETTING.exec(text.trim());
  const start = match ? Date.parse(match[1]!) : NaN;
  const wall = match?.[2] === undefined ? processStartedAtMs : Date.parse(match[2]);
  const speed = match?.[3] === undefined ? 1 : Number(match[3]);
  if (!match || !Number.isFinite(start) || !Number.isFinite(wall)) {
    throw new ClockSettingError(`${CLOCK_VARIABLE}=${text}: not INSTANT[@WALL][*SPEED], e.g. 2026-12-07T08:00:00Z or 2026-12-07T08:00:00Z@2026-12-06T10:00:00Z*60 (instants with Z or an offset)`);
  }
  if (!(speed > 0 && speed <= limits.clockSpeedMax)) throw new ClockSettingError(`${CLOCK_VARIABLE}=${text}: speed must be in (0, ${limits.clockSpeedMax}]`);
  return new RunningClock(start, wall, speed);
}

let processClockMemo: RunningClock | undefined;

/**
 * The clock of this process: the system clock, or the one CLEARHOUSE_CLOCK sets (read once). Throws
 * ClockSettingError for a malformed value, and for any value when NODE_ENV is "production": a
 * simulated clock must never date real payments.
 */
export function processClock(env: NodeJS.ProcessEnv = process.env): RunningClock {
  if (env === process.env && processClockMemo !== undefined) return processClockMemo;
  const text = env[CLOCK_VARIABLE];
  let clock = systemClock;
  if (text !== undefined && text !== '') {
    if (env.NODE_ENV === 'production') {
      throw new ClockSettingError(`${CLOCK_VARIABLE} is a test and simulation facility: refused with NODE_ENV=production`);
    }
    clock = parseClockSetting(text, performance.timeOrigin);
  }
  if (env === process.env) processClockMemo = clock;
  return clock;
}

/** The instant this process started, on `clock` (the system clock's start mapped onto it). */
export function processStartedAt(clock: RunningClock = processClock()): Date {
  return new Date(clock.fromWallMs(performance.timeOrigin));
}

/** One line for logs: what the clock says and how it relates to the system clock. */
export function describeClock(clock: RunningClock): string {
  if (clock.isSystem) return 'system clock';
  const wallMs = Date.now();
  const nowMs = clock.fromWallMs(wallMs);
  const offsetMs = nowMs - wallMs;
  return `simulated clock at ${new Date(nowMs).toISOString()} (system clock ${offsetMs >= 0 ? '+' : '-'}${Math.round(Math.abs(offsetMs) / 1000)} s` +
    `${clock.speed === 1 ? '' : `, ${clock.speed}× speed`})`;
}
