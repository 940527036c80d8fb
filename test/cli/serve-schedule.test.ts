/**
 * `clearhouse serve` without Redis cuts cycles off on schedule with its in-process timers
 * (batch/scheduler.ts TimerScheduler, wired in switch/cli/serve.ts): a long-running serve on
 * PostgreSQL with the demo scheme's calendar, its clock (CLEARHOUSE_CLOCK) set LEAD_MS before the
 * 10:00 Frankfurt cut-off of a Monday, a bulk file sent before serve starts. Without any operator command the
 * cycle is cut off at its time, netted, settled (simulator) and its bulk file delivered, all dated
 * that Monday; SIGTERM then stops serve cleanly. Nothing depends on the day the test runs. (The
 * BullMQ scheduler's wiring is exercised by test/distributed/serve.test.ts.)
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace, killLeftoverServes, sharedClock, startServe } from '../support/cli-workspace.ts';

/** The cut-off is this far ahead of the workspace's clock when serve starts: it is up by then. */
const LEAD_MS = 20_000;
const SETTLE_MS = 60_000;
/** Monday 7 December 2026, 10:00 in Frankfurt: the demo scheme's first cut-off of a business day. */
const CUT_OFF = '2026-12-07T09:00:00Z';
after(killLeftoverServes);

describe('serve cuts off on schedule (in-process timers)', () => {
  it('a configured cut-off closes, settles and delivers the cycle with no operator command', { timeout: 180_000 }, async () => {
    const cutOffAt = new Date(CUT_OFF);
    // Monday 09:00 in Frankfurt while the bank puts its file in; then, however long that took, the
    // clock moves to LEAD_MS before the cut-off and serve starts.
    const workspace = await cliWorkspace('schedule', { clock: sharedClock(new Date(cutOffAt.getTime() - 3_600_000)) });
    const { work, databaseUrl, env, ok } = workspace;
    ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', '20');
    workspace.advanceClock(cutOffAt.getTime() - LEAD_MS - workspace.clock.now().getTime());
    const cutOff = { clock: workspace.clock, cutOffAt, wallMs: workspace.clock.toWallMs(cutOffAt.getTime()) };

    const serve = startServe(env, ['--simulate-settlement'], work);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const state = async () => (await db.query<{ id: string; state: string; business_date: string; closed_at: Date | null }>(
        'SELECT id::text, state, business_date::text, closed_at FROM cycles ORDER BY id').catch(() => ({ rows: [] }))).rows;
      let cycles = await state();
      while (Date.now() < cutOff.wallMs + SETTLE_MS && !(cycles.length === 2 && cycles[0]!.state === 'SETTLED')) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        cycles = await state();
      }
      assert.deepEqual(cycles.map((c) => c.state), ['SETTLED', 'OPEN'], `cycles at ${cutOff.clock.now().toISOString()} (cut-off ${CUT_OFF}):\n${serve.stderr().slice(-1500)}`);
      assert.deepEqual(cycles.map((c) => c.business_date), ['2026-12-07', '2026-12-07'], 'Monday\'s cycles 1 and 2');
      assert.ok(cycles[0]!.closed_at!.getTime() >= cutOff.cutOffAt.getTime(), 'not cut off before its time');
      const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments_effective WHERE state = 'SETTLED'`)).rows as [{ n: number }];
      assert.equal(n, 20);
      for (const receiver of ['BANKFRPPXXX', 'BANKNL2AXXX']) {
        const outbound = join(work, 'data', 'mailboxes', receiver, 'outbound');
        const bulks = readdirSync(outbound).filter((f) => f.startsWith('pacs.008'));
        assert.equal(bulks.length, 1, `${receiver}: one bulk file: ${bulks.join(', ')}`);
        assert.match(readFileSync(join(outbound, bulks[0]!), 'utf8'), /<IntrBkSttlmDt>2026-12-07<\/IntrBkSttlmDt>/);
      }
    } finally {
      await db.end();
    }
    assert.match(serve.stderr(), /WARNING: CLEARHOUSE_CLOCK is set: simulated clock/, 'serve says loudly that its clock is simulated');
    // The log tells the cycle's story, one JSON record per step, naming the cycle (docs/operations.md "Logs").
    const steps = serve.stderr().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r.component === 'engine' && r.cycle === '1').map((r) => r.event);
    for (const step of ['cycle.cut-off', 'cycle.netted', 'settlement.instructed', 'cycle.settled']) {
      assert.ok(steps.includes(step), `serve logged ${step} for cycle 1: ${JSON.stringify(steps)}`);
    }
    assert.ok(steps.indexOf('cycle.cut-off') < steps.indexOf('cycle.settled'), 'in order');
    assert.equal(await serve.stop(), 0, serve.stderr().slice(-1500));
  });
});
