/**
 * `clearhouse demo --out DIR` never deletes what it did not write: a directory that is not empty and
 * holds no demo marker is refused (exit 2, one line, nothing touched); an earlier demo's output is
 * emptied and reused. The demo leaves its store and scheme file under DIR, so `cycle list` and
 * `positions` with --config DIR/scheme.json afterwards show the demo's day, and it says so. The reuse
 * is judged on the suite's shared demo run (test/support/demo-once.ts), whose DIR held an earlier
 * demo's marker and a stale file when it started.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, FIXTURE_MORNING, root } from '../support/cli-workspace.ts';
import { demoOnce, EARLIER_DEMO_MARKER, STALE_FILE } from '../support/demo-once.ts';
import { CLOCK_VARIABLE } from '../../switch/clock.ts';

const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '', [CLOCK_VARIABLE]: FIXTURE_MORNING };
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });

describe('clearhouse demo --out', () => {
  it('refuses a directory that is not empty and not an earlier demo output, touching nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'clearhouse-demo-refuse-'));
    writeFileSync(join(out, 'precious.txt'), 'keep me');
    mkdirSync(join(out, 'sub'));
    const r = run('demo', '--out', out);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /not empty and not an earlier demo's output/);
    assert.equal(readFileSync(join(out, 'precious.txt'), 'utf8'), 'keep me');
    assert.ok(existsSync(join(out, 'sub')));
    const file = join(out, 'precious.txt');
    const notDirectory = run('demo', '--out', file);
    assert.equal(notDirectory.status, 2);
    assert.match(notDirectory.stderr, /not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  });

  it('reuses an earlier demo output, leaves its store behind, and cycle list / positions show its day', () => {
    const r = demoOnce(); // started in a folder holding EARLIER_DEMO_MARKER and STALE_FILE
    const out = r.out;
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(out, STALE_FILE)), 'the earlier output is emptied');
    assert.ok(existsSync(join(out, EARLIER_DEMO_MARKER)));
    assert.notEqual(readFileSync(join(out, EARLIER_DEMO_MARKER), 'utf8'), 'marker', 'the marker is the new run\'s own');
    const scheme = join(out, 'scheme.json');
    assert.match(r.stdout, new RegExp(`clearhouse positions --config ${scheme.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const cycles = run('cycle', 'list', '--config', scheme, '--json');
    assert.equal(cycles.status, 0, cycles.stderr);
    const list = JSON.parse(cycles.stdout) as Array<{ businessDate: string; state: string }>;
    assert.ok(list.filter((c) => c.businessDate === '2026-11-26' && c.state === 'SETTLED').length >= 2, cycles.stdout);
    const positions = run('positions', '--config', scheme);
    assert.equal(positions.status, 0, positions.stderr);
    assert.match(positions.stdout, /\(2026-11-2[67] #\d+\) SETTLED/);
  });
});
