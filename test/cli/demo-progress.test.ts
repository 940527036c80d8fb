/**
 * `clearhouse demo` on a terminal shows each step with its timing (switch/cli/progress.ts, on stderr);
 * without a terminal it shows none, and `--json` stdout stays one JSON document. The terminal is a
 * pseudo-terminal from util-linux `script`; the runs without one are the suite's shared demo runs
 * (test/support/demo-once.ts), piped.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, root } from '../support/cli-workspace.ts';
import { requireOrSkip } from '../support/prerequisites.ts';
import { demoJsonOnce, demoOnce } from '../support/demo-once.ts';

const env = { ...process.env, DATABASE_URL: '', REDIS_URL: '', CLEARHOUSE_CONFIG: '' };
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('demo progress', () => {
  it('on a terminal: every step with its timing; piped: none, and --json stays JSON', (t) => {
    if (requireOrSkip(t, !hasScript && 'util-linux `script` (a pseudo-terminal) not installed')) return;
    const out = join(mkdtempSync(join(tmpdir(), 'clearhouse-demo-tty-')), 'out');
    const shell = `'${process.execPath}' '${cli}' demo --json --out '${out}'`;
    const tty = spawnSync('script', ['-qec', shell, '/dev/null'], { cwd: root, env, encoding: 'utf8', timeout: 600_000 });
    assert.equal(tty.status, 0, tty.stdout.slice(-2000));
    for (const name of ['front door', 'cycle 1 intake', 'cycle 1 cut-off and settlement', 'cycle 2', 'risk']) {
      // formatDuration's three forms (switch/cli/progress.ts): a step takes over a minute on a loaded machine.
      assert.match(tty.stdout, new RegExp(`✓ ${name} in (\\d+ ms|\\d+\\.\\d s|\\d+ min \\d\\d s)`), name);
    }
    const piped = demoJsonOnce();
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /✓/);
    assert.equal(typeof (JSON.parse(piped.stdout) as { seconds: number }).seconds, 'number');
    const story = demoOnce(); // without --json
    assert.equal(story.status, 0, story.stderr);
    assert.doesNotMatch(story.stderr, /✓/);
  });
});
