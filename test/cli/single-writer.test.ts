/**
 * One process at a time on the embedded store (issue 10, "Two processes on one embedded store corrupt
 * it"; switch/store/embedded-lock.ts): while an embedded `serve` runs, a second `serve`, a `cycle
 * close` and a reading `cycle status` on the same data directory are refused with one line naming the
 * process that holds it (exit 2), and change nothing; after that serve is killed (SIGKILL: no clean
 * release) its stale lock does not block: the next command opens the store.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, cliWorkspace, killLeftoverServes } from '../support/cli-workspace.ts';
import { logRecords, waitFor } from '../support/serve-observer.ts';

after(killLeftoverServes);

describe('one writer on the embedded store', () => {
  it('a second serve, cycle close and cycle status are refused while serve runs; a SIGKILLed serve does not block', { timeout: 300_000 }, async () => {
    const { work, env: postgresEnv } = await cliWorkspace('single-writer');
    const env = { ...postgresEnv, DATABASE_URL: '' }; // the embedded default, in the workspace's data directory
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });

    const first = spawn(process.execPath, [cli, 'serve'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    first.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<void>((resolve) => first.on('close', () => resolve()));
    try {
      assert.ok(await waitFor(() => (logRecords(stderr, { strict: false }).some((r) => /^serving /.test(r.msg)) ? true : undefined), 120_000),
        `the first serve starts:\n${stderr}`);
      const lock = join(work, 'data', 'db.lock');
      assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, first.pid);

      for (const args of [['serve', '--once'], ['serve'], ['cycle', 'close'], ['cycle', 'status'], ['migrate']]) {
        const refused = run(...args);
        assert.equal(refused.status, 2, `${args.join(' ')}: ${refused.stderr}`);
        assert.match(refused.stderr, new RegExp(`^clearhouse: the embedded store .* is in use by process ${first.pid} \\(clearhouse serve`), args.join(' '));
        assert.equal(refused.stderr.trim().split('\n').length, 1, `one line: ${refused.stderr}`);
      }
      assert.equal(first.exitCode, null, 'the first serve runs on');
    } finally {
      first.kill('SIGKILL');
      await exited;
    }
    assert.ok(existsSync(join(work, 'data', 'db.lock')), 'SIGKILL left the lock behind');
    const after = run('cycle', 'list');
    assert.equal(after.status, 0, `the stale lock is taken over: ${after.stderr}`);
    assert.match(after.stdout, /OPEN/);
    assert.ok(!existsSync(join(work, 'data', 'db.lock')), 'released when the command ends');
  });
});
