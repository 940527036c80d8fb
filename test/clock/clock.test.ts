/**
 * switch/clock.ts: the one clock abstraction. A RunningClock maps system time to its own and back
 * (offset and speed), a ManualClock fires its timers in time order as it is moved, and
 * CLEARHOUSE_CLOCK is read strictly and refused in production.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ClockSettingError, ManualClock, parseClockSetting, processClock, processStartedAt, RunningClock, systemClock,
} from '../../switch/clock.ts';
import { limits } from '../../switch/limits.ts';

const SEED = Number(process.env.CLOCK_TEST_SEED ?? 20261206);

describe('RunningClock', () => {
  it('the system clock is the identity', () => {
    assert.equal(systemClock.isSystem, true);
    const before = Date.now();
    const now = systemClock.now().getTime();
    assert.ok(now >= before && now <= Date.now());
    assert.equal(systemClock.fromWallMs(1_234), 1_234);
    assert.equal(systemClock.toWallMs(1_234), 1_234);
  });

  it('maps system time to its own and back, for any offset and speed', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.constantFrom(1, 2, 60, 0.5, limits.clockSpeedMax), fc.integer({ min: -86_400_000, max: 86_400_000 }),
      (start, wallAtStart, speed, deltaMs) => {
        const clock = new RunningClock(start, wallAtStart, speed);
        assert.equal(clock.fromWallMs(wallAtStart), start);
        assert.equal(clock.fromWallMs(wallAtStart + deltaMs), start + deltaMs * speed);
        assert.ok(Math.abs(clock.toWallMs(clock.fromWallMs(wallAtStart + deltaMs)) - (wallAtStart + deltaMs)) < 1e-3);
      }), { seed: SEED, numRuns: 300 });
  });

  it('shows its start instant at its system-time anchor and runs on from there', () => {
    const clock = new RunningClock(Date.parse('2026-12-07T08:00:00Z'), Date.now());
    const shown = clock.now().getTime() - Date.parse('2026-12-07T08:00:00Z');
    assert.ok(shown >= 0 && shown < 1_000, `${shown} ms after its start`);
    assert.equal(clock.isSystem, false);
  });

  it('refuses a speed of zero, a negative one or one above the limit', () => {
    for (const speed of [0, -1, limits.clockSpeedMax + 1, Number.NaN]) assert.throws(() => new RunningClock(0, 0, speed), RangeError);
  });
});

describe('ManualClock', () => {
  it('stands still until moved; timers fire in time order, each with the clock at its instant', () => {
    const clock = new ManualClock('2026-12-05T11:00:00Z');
    const fired: string[] = [];
    clock.setTimer(2_000, () => fired.push(`b ${clock.now().toISOString()}`));
    clock.setTimer(1_000, () => fired.push(`a ${clock.now().toISOString()}`));
    const cancel = clock.setTimer(1_500, () => fired.push('cancelled'));
    clock.setTimer(2_000, () => fired.push(`c ${clock.now().toISOString()}`));
    cancel();
    assert.equal(clock.now().toISOString(), '2026-12-05T11:00:00.000Z');
    clock.advance(1_999);
    assert.deepEqual(fired, ['a 2026-12-05T11:00:01.000Z']);
    clock.set('2026-12-05T12:00:00Z');
    assert.deepEqual(fired, ['a 2026-12-05T11:00:01.000Z', 'b 2026-12-05T11:00:02.000Z', 'c 2026-12-05T11:00:02.000Z']);
    assert.equal(clock.now().toISOString(), '2026-12-05T12:00:00.000Z');
  });
});

describe('CLEARHOUSE_CLOCK', () => {
  const started = Date.parse('2026-12-06T10:00:00Z');

  it('INSTANT: the clock shows it when the process started', () => {
    const clock = parseClockSetting('2026-12-07T08:00:00Z', started);
    assert.equal(clock.fromWallMs(started), Date.parse('2026-12-07T08:00:00Z'));
    assert.equal(clock.speed, 1);
  });

  it('INSTANT@WALL: shared by processes started at different times; *SPEED runs it faster', () => {
    const clock = parseClockSetting('2026-12-07T09:00:00.250+01:00@2026-12-06T09:00:00Z*60', started);
    assert.equal(new Date(clock.fromWallMs(Date.parse('2026-12-06T09:00:00Z'))).toISOString(), '2026-12-07T08:00:00.250Z');
    assert.equal(new Date(clock.fromWallMs(Date.parse('2026-12-06T09:01:00Z'))).toISOString(), '2026-12-07T09:00:00.250Z');
    assert.equal(clock.speed, 60);
  });

  it('refuses anything else, with the expected form in the message', () => {
    for (const text of ['', 'tomorrow', '2026-12-07', '2026-12-07T08:00:00', '2026-12-07T08:00:00Z@', '2026-12-07T08:00:00Z*0',
      '2026-12-07T08:00:00Z*-2', `2026-12-07T08:00:00Z*${limits.clockSpeedMax * 2}`, '2026-13-07T08:00:00Z', '2026-12-07T08:00:00Z@now']) {
      assert.throws(() => parseClockSetting(text, started), (error: Error) => error instanceof ClockSettingError && /CLEARHOUSE_CLOCK=/.test(error.message), text);
    }
  });

  it('processClock: the system clock when unset; refused with NODE_ENV=production', () => {
    assert.equal(processClock({}), systemClock);
    assert.equal(processClock({ CLEARHOUSE_CLOCK: '' }), systemClock);
    assert.equal(processClock({ CLEARHOUSE_CLOCK: '2026-12-07T08:00:00Z' }).isSystem, false);
    assert.throws(() => processClock({ CLEARHOUSE_CLOCK: '2026-12-07T08:00:00Z', NODE_ENV: 'production' }), /refused with NODE_ENV=production/);
    assert.throws(() => processClock({ CLEARHOUSE_CLOCK: 'soon' }), ClockSettingError);
  });

  it('processStartedAt: the process start on a clock', () => {
    const clock = new RunningClock(Date.parse('2026-12-07T08:00:00Z'), performance.timeOrigin);
    assert.equal(processStartedAt(clock).toISOString(), '2026-12-07T08:00:00.000Z');
  });
});
