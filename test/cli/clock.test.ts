/**
 * The command line under CLEARHOUSE_CLOCK (switch/clock.ts, docs/operations.md): the commands take
 * their business date from it, not from the day the test runs; a malformed value, or any value with
 * NODE_ENV=production, stops every command (exit 2); serve warns that its clock is simulated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, cliWorkspace, root, sharedClock } from '../support/cli-workspace.ts';

const fixture = join(root, 'test', 'fixtures', 'pacs.008.001.08', 'valid-bulk-25.xml'); // IntrBkSttlmDt 2026-11-27, a Friday

describe('clearhouse under CLEARHOUSE_CLOCK', () => {
  it('on Saturday the business date is Monday: Friday\'s file is refused DT05, the open cycle is Monday\'s', async () => {
    const { run, env } = await cliWorkspace('clock', { clock: sharedClock('2026-11-28T11:00:00Z') });
    const submitted = run('submit', '--as', 'BANKDEFFXXX', '--operator', 'test', '--reason', 'clock test', '--json', fixture);
    assert.equal(submitted.status, 1, submitted.stderr);
    const result = JSON.parse(submitted.stdout) as { status: string; findings: Array<{ code: string; message: string }> };
    assert.equal(result.status, 'RJCT');
    assert.ok(result.findings.some((f) => f.code === 'DT05' && /2026-11-30/.test(f.message)), JSON.stringify(result.findings));
    const status = JSON.parse(run('cycle', 'status', '--json').stdout) as { open: { businessDate: string } };
    assert.equal(status.open.businessDate, '2026-11-30');

    const serve = run('serve', '--once');
    assert.equal(serve.status, 0, serve.stderr);
    assert.match(serve.stderr, /WARNING: CLEARHOUSE_CLOCK is set: simulated clock at 2026-11-28T11:0\d:\d\d\.\d{3}Z/);
    assert.match(serve.stderr, /never for real payments/);

    for (const [name, extra, message] of [
      ['malformed', { CLEARHOUSE_CLOCK: '2026-11-28 11:00' }, /CLEARHOUSE_CLOCK=2026-11-28 11:00: not INSTANT\[@WALL\]\[\*SPEED\]/],
      ['production', { NODE_ENV: 'production' }, /CLEARHOUSE_CLOCK is a test and simulation facility: refused with NODE_ENV=production/],
    ] as const) {
      const refused = runWith({ ...env, ...extra }, ['cycle', 'status']);
      assert.equal(refused.status, 2, `${name}: ${refused.stderr}`);
      assert.match(refused.stderr, message);
    }
  });
});

function runWith(env: NodeJS.ProcessEnv, args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}
