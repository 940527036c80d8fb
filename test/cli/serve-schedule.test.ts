/**
 * `clearhouse serve` without Redis cuts cycles off on schedule with its in-process timers
 * (batch/scheduler.ts TimerScheduler, wired in switch/cli/clearing.ts): a long-running serve on
 * PostgreSQL, a cut-off configured for the next whole minute, a bulk file sent before it. Without
 * any operator command the cycle is cut off at its time, netted, settled (simulator) and its bulk
 * file delivered; SIGTERM then stops serve cleanly. (The BullMQ scheduler's wiring is exercised by
 * test/distributed/serve.test.ts.)
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cliWorkspace, killLeftoverServes, nextWholeMinuteCutOff, startServe } from '../support/cli-workspace.ts';

/** The cut-off is the first whole minute at least this far ahead: serve is up and the file is in by then. */
const LEAD_MS = 20_000;
const SETTLE_MS = 60_000;
after(killLeftoverServes);

describe('serve cuts off on schedule (in-process timers)', () => {
  it('a configured cut-off closes, settles and delivers the cycle with no operator command', { timeout: 180_000 }, async () => {
    const cutOff = await nextWholeMinuteCutOff(LEAD_MS);
    const hhmm = cutOff.text;
    const { work, databaseUrl, env, ok } = await cliWorkspace('schedule', {
      edit: (config) => {
        config.calendar = { timeZone: 'UTC', cycleDayRollTime: '24:00', holidays: [], weekendDays: [] };
        config.cycles = [hhmm];
      },
    });
    ok('bank', 'send', '--bic', 'BANKDEFFXXX', '--to', 'BANKFRPPXXX,BANKNL2AXXX', '--count', '20');

    const serve = startServe(env, ['--simulate-settlement'], work);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const state = async () => (await db.query<{ id: string; state: string; closed_at: Date | null }>(
        'SELECT id::text, state, closed_at FROM cycles ORDER BY id').catch(() => ({ rows: [] }))).rows;
      let cycles = await state();
      while (Date.now() < cutOff.at.getTime() + SETTLE_MS && !(cycles.length === 2 && cycles[0]!.state === 'SETTLED')) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        cycles = await state();
      }
      assert.deepEqual(cycles.map((c) => c.state), ['SETTLED', 'OPEN'], `cycles at ${new Date().toISOString()} (cut-off ${hhmm}):\n${serve.stderr().slice(-1500)}`);
      assert.ok(cycles[0]!.closed_at!.getTime() >= cutOff.at.getTime(), 'not cut off before its time');
      const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE state = 'SETTLED'`)).rows as [{ n: number }];
      assert.equal(n, 20);
      for (const receiver of ['BANKFRPPXXX', 'BANKNL2AXXX']) {
        const delivered = readdirSync(join(work, 'data', 'mailboxes', receiver, 'outbound'));
        assert.equal(delivered.filter((f) => f.startsWith('pacs.008')).length, 1, `${receiver}: one bulk file: ${delivered.join(', ')}`);
      }
    } finally {
      await db.end();
    }
    assert.equal(await serve.stop(), 0, serve.stderr().slice(-1500));
  });
});
