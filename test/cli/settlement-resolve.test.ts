/**
 * `clearhouse settlement resolve CYCLE --action … --operator … --reason …` (switch/cli/settlement.ts) on
 * real PostgreSQL: usage errors at the door (exit 2, one line), a cycle that is not PARTIALLY_SETTLED
 * refused (exit 1, one line, nothing recorded in operator_actions). The three resolutions themselves
 * are proven against the settlement agent's books in test/engine/settlement.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { cliWorkspace } from '../support/cli-workspace.ts';

async function journalCount(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return Number((await client.query("SELECT COUNT(*) AS n FROM operator_actions WHERE action = 'settlement.resolve'")).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('clearhouse settlement resolve', () => {
  it('refuses usage errors (exit 2) and a cycle that is not PARTIALLY_SETTLED (exit 1), recording nothing', { timeout: 300_000 }, async () => {
    const { databaseUrl, run, ok } = await cliWorkspace('settlement-resolve', { timeoutMs: 120_000 });
    const oneLine = (result: ReturnType<typeof run>, status: number, message: RegExp) => {
      assert.equal(result.status, status, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    };
    oneLine(run('settlement', 'resolve', '1', '--action', 'pay-it', '--operator', 'alice', '--reason', 'x'), 2, /--action takes reinstruct, unwind-defaulter, settled-elsewhere/);
    oneLine(run('settlement', 'resolve', 'one', '--action', 'reinstruct', '--operator', 'alice', '--reason', 'x'), 2, /not a cycle id/);
    oneLine(run('settlement', 'resolve', '1', '--action', 'reinstruct', '--operator', 'alice', '--reason', ' '), 2, /reason/);
    oneLine(run('settlement', 'resolve', '1', '--action', 'reinstruct', '--operator', 'alice'), 2, /--reason/);
    // The open cycle: nothing to resolve (a reading command never opens one: serve's one pass does).
    ok('serve', '--once', '--simulate-settlement');
    assert.match(ok('cycle', 'open').stdout, /cycle 1 is open/);
    oneLine(run('settlement', 'resolve', '1', '--action', 'settled-elsewhere', '--operator', 'alice', '--reason', 'OPS-1'), 1, /cycle 1 is OPEN, not PARTIALLY_SETTLED/);
    oneLine(run('settlement', 'resolve', '999', '--action', 'reinstruct', '--operator', 'alice', '--reason', 'OPS-1'), 1, /cycle 999 does not exist/);
    oneLine(run('settlement', 'query', '1', '--operator', 'alice', '--reason', 'OPS-2'), 1, /cycle 1 is OPEN, not waiting for the settlement agent/);
    oneLine(run('settlement', 'query', '1', '--operator', 'alice'), 2, /--reason/);
    assert.equal(await journalCount(databaseUrl), 0, 'nothing recorded for a refused resolution');
  });

  it('serve refuses to start (exit 2, one line) when the settlement agent cannot be reached and is not simulated', { timeout: 300_000 }, async () => {
    const { run } = await cliWorkspace('settlement-agent', { timeoutMs: 120_000, edit: (config) => { delete config.settlementAgent.connector; } });
    const result = run('serve', '--once');
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /no way to reach the settlement agent: configure settlementAgent.connector, or run with --simulate-settlement/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    const simulated = run('serve', '--once', '--simulate-settlement', '--log-format', 'json');
    assert.equal(simulated.status, 0, simulated.stderr);
  });
});
